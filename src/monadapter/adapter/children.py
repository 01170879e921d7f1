"""The adapter's side of ``subProcess``: a launch's child notify listener, and one ``startDebugging`` per child.

A launch with ``subProcess`` on (and a client that said ``supportsStartDebuggingRequest``) gets a
loopback listener whose address and a random token go into the debuggee's environment. Each Python
child (agent/children.py) listens on a port of its own, proves it knows the token (agent/auth.py:
a stranger that connects gets a challenge and is dropped) and sends here one framed message,
``monadapter/child`` ``{pid, ppid, port, accessToken, name, argv}``; the adapter answers it with the
reverse request ``startDebugging`` ``{request: "attach", configuration: {name, connect, accessToken,
subProcessId, ...}}``, and the client's child session is an ordinary attach with the child's token. The adapter then answers the child on the
notify connection (a response, ``success`` true if the client said yes), so a child nobody will
attach to runs on at once. The configuration carries no ``type``: the
DAP schema says the client fills in what is its own (VS Code uses the parent session's type).
The listener lives as long as the session.
"""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING, Any

import anyio

from monadapter.adapter import peerauth, sockets
from monadapter.adapter.errors import AdapterError
from monadapter.adapter.headstart import loopback_listener
from monadapter.adapter.plan import LaunchPlan, follows_children
from monadapter.adapter.sockets import SocketChannel
from monadapter.agent import auth
from monadapter.agent.wire import FramingError, MessageReader, encode

if TYPE_CHECKING:  # for typing only: the session imports none of these (no import cycle)
    from monadapter.adapter.session import Session

logger = logging.getLogger(__name__)

#: How long a child may take to send its one message.
NOTIFY_READ_TIMEOUT = 5.0
#: The launch options a child session inherits: the agent's options (``launch.AgentOptions``: a test
#: checks this list against it), except the stop at the entry of a program the child does not start
#: from its first line. The adapter server's access token goes along: a client opens the child
#: session with the same server.
INHERITED = (
    "justMyCode",
    "showReturnValue",
    "hoverRunsCode",
    "evaluateTimeout",
    "rules",
    "variablePresentation",
    "pathMappings",
    "adapterAccessToken",
)


async def follow_children(session: Session, plan: LaunchPlan) -> LaunchPlan:
    """The plan to launch: with a child notify listener in its environment when children are to be
    debugged (``subProcess``, not ``noDebug``, a client that can start child sessions); else with
    no such variable at all (the adapter may itself run under a debuggee that follows children)."""
    if not follows_children(plan.arguments, session.client_arguments):
        return plan.with_notify(None)
    head_start = session.lifecycle.head_start
    made = head_start.take_notify() if head_start is not None else None
    # the head start's, named in the environment of the process it started; else a new one
    listener, token = made if made is not None else (loopback_listener(), auth.new_token())
    port = sockets.local_port(listener)
    inherited = {name: plan.launch_arguments[name] for name in INHERITED if name in plan.launch_arguments}
    session.start_soon(_serve, session, listener, token, inherited)
    return plan.with_notify((port, token))


async def _serve(session: Session, listener: socket.socket, token: str, inherited: dict[str, Any]) -> None:
    """Serve the notify listener until the session ends (its task group is cancelled then)."""

    async def on_child(channel: SocketChannel) -> None:
        try:
            child = await _read_notice(channel, token)
            if child is not None:
                accepted = await _start_child_session(session, child, inherited)
                with anyio.move_on_after(NOTIFY_READ_TIMEOUT):
                    # the child stops waiting at once when no session comes (one that gave up waiting
                    # already reads nothing: the channel drops it)
                    response = {"type": "response", "seq": 1, "request_seq": 1, "command": "startDebugging"}
                    await channel.send([encode({**response, "success": accepted})])
        finally:
            await channel.aclose()

    with listener:
        async with anyio.create_task_group() as children:
            await sockets.serve(listener, on_child, children)


async def _read_notice(channel: SocketChannel, token: str) -> dict[str, Any] | None:
    """The body of the child's ``monadapter/child`` message; None for anything else (a stranger who
    does not know the token, garbage, a child too slow to write)."""
    try:
        reader: MessageReader = await peerauth.listen_side(channel, token)
    except auth.AuthenticationError:
        return None
    message: Any = None
    with anyio.move_on_after(NOTIFY_READ_TIMEOUT):
        try:
            while (message := reader.next_message()) is None:
                data = await channel.receive()
                if not data:
                    return None
                reader.feed(data)
        except FramingError:
            return None
    body = message.get("body") if isinstance(message, dict) and message.get("event") == "monadapter/child" else None
    if not isinstance(body, dict) or not isinstance(body.get("accessToken"), str):
        return None
    if not isinstance(body.get("port"), int) or not isinstance(body.get("pid"), int):
        return None
    return body


async def _start_child_session(session: Session, child: dict[str, Any], inherited: dict[str, Any]) -> bool:
    """Ask the client to start the child's session, an attach to the port the child waits on;
    return whether it said yes."""
    pid = child["pid"]
    configuration = {
        **inherited,
        "name": str(child.get("name") or f"child process (pid {pid})"),
        "connect": {"host": "127.0.0.1", "port": child["port"]},
        "accessToken": child["accessToken"],
        "subProcessId": pid,
    }
    try:
        await session.reverse_request("startDebugging", {"request": "attach", "configuration": configuration})
    except AdapterError as exc:  # the client declined (its choice) or did not answer: the child runs on
        logger.info("child process %s is not debugged: %s", pid, exc)
        return False
    return True

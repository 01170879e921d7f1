"""One DAP session: the client connection, its debuggee and agent link, and their lifetimes.

A session reads the client's messages one at a time and hands each to the dispatcher (given by the server), so
requests reach the agent in the order the client sent them. Work that has to wait (a launch
waiting for ``configurationDone``, a relayed request waiting for the agent) runs as a task in
the session's task group. When the client leaves or disconnects, a debuggee that was not
detached is terminated.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

import anyio
from anyio.abc import TaskGroup

from monadapter.adapter import peerauth, sockets
from monadapter.adapter.agentlink import AgentLink, PendingRequest
from monadapter.adapter.answers import DueAnswers
from monadapter.adapter.debuggee import DRAIN_TIMEOUT, Debuggee
from monadapter.adapter.errors import AdapterError, LaunchError, NoDebuggeeError
from monadapter.adapter.headstart import loopback_listener
from monadapter.adapter.messagelog import ADAPTER_TO_CLIENT, CLIENT_TO_ADAPTER, MessageLog
from monadapter.adapter.sockets import SocketChannel
from monadapter.adapter.transport import ByteChannel, MessageWriter, read_messages
from monadapter.agent import auth
from monadapter.agent.wire import MAX_REQUEST_BYTES, BadBody, FramingError, MessageReader, RawJSON

if TYPE_CHECKING:  # launch.py builds pydantic models: imported for a launch that is not certain, not here
    from monadapter.adapter.headstart import HeadStart
    from monadapter.adapter.launch import AttachArguments
    from monadapter.adapter.plan import LaunchPlan

logger = logging.getLogger(__name__)

#: How long the debuggee may take to connect back and say hello.
AGENT_CONNECT_TIMEOUT = 30.0
#: How long the client may take to answer a reverse request (runInTerminal).
REVERSE_REQUEST_TIMEOUT = 30.0
#: How long attach keeps trying to connect to a program that is not listening yet.
ATTACH_CONNECT_TIMEOUT = 5.0
#: Launch and attach arguments that are credentials: never passed on to the agent.
TOKENS = frozenset({"accessToken", "adapterAccessToken"})
#: How long a detaching agent may take to answer the forwarded disconnect.
DETACH_TIMEOUT = 5.0


#: What a session hands each client message to (``dispatcher.dispatch``, given by the server: the
#: dispatcher's handlers act on sessions, so the session does not import them).
Dispatch = Callable[["Session", dict[str, Any]], Awaitable[None]]


class Session:
    """The state of one client connection; handlers act on it."""

    def __init__(
        self,
        channel: ByteChannel,
        log: MessageLog,
        dispatch: Dispatch,
        background: TaskGroup | None = None,
        reader: MessageReader | None = None,
        *,
        sent: int = 0,
    ) -> None:
        """``reader``: one holding client bytes read before the session (adapter/early.py), and
        ``sent``: how many messages went to the client meanwhile."""
        self._channel = channel
        self._dispatch = dispatch
        self.log = log
        self._reader = reader or MessageReader(max_body=MAX_REQUEST_BYTES)
        self._writer = MessageWriter(channel, log, ADAPTER_TO_CLIENT, sent=sent)
        #: where debuggee watchers run: outlives the session so a detached debuggee's output is
        #: still read (a full pipe would block it); None means the session's own task group
        self._background = background
        self._task_group: TaskGroup | None = None
        self._reverse: dict[int, PendingRequest] = {}
        self.client_arguments: dict[str, Any] = {}
        self.debuggee: Debuggee | None = None
        self.agent: AgentLink | None = None
        self.launch_started = False
        self.configured = anyio.Event()
        self.finished = anyio.Event()
        self._agent_hello: dict[str, Any] | None = None
        self._agent_error: str | None = None
        self._agent_greeted = anyio.Event()
        self._closed = False
        #: launch secrets written for a terminal's agent, removed at the end if it never read them
        self._secret_files: list[str] = []
        #: the server's ``--access-token``: launch and attach must carry it (adapter/access.py)
        self.access_token: str | None = None
        #: the client gave the access token (or none is needed)
        self.authenticated = False
        #: the deferred answers not sent yet: a disconnect is answered after them (adapter/answers.py)
        self.answers = DueAnswers()
        #: a debuggee started for the launch the client sent first, before this session validated it
        #: (adapter/headstart.py): kept by ``start_debuggee`` if it runs what the launch says
        self.head_start: HeadStart | None = None

    async def run(self) -> None:
        """Serve the client until it leaves or disconnects; never raises for bad input."""
        try:
            async with anyio.create_task_group() as task_group:
                self._task_group = task_group
                try:
                    async with aclosing(read_messages(self._channel, self._reader)) as messages:
                        await self._serve(messages)
                finally:
                    with anyio.CancelScope(shield=True):
                        await self._shut_down()
                    task_group.cancel_scope.cancel()
        finally:
            self.log.close()

    async def _serve(self, messages: AsyncIterator[dict[str, Any] | BadBody | FramingError]) -> None:
        """Dispatch the client's messages one by one until the stream ends or a disconnect."""
        async for item in messages:
            if isinstance(item, FramingError):
                self.log.record_error("client", str(item))
                await self.important(f"monadapter: unreadable message: {item}")
            elif isinstance(item, BadBody):
                self.log.record_error("client", item.error)
                await self.important(f"monadapter: unreadable message: {item.error}")
            else:
                self.log.record(CLIENT_TO_ADAPTER, item)
                await self._dispatch(self, item)
            if self.finished.is_set():
                return

    async def _shut_down(self) -> None:
        """End what this session started: the debuggee (unless detached), the agent link."""
        self._closed = True
        self.discard_head_start()
        if self.debuggee is not None and not self.debuggee.detached:
            if self.debuggee.attached:  # not ours to end: let it run on
                await self.end_debuggee(terminate=False, disconnect_arguments={})
            else:
                await self.debuggee.terminate()
        if self.agent is not None:
            await self.agent.aclose()
        for secret_file in self._secret_files:
            auth.remove_secret_file(secret_file)
        await self._channel.aclose()

    # --- talking to the client -------------------------------------------------------------

    async def respond(self, request_seq: int, command: str, body: dict[str, Any] | RawJSON | None) -> None:
        """Send a success response (a :class:`RawJSON` body goes out as the agent wrote it)."""
        message: dict[str, Any] = {
            "type": "response",
            "request_seq": request_seq,
            "command": command,
            "success": True,
        }
        if body is not None:
            message["body"] = body
        await self._writer.send(message)

    async def respond_error(
        self, request_seq: int, command: str, error: str, body: dict[str, Any] | None = None
    ) -> None:
        """Send a failure response whose ``message`` is ``error``.

        The schema's ErrorResponse requires a body; its ``error`` (a format string) is left out
        unless the agent gave one, so clients show ``message`` verbatim, braces and all.
        """
        await self._writer.send(
            {
                "type": "response",
                "request_seq": request_seq,
                "command": command,
                "success": False,
                "message": error,
                "body": body if body is not None else {},
            }
        )

    async def send_event(self, event: str, body: dict[str, Any] | None = None) -> None:
        """Send an event to the client (dropped once the session is closed)."""
        if self._closed:
            return
        message: dict[str, Any] = {"type": "event", "event": event}
        if body is not None:
            message["body"] = body
        await self._writer.send(message)

    async def important(self, text: str) -> None:
        """Tell the user about a problem that has no request to answer (an ``important`` output event)."""
        await self.send_event("output", {"category": "important", "output": text + "\n"})

    async def reverse_request(self, command: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """Send a request to the client and wait (bounded) for the body of its answer."""
        pending = PendingRequest(command)
        await self._writer.send(
            {"type": "request", "command": command, "arguments": arguments},
            before_write=lambda seq: self._reverse.__setitem__(seq, pending),
        )
        try:
            with anyio.fail_after(REVERSE_REQUEST_TIMEOUT):
                return await pending.decoded_result()
        except TimeoutError:
            raise AdapterError(f"the client did not answer {command!r} in time") from None

    def answer_reverse_request(self, response: dict[str, Any]) -> None:
        """Hand a client response to the reverse request waiting for it (unknown ones are ignored)."""
        pending = self._reverse.pop(response.get("request_seq"), None)  # type: ignore[arg-type]
        if pending is not None:
            pending.response = response
            pending.finish()

    def start_soon(self, function: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> None:
        """Run ``function(*args)`` as a task of this session."""
        assert self._task_group is not None
        self._task_group.start_soon(function, *args)

    # --- the debuggee ----------------------------------------------------------------------

    def require_agent(self) -> AgentLink:
        """The connected agent, or NoDebuggeeError."""
        if self.agent is None or self.agent.closed.is_set():
            raise NoDebuggeeError()
        return self.agent

    def require_debuggee(self) -> Debuggee:
        """The running debuggee, or NoDebuggeeError."""
        if self.debuggee is None or self.debuggee.ended.is_set():
            raise NoDebuggeeError()
        return self.debuggee

    async def start_debuggee(self, plan: LaunchPlan) -> None:
        """Start the debuggee (or keep the head start's, when it runs what ``plan`` says), wait for
        its agent's hello, send it the launch arguments.

        Raises:
            LaunchError: the process could not start, exited, or its agent failed to start.
        """
        head, self.head_start = self.head_start, None
        if head is not None and (self._use_terminal(plan) or not head.fits(plan)):
            head.discard()
            head = None
        if head is not None:
            secret, listener = head.secret, head.listener
        else:
            secret = auth.new_token()  # never on the command line, which other users can read
            listener = loopback_listener()
        with listener:
            port = sockets.local_port(listener)
            if self._use_terminal(plan):
                self.debuggee = await self._start_in_terminal(plan, port, secret)
            else:
                try:
                    process = (
                        head.process if head is not None else plan.with_env(**{auth.SECRET_ENV: secret}).spawn(port)
                    )
                except OSError as exc:
                    raise LaunchError(f"could not start the debuggee: {exc}") from None
                self.debuggee = Debuggee(process.pid, process)
                self._run_in_background(self.debuggee.watch, self.send_event, plan.arguments.redirectOutput)
            channel, reader = await self._until_debuggee_ends(
                peerauth.accept(listener, secret), "before the debugger connected"
            )
        await self._greet_agent(channel, reader, plan.launch_arguments, plan.target_name, "launch")

    def discard_head_start(self) -> None:
        """Kill the head start's debuggee, if the session did not keep it."""
        if self.head_start is not None:
            self.head_start.discard()
            self.head_start = None

    async def attach_debuggee(self, attach: AttachArguments, arguments: dict[str, Any]) -> None:
        """Attach to a running program: connect to one that listens (``connect``), or make process
        ``processId`` connect to us (adapter/pidattach.py); ``arguments`` (as the client sent them)
        go to its agent.

        Raises:
            AdapterError: nothing listens there, the token is refused, the process cannot be attached to.
        """
        if attach.processId is not None:
            from monadapter.adapter.pidattach import attach_to_process

            self.debuggee = Debuggee(attach.processId, None, attached=True)
            channel, reader = await attach_to_process(attach.processId)
            await self._greet_agent(channel, reader, arguments, f"process {attach.processId}", "attach")
            return
        host, port = attach.address
        try:
            with anyio.fail_after(ATTACH_CONNECT_TIMEOUT):
                channel = await _connect_when_listening(host, port)
        except (OSError, TimeoutError) as exc:
            raise AdapterError(
                f"could not connect to {host}:{port} ({exc or 'timed out'}); start the program with "
                f"python -m monadapter --listen {host}:{port} PROGRAM (or call monadapter.listen in it)"
            ) from None
        try:
            # no token: only a program that listens with --allow-unauthenticated lets us in (its secret is "")
            reader = await peerauth.connect_side(channel, attach.accessToken or "")
        except auth.AuthenticationError:
            await channel.aclose()
            if not attach.accessToken:
                raise AdapterError(
                    f"the program at {host}:{port} requires an access token: give it as accessToken (the one "
                    "it printed when it started listening, or was given with --access-token)"
                ) from None
            raise AdapterError(
                f"the program at {host}:{port} did not accept the access token (or is no monadapter agent)"
            ) from None
        except BaseException:  # cancelled by a disconnect (DueAnswers.settle): the program goes on listening
            await channel.aclose()
            raise
        self.debuggee = Debuggee(0, None, attached=True)
        await self._greet_agent(channel, reader, arguments, f"{host}:{port}", "attach")

    async def _greet_agent(
        self, channel: SocketChannel, reader: MessageReader, arguments: dict[str, Any], name: str, start_method: str
    ) -> None:
        """Run the agent link: wait for hello, send the client's arguments, announce the process."""
        debuggee = self.debuggee
        assert debuggee is not None
        self.agent = AgentLink(channel, self.log, reader)
        self.start_soon(self.agent.run, self._on_agent_event, self._writer)
        if debuggee.process is None:
            self.start_soon(self._watch_agent_only_debuggee, debuggee, self.agent)
        await self._until_debuggee_ends(self._agent_greeted.wait(), "before the debugger started")
        if self._agent_error is not None:
            raise LaunchError(self._agent_error)
        if debuggee.process is None and self._agent_hello is not None:
            debuggee.pid = int(self._agent_hello.get("pid", 0))
        options = {key: value for key, value in arguments.items() if key not in TOKENS}  # the program needs none
        await self._until_debuggee_ends(
            self.agent.request("monadapter/configure", options), "while it was being configured"
        )
        await self.send_event(
            "process",
            {
                "name": name,
                "systemProcessId": debuggee.pid,
                "isLocalProcess": not debuggee.attached,
                "startMethod": start_method,
            },
        )

    async def abandon_launch(self) -> None:
        """After a failed launch: end what was started, and let the client launch again."""
        self.discard_head_start()
        with anyio.CancelScope(shield=True):
            if self.debuggee is not None and not self.debuggee.detached:  # a disconnect may have detached it
                await self.debuggee.terminate()
            if self.agent is not None:
                await self.agent.aclose()
        self.agent = None
        self._agent_hello = self._agent_error = None
        self._agent_greeted = anyio.Event()
        self.launch_started = False

    async def wait_configured(self) -> None:
        """Wait for the configurationDone answer; LaunchError if the debuggee ends first."""
        await self._until_debuggee_ends(self.configured.wait(), "before configurationDone", timeout=None)

    async def end_debuggee(self, *, terminate: bool, disconnect_arguments: dict[str, Any]) -> None:
        """Terminate the debuggee, or detach from it (the agent lets the program run on)."""
        debuggee = self.debuggee
        if debuggee is None or debuggee.ended.is_set():
            return
        if terminate and not debuggee.attached:
            await debuggee.terminate()
            with anyio.move_on_after(DRAIN_TIMEOUT + 1):  # let exited/terminated go out first
                await debuggee.ended.wait()
            return
        debuggee.detached = True
        if self.agent is not None:
            with anyio.move_on_after(DETACH_TIMEOUT):
                try:
                    await self.agent.request("disconnect", disconnect_arguments)
                except AdapterError as exc:
                    logger.info("agent refused to detach: %s", exc)
            await self.agent.aclose()

    def _use_terminal(self, plan: LaunchPlan) -> bool:
        """runInTerminal only when asked for and the client can do it; else the debug console."""
        return plan.arguments.console != "internalConsole" and bool(
            self.client_arguments.get("supportsRunInTerminalRequest")
        )

    async def _start_in_terminal(self, plan: LaunchPlan, port: int, secret: str) -> Debuggee:
        """Ask the client to run the debuggee in a terminal; the secret goes in a private file too,
        since some clients drop runInTerminal's ``env`` (the agent removes the file once read)."""
        kind = "integrated" if plan.arguments.console == "integratedTerminal" else "external"
        secret_file = auth.write_secret_file(secret)
        self._secret_files.append(secret_file)
        body = await self.reverse_request(
            "runInTerminal",
            {
                "kind": kind,
                "title": "Python Debug Console",
                "cwd": plan.cwd,
                "args": plan.command(port, secret_file),
                "env": plan.env_changes,
            },
        )
        return Debuggee(int(body.get("processId") or 0), None)

    async def _watch_agent_only_debuggee(self, debuggee: Debuggee, agent: AgentLink) -> None:
        """Without a process handle, the agent hanging up is the debuggee's end (exit code unknown)."""
        await agent.closed.wait()
        if not debuggee.detached:
            await self.send_event("terminated", {})
        debuggee.ended.set()

    def _run_in_background(self, function: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> None:
        (self._background or self._task_group).start_soon(function, *args)  # type: ignore[union-attr]

    async def _until_debuggee_ends(
        self, awaitable: Awaitable[Any], when: str, *, timeout: float | None = AGENT_CONNECT_TIMEOUT
    ) -> Any:
        """Await ``awaitable``; raise LaunchError if the debuggee ends (or ``timeout`` passes) first."""
        debuggee = self.debuggee
        assert debuggee is not None
        result: list[Any] = []

        async def wait_for_it() -> None:
            result.append(await awaitable)
            scope.cancel()

        async def wait_for_end() -> None:
            await debuggee.ended.wait()
            scope.cancel()

        with anyio.move_on_after(timeout) as scope:
            async with anyio.create_task_group() as waiters:
                waiters.start_soon(wait_for_it)
                waiters.start_soon(wait_for_end)
        if result:
            return result[0]
        if debuggee.ended.is_set():
            code = f" with code {debuggee.exit_code}" if debuggee.exit_code is not None else ""
            raise LaunchError(f"the debuggee exited{code} {when} (see its output)")
        raise LaunchError(f"the debuggee did not respond within {AGENT_CONNECT_TIMEOUT:g} s {when}")

    async def _on_agent_event(self, message: dict[str, Any]) -> None:
        """Relay an agent event, except the agent-only ``monadapter/*`` ones, which we consume; one
        the link gives as its ``text`` (agentlink.event_text) goes out as the agent wrote it."""
        text = message.get("text")
        if text is not None:
            if not self._closed:
                await self._writer.forward(text)
            return
        event = str(message.get("event"))
        body = message.get("body")
        if event == "monadapter/hello":
            self._agent_hello = body if isinstance(body, dict) else {}
            self._agent_greeted.set()
        elif event == "monadapter/error":
            self._agent_error = str((body or {}).get("message") or "the debugger failed to start")
            self._agent_greeted.set()
        elif not event.startswith("monadapter/"):
            await self.send_event(event, body if isinstance(body, dict) else None)


async def _connect_when_listening(host: str, port: int) -> SocketChannel:
    """Connect, retrying while the program is still starting (connection refused)."""
    while True:
        try:
            return await sockets.connect(host, port)
        except ConnectionRefusedError:
            await anyio.sleep(0.1)

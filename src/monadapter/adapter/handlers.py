"""The handler table: one async function per request the adapter answers itself; the rest are relayed.

A handler returns the response body (or None), raises an ``AdapterError`` whose text becomes the
error message, returns :class:`Relay` to have the request forwarded to the agent, whose answer
becomes ours, or returns :class:`Later` when the answer has to wait (the end of the configuration
phase) so that the session goes on reading the client's messages meanwhile.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from monadapter.adapter.capabilities import capabilities
from monadapter.adapter.errors import AdapterError
from monadapter.adapter.requests import ParsedRequest
from monadapter.agent.wire import RawJSON

if TYPE_CHECKING:  # for typing only: the session imports none of these (no import cycle)
    from monadapter.adapter.session import Session

Body = dict[str, Any] | RawJSON | None


@dataclass(frozen=True, slots=True)
class Later:
    """A deferred answer: ``answer`` gives the body."""

    answer: Awaitable[Body]


@dataclass(frozen=True, slots=True)
class Relay:
    """Forward the request to the agent as the client sent it; the agent's answer becomes ours (its
    body undecoded), sent by the agent link's reading loop as soon as it is read, so before any event
    the agent sent after it (adapter/agentlink.py); then ``after`` runs, if the answer was a success."""

    after: Callable[[], None] | None = None


Handler = Callable[["Session", ParsedRequest], Awaitable[Body | Later | Relay]]


def arguments_of(request: ParsedRequest) -> dict[str, Any]:
    """The request's arguments as the client sent them (already validated)."""
    arguments = request.raw.get("arguments")
    return arguments if isinstance(arguments, dict) else {}


async def initialize(session: Session, request: ParsedRequest) -> Body:
    """Remember what the client can do (runInTerminal...) and say what we can do."""
    session.client_arguments = arguments_of(request)
    return capabilities()


async def launch(session: Session, request: ParsedRequest) -> Later:
    """Start the debuggee; the response waits for configurationDone (docs/architecture.md)."""
    return _begin(session, _launch(session, request.raw))


def _begin(session: Session, connecting: Coroutine[Any, Any, None]) -> Later:
    """launch and attach alike: one debuggee per session, the response after configurationDone."""
    if session.lifecycle.launch_started:
        connecting.close()
        raise AdapterError("this session already has a debuggee")
    session.lifecycle.launch_started = True
    return Later(_start(session, connecting))


async def _launch(session: Session, message: dict[str, Any]) -> None:
    """Plan the launch (a certain one without pydantic, as the head start did) and start it."""
    from monadapter.adapter.children import follow_children
    from monadapter.adapter.headstart import certain_launch
    from monadapter.adapter.plan import make_plan

    arguments = message["arguments"]  # an object: the request was validated
    certain = certain_launch(message)
    if certain is not None:
        plan = make_plan(certain, arguments)
    else:
        from monadapter.adapter.launch import plan_launch  # pydantic's launch model: only when needed

        plan = await plan_launch(arguments)
    await session.lifecycle.start(await follow_children(session, plan))


async def _start(session: Session, connected: Awaitable[None]) -> Body:
    """Common tail of launch and attach: once the agent is there, ``initialized``, then wait for
    configurationDone; a failure ends whatever was started and lets the client try again."""
    try:
        await connected
    except BaseException:
        await session.lifecycle.abandon()
        raise
    await session.send_event("initialized")
    await session.lifecycle.wait_configured()
    return None


async def attach(session: Session, request: ParsedRequest) -> Later:
    """Connect to a program waiting under ``python -m monadapter.agent --listen``; answer after configurationDone."""
    return _begin(session, _attach(session, arguments_of(request)))


async def _attach(session: Session, arguments: dict[str, Any]) -> None:
    from monadapter.adapter.launch import parse_attach_arguments  # pydantic's attach model: only when needed

    await session.lifecycle.attach(parse_attach_arguments(arguments), arguments)


async def configuration_done(session: Session, request: ParsedRequest) -> Relay:
    """Relay to the agent (which then runs the program); the launch response follows ours."""
    return Relay(after=session.lifecycle.configured.set)


async def disconnect(session: Session, request: ParsedRequest) -> Body:
    """End the session: terminate the debuggee (default for launch) or detach from it."""
    arguments = arguments_of(request)
    terminate = arguments.get("terminateDebuggee")
    # before the debuggee ends: a launch it fails meanwhile ("exited before the debugger connected")
    # is one the disconnect cancelled, answered ``cancelled`` (DueAnswers.settle)
    session.answers.disconnecting = True
    await session.lifecycle.end(terminate=terminate is not False, disconnect_arguments=arguments)
    await session.answers.settle(
        session.lifecycle.configured
    )  # the requests sent before this one are answered before it
    session.finished = True
    return None


async def terminate(session: Session, request: ParsedRequest) -> Body:
    """Ask the debuggee to end (SIGTERM, then SIGKILL); exited/terminated events follow."""
    debuggee = session.lifecycle.require_debuggee()
    if debuggee.attached:
        raise AdapterError("an attached program is not ours to terminate: disconnect leaves it running")
    session.start_soon(debuggee.terminate)
    return None


async def cancel(session: Session, request: ParsedRequest) -> Body:
    """``cancel`` of a request relayed to the agent and still running there (an ``evaluate`` stuck in
    ``while True: pass``): the agent interrupts it, and it fails with the message ``cancelled``.
    A request already answered, or unknown, cannot be cancelled: the cancel fails saying so (DAP: a
    client should not show that error). A ``progressId`` names nothing of ours (we report no progress)."""
    request_id = arguments_of(request).get("requestId")
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        return None
    agent = session.lifecycle.require_agent()
    seq = agent.relayed_seq(request_id)
    if seq is None:
        raise AdapterError(f"request {request_id} is not running: nothing to cancel")
    await agent.request("cancel", {"requestId": seq})
    return None


#: command -> handler for the requests the adapter answers itself; any other valid request is relayed.
HANDLERS: dict[str, Handler] = {
    "initialize": initialize,
    "launch": launch,
    "attach": attach,
    "configurationDone": configuration_done,
    "disconnect": disconnect,
    "terminate": terminate,
    "cancel": cancel,
}

"""Turns one client message into a response: validate, look up the handler, run it, answer.

Nothing a client sends can end the session from here: a message that is not a valid request
gets an error response (or, when it names no request, an ``important`` output event), and a
handler's failure becomes an error response with its message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio

from monadapter.adapter import access
from monadapter.adapter.agentlink import answer_body
from monadapter.adapter.certain import certain_request
from monadapter.adapter.errors import AdapterError, AgentGoneError, AgentRequestFailed, LaunchError, NoDebuggeeError
from monadapter.adapter.handlers import HANDLERS, Later, Relay
from monadapter.adapter.requests import ParsedRequest, RequestValidationError

if TYPE_CHECKING:  # for typing only: the session imports none of these (no import cycle)
    from monadapter.adapter.session import Session

logger = logging.getLogger(__name__)

#: The failures a disconnect causes in the requests it leaves waiting: the agent detached or the
#: debuggee ended (an answer the agent gave, AgentRequestFailed, is relayed as it is).
_ENDED_BY_DISCONNECT = (AgentGoneError, LaunchError, NoDebuggeeError)


async def dispatch(session: Session, message: dict[str, Any], text: bytes) -> None:
    """Handle one decoded client message; ``text``: its JSON text as the client sent it (what a
    relayed request goes to the agent as)."""
    kind = message.get("type")
    if kind == "response":
        session.answer_reverse_request(message)
        return
    if kind != "request":
        await session.important(f"monadapter: ignored a message of type {kind!r}: expected a request")
        return
    request = certain_request(message)  # most requests, without pydantic (adapter/certain.py)
    if request is None:
        from monadapter.protocol import parse_request  # pydantic and the models: loaded by the first one

        try:
            request = parse_request(message)
        except RequestValidationError as exc:
            await _reject(session, exc)
            return
    denied = access.refusal(session, request)
    if denied is not None:
        refusal, close = denied
        await session.respond_error(request.seq, request.command, refusal)
        if close:
            session.finished = True
        return
    handler = HANDLERS.get(request.command)
    if handler is None:  # any other valid request: the agent answers it
        await _relay(session, request, text, None)
        return
    try:
        result = await handler(session, request)
    except Exception as exc:
        await _fail(session, request, exc)
        return
    if isinstance(result, Relay):
        await _relay(session, request, text, result.after)
    elif isinstance(result, Later):
        # due from now on: a disconnect read next must find it, even before the task has started
        scope = anyio.CancelScope()
        session.answers.note(request.seq, request.command, scope)
        session.start_soon(_finish_later, session, request, result, scope)
    else:
        await session.respond(request.seq, request.command, result)


async def _relay(session: Session, request: ParsedRequest, text: bytes, after: Callable[[], None] | None) -> None:
    """Forward ``request`` (``text``, as the client wrote it) to the agent; its answer is sent from the agent link's reading loop, which
    answers it too when the agent goes away first (``cancelled`` if a disconnect made it go)."""

    async def answered(response: dict[str, Any] | None) -> None:
        try:
            try:
                body = answer_body(request.command, response)
            except AdapterError as exc:
                if session.answers.disconnecting and isinstance(exc, _ENDED_BY_DISCONNECT):
                    await _cancelled(session, request)
                else:
                    await _fail(session, request, exc)
                return
            await session.respond(request.seq, request.command, body)
        finally:
            session.answers.sent(request.seq)
        if after is not None:
            after()

    session.answers.note(request.seq, request.command)
    try:
        await session.lifecycle.require_agent().relay(request.seq, request.command, text, answered)
    except Exception as exc:
        session.answers.sent(request.seq)
        await _fail(session, request, exc)


async def _finish_later(session: Session, request: ParsedRequest, later: Later, scope: anyio.CancelScope) -> None:
    """Wait for a deferred answer and send it. A disconnect cancels what can no longer be answered
    (``DueAnswers.settle``): it is answered ``cancelled`` then, as is a request that fails
    because the client disconnected (its debuggee detached or ended)."""
    body: Any = None
    failure: Exception | None = None
    try:
        with scope:  # only the wait is cancelled, never the sending of an answer
            try:
                body = await later.answer
            except Exception as exc:
                failure = exc
        if scope.cancelled_caught or (session.answers.disconnecting and isinstance(failure, _ENDED_BY_DISCONNECT)):
            await _cancelled(session, request)
        elif failure is not None:
            await _fail(session, request, failure)
        else:
            await session.respond(request.seq, request.command, body)
    finally:
        session.answers.sent(request.seq)


async def _cancelled(session: Session, request: ParsedRequest) -> None:
    """The answer of a request the client's disconnect cancelled: ``message`` is DAP's word for it."""
    text = f"{request.command} cancelled: the client disconnected before it was answered"
    await session.respond_error(request.seq, request.command, "cancelled", {"error": {"id": 1, "format": text}})


async def _reject(session: Session, error: RequestValidationError) -> None:
    """Answer an invalid request, or say so in the output when it cannot be answered."""
    if error.seq is None:
        await session.important(f"monadapter: {error}")
    else:
        await session.respond_error(error.seq, error.command or "", str(error))


async def _fail(session: Session, request: ParsedRequest, exc: Exception) -> None:
    """Send the error response for a handler that raised."""
    if isinstance(exc, AgentRequestFailed):
        await session.respond_error(request.seq, request.command, str(exc), exc.body)
    elif isinstance(exc, AdapterError):
        await session.respond_error(request.seq, request.command, str(exc))
    else:  # a bug in the adapter: keep the session, tell the user, keep the traceback
        logger.exception("handler for %r failed", request.command)
        await session.respond_error(
            request.seq, request.command, f"internal error in monadapter: {type(exc).__name__}: {exc}"
        )

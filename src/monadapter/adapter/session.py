"""One DAP session: the client connection, and the lifetimes of what it starts.

A session reads the client's messages one at a time and hands each to the dispatcher (given by the server), so
requests reach the agent in the order the client sent them. Work that has to wait (a launch
waiting for ``configurationDone``, a relayed request waiting for the agent) runs as a task in
the session's task group. The debuggee and its agent link are its :class:`DebuggeeLifecycle`'s
(adapter/lifecycle.py), whose tasks run in the session's task groups; when the client leaves or
disconnects, a debuggee that was not detached is terminated.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import anyio
from anyio.abc import TaskGroup

from monadapter.adapter.agentlink import PendingRequest
from monadapter.adapter.answers import DueAnswers
from monadapter.adapter.errors import AdapterError
from monadapter.adapter.lifecycle import DebuggeeLifecycle
from monadapter.adapter.messagelog import ADAPTER_TO_CLIENT, CLIENT_TO_ADAPTER, MessageLog
from monadapter.adapter.transport import ByteChannel, MessageWriter, take_frame
from monadapter.agent.wire import MAX_REQUEST_BYTES, BadBody, FramingError, MessageReader, RawJSON, decode

#: How long the client may take to answer a reverse request (runInTerminal).
REVERSE_REQUEST_TIMEOUT = 30.0


#: What a session hands each client message to, with its JSON text as the client sent it
#: (``dispatcher.dispatch``, given by the server: the dispatcher's handlers act on sessions, so the
#: session does not import them).
Dispatch = Callable[["Session", dict[str, Any], bytes], Awaitable[None]]


class Session:
    """The state of one client connection; handlers act on it (and on its ``lifecycle``)."""

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
        #: what goes to the client (the agent link's reading loop writes relayed answers here too)
        self.writer = MessageWriter(channel, log, ADAPTER_TO_CLIENT, sent=sent)
        #: where debuggee watchers run: outlives the session so a detached debuggee's output is
        #: still read (a full pipe would block it); None means the session's own task group
        self._background = background
        self._task_group: TaskGroup | None = None
        self._reverse: dict[int, PendingRequest] = {}
        self.client_arguments: dict[str, Any] = {}
        #: the client disconnected, or was refused for good: the session reads no more
        self.finished = False
        #: the session is shutting down: events are dropped
        self.closed = False
        #: the server's ``--access-token``: launch and attach must carry it (adapter/access.py)
        self.access_token: str | None = None
        #: the client gave the access token (or none is needed)
        self.authenticated = False
        #: the deferred answers not sent yet: a disconnect is answered after them (adapter/answers.py)
        self.answers = DueAnswers()
        #: the debuggee and its agent link, from launch or attach to their end
        self.lifecycle = DebuggeeLifecycle(self)

    async def run(self) -> None:
        """Serve the client until it leaves or disconnects; never raises for bad input."""
        try:
            async with anyio.create_task_group() as task_group:
                self._task_group = task_group
                try:
                    await self._serve()
                finally:
                    with anyio.CancelScope(shield=True):
                        await self._shut_down()
                    task_group.cancel_scope.cancel()
        finally:
            self.log.close()

    async def _serve(self) -> None:
        """Dispatch the client's messages one by one until the stream ends or a disconnect."""
        reader = self._reader
        while True:
            raw = take_frame(reader)
            if raw is None:
                if reader.at_eof:
                    return
                await self._channel.receive_into(reader)
                continue
            if isinstance(raw, FramingError):
                self.log.record_error("client", str(raw))
                await self.important(f"monadapter: unreadable message: {raw}")
                if not raw.recoverable:
                    return
                continue
            item = decode(raw)
            if isinstance(item, BadBody):
                self.log.record_error("client", item.error)
                await self.important(f"monadapter: unreadable message: {item.error}")
            else:
                if self.log.enabled:
                    self.log.record(CLIENT_TO_ADAPTER, item)
                await self._dispatch(self, item, raw)
            if self.finished:
                return

    async def _shut_down(self) -> None:
        """End what this session started (the debuggee unless detached, the agent link), then the connection."""
        self.closed = True
        await self.lifecycle.shut_down()
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
        await self.writer.send(message)

    async def respond_error(
        self, request_seq: int, command: str, error: str, body: dict[str, Any] | None = None
    ) -> None:
        """Send a failure response whose ``message`` is ``error``.

        The schema's ErrorResponse requires a body; its ``error`` (a format string) is left out
        unless the agent gave one, so clients show ``message`` verbatim, braces and all.
        """
        await self.writer.send(
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
        if self.closed:
            return
        message: dict[str, Any] = {"type": "event", "event": event}
        if body is not None:
            message["body"] = body
        await self.writer.send(message)

    async def important(self, text: str) -> None:
        """Tell the user about a problem that has no request to answer (an ``important`` output event)."""
        await self.send_event("output", {"category": "important", "output": text + "\n"})

    async def reverse_request(self, command: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """Send a request to the client and wait (bounded) for the body of its answer."""
        pending = PendingRequest(command)
        await self.writer.send(
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

    def run_in_background(self, function: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> None:
        """Run ``function(*args)`` where debuggee watchers run: the server's background task group
        (it outlives the session, so a detached debuggee's output is still read), else the session's."""
        (self._background or self._task_group).start_soon(function, *args)  # type: ignore[union-attr]

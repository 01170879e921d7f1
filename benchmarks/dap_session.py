"""One DAP session with an adapter process on stdio, on top of :class:`monadapter.client.DapClient`.

The client is the one the project's tests use; this wrapper adds what a measurement needs: every
failure becomes :class:`~benchmarks.jobs.Unsupported` with the adapter's message (so the table
can say why a cell is empty), a wait for a stop ends early when the program ends instead (and the
wait for ``initialized`` when the launch fails, quoting the debuggee's stderr), and a debuggee left
running by a run that was cut off is killed so it cannot slow the next one.
"""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio

from benchmarks.jobs import Unsupported
from monadapter.client import DapClient, DapConnectionClosed, DapError, DapTimeout, PendingResponse

#: How often a wait for one event looks at whether an event that ends the wait arrived instead.
_UNEXPECTED_CHECK = 0.25
#: Seconds the client gives the adapter to exit after its stdin closed, before killing it.
_CLOSE_GRACE = 5.0
#: Seconds a wait ended by the program's end gives the request that failed with it to say why.
_ANSWER_GRACE = 2.0
#: How much of the debuggee's last line on stderr an error message quotes.
_STDERR_QUOTED = 300


class DapSession:
    """Requests and events of one adapter session, failures reported as :class:`Unsupported`."""

    def __init__(self, client: DapClient, timeout: float) -> None:
        self._client = client
        self._timeout = timeout
        self._disconnected = False
        #: bodies of responses read early by :meth:`event` (seq -> body), for :meth:`response`
        self._early: dict[int, dict[str, Any]] = {}

    async def start_request(self, command: str, arguments: dict[str, Any]) -> PendingResponse:
        """Send a request now (``launch`` answers only after ``configurationDone``); see :meth:`response`."""
        self._disconnected |= command == "disconnect"
        return await self._client.send_request(command, arguments, timeout=self._timeout)

    async def response(self, pending: PendingResponse) -> dict[str, Any]:
        """The body of a request sent with :meth:`start_request`."""
        if pending.seq in self._early:
            return self._early.pop(pending.seq)
        try:
            return await pending.result(self._timeout)
        except DapError as exc:
            raise Unsupported(f"{pending.command} failed: {exc}") from None
        except DapConnectionClosed as exc:
            raise Unsupported(str(exc)) from None

    async def request(self, command: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """Send a request and return its response body."""
        return await self.response(await self.start_request(command, arguments))

    async def event(
        self, name: str, *, unexpected: Sequence[str] = (), answer: PendingResponse | None = None
    ) -> dict[str, Any]:
        """The body of the next ``name`` event; an ``unexpected`` event arriving first ends the run,
        and so does a failed ``answer``: a request whose response comes first only when it failed
        (``launch``, before ``initialized``). The run then ends with the adapter's message and the
        end of the debuggee's stderr, at once rather than when the wait times out.

        The client waits for one event name at a time, so the wait goes in short slices and looks
        for the unexpected ones in between; the event itself is returned as soon as it is read.
        """
        seen = len(self._client.events)
        with anyio.fail_after(self._timeout):
            while True:
                try:
                    event = await self._client.wait_for_event(name, timeout=_UNEXPECTED_CHECK)
                    return event.get("body") or {}
                except DapTimeout:
                    pass
                except DapConnectionClosed as exc:
                    raise Unsupported(str(exc)) from None
                if answer is not None and answer.seq in self._client.answer_order and answer.seq not in self._early:
                    self._early[answer.seq] = await self._answer_or_why(answer)
                for event in self._client.events[seen:]:
                    if event.get("event") in unexpected:
                        if answer is not None and answer.seq not in self._early:
                            with anyio.move_on_after(_ANSWER_GRACE):  # a launch that failed says why
                                self._early[answer.seq] = await self._answer_or_why(answer)
                        raise Unsupported(
                            f"got '{event['event']}' {event.get('body') or ''} while waiting for '{name}'"
                            + self._stderr_tail()
                        )

    async def _answer_or_why(self, pending: PendingResponse) -> dict[str, Any]:
        """The body of ``pending``'s response; when it failed, the failure with the debuggee's stderr."""
        try:
            return await self.response(pending)
        except Unsupported as exc:
            raise Unsupported(f"{exc}{self._stderr_tail()}") from None

    def _stderr_tail(self) -> str:
        """The last line the debuggee wrote to stderr (a traceback's exception), for a message
        saying why a run ended."""
        lines = self._client.output("stderr").strip().splitlines()
        return f"; its stderr ended: {lines[-1][-_STDERR_QUOTED:]!r}" if lines else ""

    @property
    def debuggee_pid(self) -> int | None:
        """The debuggee's pid from the ``process`` event, if one came."""
        for event in self._client.events:
            pid = (event.get("body") or {}).get("systemProcessId") if event.get("event") == "process" else None
            if isinstance(pid, int):
                return pid
        return None

    @property
    def ended(self) -> bool:
        """True once the adapter reported the program's end (``exited`` or ``terminated``)."""
        return any(event.get("event") in ("exited", "terminated") for event in self._client.events)

    async def farewell(self) -> None:
        """``disconnect`` as an editor does at the end, unless the job did; an adapter already gone is fine."""
        if self._disconnected:
            return
        with anyio.move_on_after(2):
            try:
                await self._client.request("disconnect", {}, timeout=2)
            except (DapError, DapConnectionClosed, DapTimeout):
                pass

    def kill_debuggee(self) -> None:
        """End a debuggee left running (a run cut off mid-way) so it cannot slow the next
        measurement; only while the adapter has not reported its end, so a recycled pid is never hit."""
        pid = self.debuggee_pid
        if pid is None or self.ended:
            return
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


@asynccontextmanager
async def open_session(argv: Sequence[str], timeout: float) -> AsyncIterator[DapSession]:
    """Start the adapter (in its own session, away from our terminal's signals) and yield a
    session; at the end say ``disconnect``, kill a debuggee still running, stop the adapter."""
    async with DapClient.spawn(list(argv), timeout=_CLOSE_GRACE, start_new_session=True) as client:
        session = DapSession(client, timeout)
        try:
            yield session
            await session.farewell()
        finally:
            session.kill_debuggee()

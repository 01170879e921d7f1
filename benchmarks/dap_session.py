"""One DAP session with an adapter process on stdio, as the benchmark driver needs it.

Requests are answered in their own time (``launch`` answers only after ``configurationDone``),
so a request can be started and awaited later. Events are kept in arrival order and consumed
by name; an event that means the run went wrong (``terminated`` while waiting for a stop) ends
the run with :class:`~benchmarks.jobs.Unsupported` instead of a hang. The adapter's output is
read only while the driver waits for something, which it always does in a timed section, so
no background task (and no task group around the caller's code) is needed.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
from anyio.abc import Process

from benchmarks.jobs import Unsupported
from monadapter.agent.wire import BadBody, MessageReader, encode


class PendingRequest:
    """A request sent and not yet answered."""

    def __init__(self, session: DapSession, seq: int, command: str) -> None:
        self._session = session
        self._seq = seq
        self._command = command

    async def response(self) -> dict[str, Any]:
        """The response body; a failed request raises :class:`Unsupported` with the adapter's message."""
        return await self._session.wait_response(self._seq, self._command)


class DapSession:
    """Request/response and events over one adapter's stdin/stdout."""

    def __init__(self, process: Process, timeout: float) -> None:
        self._process = process
        self._timeout = timeout
        self._reader = MessageReader()
        self._seq = 0
        self._responses: dict[int, dict[str, Any]] = {}
        self._events: list[dict[str, Any]] = []
        self._consumed = 0
        #: The debuggee's pid from the ``process`` event, for clean-up of a run cut off mid-way.
        self.debuggee_pid: int | None = None
        #: True once the adapter reported the program's end (``exited`` or ``terminated``).
        self.ended = False

    async def start_request(self, command: str, arguments: dict[str, Any]) -> PendingRequest:
        """Send a request now; await its answer later with :meth:`PendingRequest.response`."""
        self._seq += 1
        await self._send({"seq": self._seq, "type": "request", "command": command, "arguments": arguments})
        return PendingRequest(self, self._seq, command)

    async def request(self, command: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """Send a request and return its response body."""
        return await (await self.start_request(command, arguments)).response()

    async def wait_response(self, seq: int, command: str) -> dict[str, Any]:
        """Wait for the answer to request ``seq``."""
        with anyio.fail_after(self._timeout):
            while seq not in self._responses:
                await self._receive(f"the {command} response")
        response = self._responses.pop(seq)
        if not response.get("success"):
            raise Unsupported(f"{command} failed: {response.get('message') or response.get('body')}")
        return response.get("body") or {}

    async def event(self, name: str, *, unexpected: Sequence[str] = ()) -> dict[str, Any]:
        """The body of the next ``name`` event; other events before it are skipped, ``unexpected``
        ones end the run."""
        with anyio.fail_after(self._timeout):
            while True:
                while self._consumed < len(self._events):
                    event = self._events[self._consumed]
                    self._consumed += 1
                    if event["event"] == name:
                        return event.get("body") or {}
                    if event["event"] in unexpected:
                        raise Unsupported(f"got '{event['event']}' {event.get('body') or ''} while waiting for '{name}'")
                await self._receive(f"the '{name}' event")

    async def farewell(self) -> None:
        """``disconnect`` as an editor does at the end; an adapter already gone is fine."""
        with anyio.move_on_after(2):
            try:
                await self.request("disconnect", {})
            except Unsupported:
                pass

    async def _send(self, message: dict[str, Any]) -> None:
        assert self._process.stdin is not None
        try:
            await self._process.stdin.send(encode(message))
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            raise Unsupported(f"the adapter stopped reading before '{message.get('command')}'") from None

    async def _receive(self, what: str) -> None:
        """Read one chunk of the adapter's output and file every whole message in it."""
        assert self._process.stdout is not None
        try:
            chunk = await self._process.stdout.receive()
        except anyio.EndOfStream:
            raise Unsupported(f"the adapter closed its output before {what}") from None
        self._reader.feed(chunk)
        while (message := self._reader.next_message()) is not None:
            if not isinstance(message, BadBody):
                await self._dispatch(message)

    async def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "response":
            self._responses[message["request_seq"]] = message
        elif kind == "event":
            body = message.get("body") or {}
            if message.get("event") == "process" and isinstance(body.get("systemProcessId"), int):
                self.debuggee_pid = body["systemProcessId"]
            if message.get("event") in ("exited", "terminated"):
                self.ended = True
            self._events.append(message)
        elif kind == "request":  # a reverse request (runInTerminal, startDebugging): we offer neither
            self._seq += 1
            await self._send(
                {
                    "seq": self._seq,
                    "type": "response",
                    "request_seq": message.get("seq"),
                    "command": message.get("command"),
                    "success": False,
                    "message": "the benchmark client supports no reverse requests",
                }
            )


@asynccontextmanager
async def open_session(argv: Sequence[str], timeout: float) -> AsyncIterator[DapSession]:
    """Start the adapter in its own process group and yield a session; at the end say
    ``disconnect`` and end the whole group, so nothing the adapter started outlives the run."""
    process = await anyio.open_process(list(argv), stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        session = DapSession(process, timeout)
        yield session
        await session.farewell()
    finally:
        with anyio.CancelScope(shield=True):  # clean up even when the run was cut off
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            await process.aclose()

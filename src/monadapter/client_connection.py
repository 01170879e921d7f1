"""The protocol side of :mod:`monadapter.client`: the transport, ``seq``, responses, events and the
reverse requests a client answers, and the errors a wait ends with.

Apart from the typed requests and test conveniences (client.py's :class:`~monadapter.client.DapClient`)
so that each module holds one concern; import these names from :mod:`monadapter.client`, which
re-exports them.

The client runs no background task (so it can be entered and left from different tasks, as
pytest fixtures do). asyncio reads for it (client_link.py): each chunk the adapter sends is filed
as it comes, from the event loop's own callback (responses by ``request_seq``, events into
:attr:`DapConnection.events`, reverse requests answered at once), and the waits (client_waits.py)
are woken to look again. No event is ever lost: :meth:`DapConnection.wait_for_event` looks at what was already
received first. Every wait has a timeout.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Awaitable, Callable, Generator
from typing import Any, Self

import anyio
from pydantic_core import from_json

from monadapter.agent.wire import BadBody, MessageReader, decode, encode
from monadapter.client_errors import DapConnectionClosed, DapError
from monadapter.client_link import AdapterProcess, Link, Sink, open_process, open_tcp
from monadapter.client_waits import Waits

#: Default seconds for every wait.
DEFAULT_TIMEOUT = 10.0

Predicate = Callable[[dict[str, Any]], bool]
#: Opens the connection, giving it what asyncio reads: the link, and the adapter process when one
#: was started.
Opener = Callable[[Sink], Awaitable[tuple[Link, AdapterProcess | None]]]


def _decoded(raw: bytes) -> dict[str, Any] | BadBody:
    """The message a frame's body holds, as :func:`~monadapter.agent.wire.decode` gives it.

    Read by pydantic's JSON parser (the adapter depends on pydantic already) first: it takes ~40 % fewer
    instructions than ``json``'s, ~55 M for a 1.4 MB ``variables`` answer (benchmarks S11), and what it
    reads it reads as ``json`` does. What it refuses (a lone surrogate's escape, which ``json`` reads
    as that surrogate; bytes that are not JSON) or reads as no object goes to ``decode``. It caches
    only keys' strings: values (the 10,000 different ``value`` and ``evaluateName`` texts of a
    variables page) hashed into its cache cost ~30 % of the parse and are rarely met again.
    """
    try:
        message = from_json(raw, cache_strings="keys")
    except ValueError:
        return decode(raw)
    return message if isinstance(message, dict) else decode(raw)


class PendingResponse:
    """A request that was sent and whose response has not been awaited yet (``await`` it)."""

    def __init__(self, client: DapConnection, seq: int, command: str, timeout: float) -> None:
        self._client = client
        self.seq = seq
        self.command = command
        self._timeout = timeout

    async def result(self, timeout: float | None = None) -> dict[str, Any]:
        """Wait for the response and return its body; raise DapError when it failed."""
        return await self._client._response_body(self.seq, self.command, timeout or self._timeout)

    def __await__(self) -> Generator[Any, None, dict[str, Any]]:
        return self.result().__await__()


class DapConnection:
    """The protocol side of a DAP client session: the transport, ``seq``, responses, events and the
    reverse requests it answers. :class:`DapClient` adds the typed requests and test conveniences."""

    def __init__(self, opener: Opener, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._opener = opener
        self.timeout = timeout
        self._link: Link | None = None
        self._process: AdapterProcess | None = None
        self._reader = MessageReader()
        self._waits = Waits()
        self._seq = 0
        self._responses: dict[int, dict[str, Any]] = {}
        #: request seq -> how many events came before its response: what a client saw before an
        #: answer (a ``stopped`` event before a continue's answer is a stop that continue ended)
        self.events_before: dict[int, int] = {}
        #: the seqs of the requests answered, in the order their responses came
        self.answer_order: list[int] = []
        #: every event received, in order
        self.events: list[dict[str, Any]] = []
        #: event name -> indexes in ``events`` of the events of that name wait_for_event has not
        #: returned yet, in order: a wait looks only at those, so thousands of other events (one
        #: ``breakpoint`` event per breakpoint of a large file) cost nothing per read
        self._untaken: dict[str, list[int]] = {}
        #: every reverse request the adapter sent (runInTerminal, startDebugging), in order
        self.reverse_requests: list[dict[str, Any]] = []
        #: processes started for runInTerminal; killed when the client closes
        self.terminal_processes: list[subprocess.Popen[bytes]] = []
        #: the capabilities from the initialize response
        self.capabilities: dict[str, Any] = {}
        #: makes a client for a child session: to the same adapter server, or a new adapter process
        self._sibling: Callable[[], Self] | None = None
        self._children_taken = 0  # how many startDebugging requests wait_for_child returned
        #: say yes to startDebugging (then open each child's session: wait_for_child, attached_child);
        #: off, the client declines, and a child process runs on undebugged at once instead of
        #: waiting for a session nobody opens
        self.follow_children = False
        #: run runInTerminal's command as Emacs dap-mode does: its arguments joined with spaces,
        #: unquoted, through ``sh -c``, in its cwd, without its env
        self.terminal_joins_arguments = False
        #: stdin of the runInTerminal processes (``subprocess.PIPE`` to type into the program)
        self.terminal_stdin: int | None = None

    # --- opening and closing ---------------------------------------------------------------

    @classmethod
    def connect(cls, host: str, port: int, *, timeout: float = DEFAULT_TIMEOUT) -> Self:
        """A client for the adapter listening at ``host:port`` (connects on ``async with``)."""

        async def opener(sink: Sink) -> tuple[Link, None]:
            with anyio.fail_after(timeout):
                return await open_tcp(host, port, sink), None

        client = cls(opener, timeout=timeout)
        client._sibling = lambda: cls.connect(host, port, timeout=timeout)
        return client

    @classmethod
    def spawn(cls, argv: list[str], *, timeout: float = DEFAULT_TIMEOUT, **process_options: Any) -> Self:
        """A client for an adapter process started as ``argv`` and spoken to over its stdio."""

        async def opener(sink: Sink) -> tuple[Link, AdapterProcess]:
            return await open_process(argv, sink, **process_options)

        client = cls(opener, timeout=timeout)
        client._sibling = lambda: cls.spawn(argv, timeout=timeout, **process_options)
        return client

    async def __aenter__(self) -> Self:
        self._link, self._process = await self._opener(self)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection, stop a spawned adapter and any runInTerminal processes."""
        with anyio.CancelScope(shield=True):
            self._waits.close()
            if self._link is not None:
                await self._link.aclose(self.timeout)
            if self._process is not None:
                with anyio.move_on_after(self.timeout):
                    await self._process.wait()
                if self._process.returncode is None:
                    self._process.kill()
                    await self._process.wait()
                self._process.close()
            for process in self.terminal_processes:
                if process.poll() is None:
                    process.kill()
                process.wait()

    # --- requests --------------------------------------------------------------------------

    async def send_request(
        self, command: str, arguments: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> PendingResponse:
        """Send a request without waiting for its response; await the returned object for it."""
        message: dict[str, Any] = {"type": "request", "command": command}
        if arguments is not None:
            message["arguments"] = arguments
        seq = await self.send_message(message)
        return PendingResponse(self, seq, command, timeout or self.timeout)

    async def request(
        self, command: str, arguments: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> dict[str, Any]:
        """Send a request and return the body of its response.

        Raises:
            DapError: the response has ``success: false`` (its message is the error's text).
            DapTimeout: no response within ``timeout`` seconds.
        """
        return await (await self.send_request(command, arguments, timeout=timeout))

    async def send_message(self, message: dict[str, Any]) -> int:
        """Send any message (``seq`` is assigned here) and return its seq.

        Raises:
            DapConnectionClosed: the connection can no longer be written to.
        """
        seq = self._write(message)
        link = self._link
        if link is not None and link.paused:
            await link.drain()
        return seq

    def _write(self, message: dict[str, Any]) -> int:
        """Number ``message`` and hand it to the link, with no await between the two: messages go
        out in the order of their seqs without a lock."""
        self._seq += 1
        seq = message["seq"] = self._seq
        self._write_raw(encode(message))
        return seq

    async def send_raw(self, data: bytes) -> None:
        """Send bytes as they are: for tests of malformed input."""
        self._write_raw(data)
        assert self._link is not None
        await self._link.drain()

    def _write_raw(self, data: bytes) -> None:
        link = self._link
        assert link is not None, "use the client inside 'async with'"
        if link.lost or self._waits.closed:
            raise DapConnectionClosed("the connection to the adapter is closed")
        link.send(data)

    async def response(self, seq: int, *, timeout: float | None = None) -> dict[str, Any]:
        """Wait for the whole response to request ``seq`` (success or not)."""
        return await self._waits.until(
            lambda: self._responses.pop(seq, None), f"the response to request {seq}", timeout or self.timeout
        )

    async def _response_body(self, seq: int, command: str, timeout: float) -> dict[str, Any]:
        response = await self._waits.until(
            lambda: self._responses.pop(seq, None), f"the response to {command!r}", timeout
        )
        if not response.get("success"):
            raise DapError(response)
        body = response.get("body")
        return body if isinstance(body, dict) else {}

    # --- events ----------------------------------------------------------------------------

    async def wait_for_event(
        self, name: str, predicate: Predicate | None = None, *, timeout: float | None = None
    ) -> dict[str, Any]:
        """Return the first event called ``name`` (matching ``predicate``) not returned before.

        Events received earlier count: each event is returned by at most one call per name.
        """
        return await self.wait_for_any_event(name, predicate=predicate, timeout=timeout)

    async def wait_for_any_event(
        self, *names: str, predicate: Predicate | None = None, timeout: float | None = None
    ) -> dict[str, Any]:
        """Return the first event called one of ``names`` (matching ``predicate``) not returned before:
        ``wait_for_any_event("stopped", "exited")`` follows a program that may stop or end."""

        def find() -> dict[str, Any] | None:
            waiting = sorted(index for name in names for index in self._untaken.get(name, ()))
            for index in waiting:
                event = self.events[index]
                if predicate is None or predicate(event):
                    self._untaken[event["event"]].remove(index)
                    return event
            return None

        return await self._waits.until(find, f"a {' or '.join(map(repr, names))} event", timeout or self.timeout)

    def output(self, category: str | None = None) -> str:
        """All ``output`` event text received so far (of ``category`` when given), concatenated."""
        return "".join(
            event["body"]["output"]
            for event in self.events
            if event.get("event") == "output" and (category is None or event["body"].get("category") == category)
        )

    async def wait_for_output(self, text: str, *, category: str | None = None, timeout: float | None = None) -> str:
        """Wait until ``text`` appears in the output (of ``category``); return all output so far."""
        return await self._waits.until(
            lambda: self.output(category) if text in self.output(category) else None,
            f"output containing {text!r}",
            timeout or self.timeout,
        )

    # --- reading ---------------------------------------------------------------------------

    def space(self) -> memoryview:
        """Where the link reads the next bytes into (client_link.Sink): the reader's room, a long frame's
        body straight into its own."""
        return self._reader.space()

    def received(self, count: int) -> None:
        """``count`` bytes came into :meth:`space` (0: the end): file every whole message, then wake the
        waiters."""
        reader = self._reader
        if count:
            reader.received(count)
        else:
            reader.feed(b"")
            self._waits.closed = True
        filed = not count
        while True:
            try:
                raw = reader.next_frame()
                if raw is None:
                    break
                message = _decoded(raw)
                if isinstance(message, BadBody):
                    raise ValueError(f"the adapter sent a bad message: {message.error}")
                self._file(message)
            except Exception as exc:  # a bad frame or message: raised to the next wait, never into asyncio
                self._waits.fail(exc)
            filed = True
        if filed:
            self._waits.wake()

    def _file(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "response":
            self._responses[message.get("request_seq", -1)] = message
            self.answer_order.append(message.get("request_seq", -1))
            self.events_before[message.get("request_seq", -1)] = len(self.events)
        elif kind == "event":
            self.events.append(message)
            name = message.get("event")
            if isinstance(name, str):
                self._untaken.setdefault(name, []).append(len(self.events) - 1)
        elif kind == "request":
            self.reverse_requests.append(message)
            self._answer_reverse_request(message)

    def _answer_reverse_request(self, request: dict[str, Any]) -> None:
        """runInTerminal: really start the command; startDebugging: note it, and say yes when following children."""
        command = request.get("command")
        response: dict[str, Any] = {
            "type": "response",
            "request_seq": request.get("seq"),
            "command": command,
            "success": True,
        }
        if command == "runInTerminal":
            arguments = request.get("arguments") or {}
            env = dict(os.environ)
            for name, value in (arguments.get("env") or {}).items():
                if value is None:
                    env.pop(name, None)
                else:
                    env[name] = value
            argv: list[str] = arguments["args"]
            if self.terminal_joins_arguments:
                argv, env = ["sh", "-c", " ".join(argv)], dict(os.environ)
            try:
                process = subprocess.Popen(argv, cwd=arguments.get("cwd") or None, env=env, stdin=self.terminal_stdin)
            except OSError as exc:
                response.update(success=False, message=f"could not start {arguments['args'][:1]}: {exc}")
            else:
                self.terminal_processes.append(process)
                response["body"] = {"processId": process.pid}
        elif command == "startDebugging" and not self.follow_children:
            response.update(success=False, message="this client does not follow child processes (follow_children)")
        elif command != "startDebugging":
            response.update(success=False, message=f"unknown reverse request {command!r}")
        try:
            self._write(response)
        except DapConnectionClosed:
            pass  # the adapter is gone: nobody to answer

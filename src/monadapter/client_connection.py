"""The protocol side of :mod:`monadapter.client`: the requests sent to an adapter and the waits for
what comes back, apart from the typed requests and test conveniences (client.py's
:class:`~monadapter.client.DapClient`); import these names from :mod:`monadapter.client`.

:class:`DapConnection` is the face of parts that each hold one concern: the connection from its
opening to its close (client_channel.py, over client_link.py's bytes), what the adapter sent, filed
as asyncio reads it (client_inbox.py), the waits for it (client_waits.py) and the answers to the
adapter's reverse requests (client_reverse.py). The client runs no background task (so it can be
entered and left from different tasks, as pytest fixtures do), and every wait has a timeout.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Generator
from functools import partial
from typing import Any, Self

import anyio

from monadapter.client_channel import AdapterChannel, Opener
from monadapter.client_errors import DapConnectionClosed, DapError
from monadapter.client_inbox import Inbox, Predicate
from monadapter.client_link import AdapterProcess, Link, Sink, open_process, open_tcp
from monadapter.client_reverse import ReverseRequestHandler
from monadapter.client_waits import Waits

#: Default seconds for every wait.
DEFAULT_TIMEOUT = 10.0


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
    """The protocol side of a DAP client session: requests sent, the waits for their responses and
    for events, what was received, and how reverse requests are answered. :class:`DapClient` adds
    the typed requests and test conveniences."""

    def __init__(self, opener: Opener, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        self._waits = Waits()
        self._channel = AdapterChannel(opener, self._waits)
        self._reverse = ReverseRequestHandler()
        self._inbox = Inbox(self._waits, self._answer)
        #: the capabilities from the initialize response
        self.capabilities: dict[str, Any] = {}
        #: makes a client for a child session: to the same adapter server, or a new adapter process
        self._sibling: Callable[[], Self] | None = None

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
        await self._channel.open(self._inbox)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection, stop a spawned adapter and any runInTerminal processes."""
        with anyio.CancelScope(shield=True):
            self._waits.close()
            await self._channel.aclose(self.timeout)
            self._reverse.close()

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
        channel = self._channel
        seq = channel.write(message)
        link = channel.link
        if link is not None and link.paused:
            await link.drain()
        return seq

    async def send_raw(self, data: bytes) -> None:
        """Send bytes as they are: for tests of malformed input."""
        self._channel.write_raw(data)
        assert self._channel.link is not None
        await self._channel.link.drain()

    def _answer(self, request: dict[str, Any]) -> None:
        """Answer a reverse request as the inbox files it (from asyncio's read callback)."""
        try:
            self._channel.write(self._reverse.answer(request))
        except DapConnectionClosed:
            pass  # the adapter is gone: nobody to answer

    async def response(self, seq: int, *, timeout: float | None = None) -> dict[str, Any]:
        """Wait for the whole response to request ``seq`` (success or not)."""
        take = partial(self._inbox.responses.pop, seq, None)
        return await self._waits.until(take, f"the response to request {seq}", timeout or self.timeout)

    async def _response_body(self, seq: int, command: str, timeout: float) -> dict[str, Any]:
        take = partial(self._inbox.responses.pop, seq, None)
        response = await self._waits.until(take, f"the response to {command!r}", timeout)
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
        take = partial(self._inbox.take_event, names, predicate)
        return await self._waits.until(take, f"a {' or '.join(map(repr, names))} event", timeout or self.timeout)

    def output(self, category: str | None = None) -> str:
        """All ``output`` event text received so far (of ``category`` when given), concatenated."""
        return self._inbox.output(category)

    async def wait_for_output(self, text: str, *, category: str | None = None, timeout: float | None = None) -> str:
        """Wait until ``text`` appears in the output (of ``category``); return all output so far."""
        output = self._inbox.output
        return await self._waits.until(
            lambda: output(category) if text in output(category) else None,
            f"output containing {text!r}",
            timeout or self.timeout,
        )

    # --- what was received -----------------------------------------------------------------

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event received, in order."""
        return self._inbox.events

    @property
    def events_before(self) -> dict[int, int]:
        """Request seq -> how many events came before its response: what a client saw before an
        answer (a ``stopped`` event before a continue's answer is a stop that continue ended)."""
        return self._inbox.events_before

    @property
    def answer_order(self) -> list[int]:
        """The seqs of the requests answered, in the order their responses came."""
        return self._inbox.answer_order

    @property
    def reverse_requests(self) -> list[dict[str, Any]]:
        """Every reverse request the adapter sent (runInTerminal, startDebugging), in order."""
        return self._inbox.reverse_requests

    # --- how reverse requests are answered (client_reverse.py) -------------------------------

    @property
    def terminal_processes(self) -> list[subprocess.Popen[bytes]]:
        """Processes started for runInTerminal; killed when the client closes."""
        return self._reverse.terminal_processes

    @property
    def follow_children(self) -> bool:
        """Say yes to startDebugging (then open each child's session: wait_for_child, attached_child);
        off (the default), the client declines, and a child process runs on undebugged at once
        instead of waiting for a session nobody opens."""
        return self._reverse.follow_children

    @follow_children.setter
    def follow_children(self, value: bool) -> None:
        self._reverse.follow_children = value

    @property
    def terminal_joins_arguments(self) -> bool:
        """Run runInTerminal's command as Emacs dap-mode does: its arguments joined with spaces,
        unquoted, through ``sh -c``, in its cwd, without its env."""
        return self._reverse.terminal_joins_arguments

    @terminal_joins_arguments.setter
    def terminal_joins_arguments(self, value: bool) -> None:
        self._reverse.terminal_joins_arguments = value

    @property
    def terminal_stdin(self) -> int | None:
        """Stdin of the runInTerminal processes (``subprocess.PIPE`` to type into the program)."""
        return self._reverse.terminal_stdin

    @terminal_stdin.setter
    def terminal_stdin(self, value: int | None) -> None:
        self._reverse.terminal_stdin = value

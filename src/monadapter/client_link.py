"""The bytes between :class:`~monadapter.client_connection.DapConnection` and an adapter: a TCP connection
or the stdin and stdout pipes of an adapter process, as asyncio transports with protocols of ours.

Why not anyio's streams: every message went through the event loop more often than it needs to.
anyio's process streams are asyncio's ``StreamReader``/``StreamWriter``, whose subprocess pipes hand
each chunk read to the protocol a loop turn later (``call_soon``); a send waited for ``drain`` and
then a checkpoint (a loop turn), and the stream was asked again for every chunk. Here asyncio gives
what it reads to the connection in the turn it read it, a send is a ``write`` (written at once when
nothing waits unsent) that waits only while asyncio holds more than its high-water mark unsent, and
an adapter process's pipes are made here and connected as plain pipes (asyncio's subprocess
transport only watches the process's exit). What comes is read straight into the client's
``MessageReader`` (:class:`Sink`): a socket with ``recv_into`` (``asyncio.BufferedProtocol``), the
adapter's stdout with ``os.readv`` when the event loop says it is readable (asyncio's pipe transport
reads into a fresh 256 KiB bytes object each time: ~800 page faults for a 1.4 MB ``variables``
answer, benchmarks S11). docs/architecture.md, "The headless client", has the numbers.

asyncio only: the client runs on asyncio's loop (``asyncio.run``, or ``anyio.run`` with its default
backend), not on trio.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Sequence
from typing import Any, Protocol


class Sink(Protocol):
    """Where a link puts what it reads (the client's ``MessageReader``, and what files its messages)."""

    def space(self) -> memoryview:
        """Where the next bytes read go (``MessageReader.space``)."""

    def received(self, count: int) -> None:
        """``count`` bytes were read into the last :meth:`space`; 0: the adapter's side is over."""


def wake(futures: list[asyncio.Future[None]]) -> None:
    """Resolve each of ``futures`` not done yet (one cancelled by its task's cancellation is)."""
    for future in futures:
        if not future.done():
            future.set_result(None)


class Link(asyncio.BufferedProtocol):
    """Both directions of one connection to an adapter.

    A TCP connection's protocol itself; an adapter process's stdin gets a small protocol
    (:class:`_WritePipe`) that passes what it sees on to the link, its stdout a reader of ours
    (:class:`_ReadPipe`).
    """

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self._writer: asyncio.WriteTransport | None = None
        self._transports: list[asyncio.BaseTransport] = []
        self._ended = False
        #: the writing side is gone (the adapter closed it, or we did): nothing can be sent any more
        self.lost = False
        self._paused = False  # asyncio holds more than its high-water mark unsent
        self._drained: list[asyncio.Future[None]] = []
        self._open = 0  # transports asyncio is not done with
        self._all_closed: asyncio.Future[None] | None = None  # what aclose waits for

    # --- sending ---------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Write ``data``: at once when nothing waits unsent, else after what does. The caller checks
        :attr:`lost` first and :meth:`drain` s when :attr:`paused` after."""
        assert self._writer is not None
        self._writer.write(data)

    @property
    def paused(self) -> bool:
        """asyncio holds more than its high-water mark unsent: :meth:`drain` before sending more."""
        return self._paused

    async def drain(self) -> None:
        """Wait while asyncio holds more than its high-water mark unsent (the adapter reads slowly)."""
        while self._paused and not self.lost:
            drained = asyncio.get_running_loop().create_future()
            self._drained.append(drained)
            await drained

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._wake_drained()

    def _wake_drained(self) -> None:
        drained, self._drained = self._drained, []
        wake(drained)

    # --- the TCP connection's protocol --------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._writer = transport
        self._opened(transport)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._sink.space()

    def buffer_updated(self, nbytes: int) -> None:
        self._sink.received(nbytes)

    def eof_received(self) -> bool:
        """The adapter shut its side: keep ours open for writing (a half-closed connection, as a
        plain socket is), until it closes or we do."""
        self._end()
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self._end()
        self._lose()
        self._transport_done()

    # --- the end -----------------------------------------------------------------------------

    def _end(self) -> None:
        """Nothing more will be read."""
        if not self._ended:
            self._ended = True
            self._sink.received(0)

    def _lose(self) -> None:
        """Nothing more can be written."""
        self.lost = True
        self._wake_drained()

    def _opened(self, transport: asyncio.BaseTransport) -> None:
        self._transports.append(transport)
        self._open += 1

    def _transport_done(self) -> None:
        self._open -= 1
        if not self._open and self._all_closed is not None and not self._all_closed.done():
            self._all_closed.set_result(None)

    async def aclose(self, timeout: float) -> None:
        """Close every transport (a socket's or both pipes) once what is unsent is written, waiting at
        most ``timeout`` seconds for that (then dropping it)."""
        self.lost = True
        for transport in self._transports:
            if not transport.is_closing():
                transport.close()
        if not self._open:
            return
        self._all_closed = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(asyncio.shield(self._all_closed), timeout)
        except TimeoutError:  # the adapter reads nothing more
            for transport in self._transports:
                transport.abort()  # type: ignore[attr-defined]  # every transport of ours has it


class _WritePipe(asyncio.BaseProtocol):
    """The protocol of the adapter process's stdin: its flow control and its end, for the link."""

    def __init__(self, link: Link) -> None:
        self._link = link

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        self._link._writer = transport
        self._link._opened(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._link._lose()
        self._link._transport_done()

    def pause_writing(self) -> None:
        self._link.pause_writing()

    def resume_writing(self) -> None:
        self._link.resume_writing()


class _ReadPipe(asyncio.ReadTransport):
    """The adapter process's stdout, watched by the event loop and read with ``os.readv`` into the
    link's sink when readable; a transport of the link's, closed with it."""

    def __init__(self, link: Link, fd: int) -> None:
        super().__init__()
        self._link = link
        self._fd = fd
        self._loop = asyncio.get_running_loop()
        os.set_blocking(fd, False)
        self._loop.add_reader(fd, self._readable)
        link._opened(self)

    def _readable(self) -> None:
        try:
            count = os.readv(self._fd, [self._link._sink.space()])
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            count = 0
        if count:
            self._link._sink.received(count)
            return
        self.close()
        self._link._end()

    def is_closing(self) -> bool:
        return self._fd < 0

    def close(self) -> None:
        if self._fd >= 0:
            self._loop.remove_reader(self._fd)
            os.close(self._fd)
            self._fd = -1
            self._loop.call_soon(self._lost)

    def _lost(self) -> None:
        """As asyncio's pipe transport ends: nothing more is read, and the link is told it is done."""
        self._link._end()
        self._link._transport_done()

    def abort(self) -> None:
        self.close()


class AdapterProcess(asyncio.SubprocessProtocol):
    """An adapter process the client started: its exit, and signals to it. Its stdio is the link's
    (:func:`open_process`), so asyncio's subprocess transport only watches it."""

    def __init__(self) -> None:
        self._transport: asyncio.SubprocessTransport | None = None
        self._exited: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.SubprocessTransport)
        self._transport = transport

    def process_exited(self) -> None:
        assert self._transport is not None
        code = self._transport.get_returncode()
        if not self._exited.done() and code is not None:
            self._exited.set_result(code)

    @property
    def pid(self) -> int:
        assert self._transport is not None
        return self._transport.get_pid()

    @property
    def returncode(self) -> int | None:
        """The exit code once the process ended (negative: the signal that ended it), else None."""
        return self._exited.result() if self._exited.done() else None

    async def wait(self) -> int:
        """Wait until the process ends; return its exit code."""
        return await asyncio.shield(self._exited)

    def send_signal(self, signum: int) -> None:
        assert self._transport is not None
        self._transport.send_signal(signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def close(self) -> None:
        """Let asyncio forget the process (it kills one still running)."""
        if self._transport is not None:
            self._transport.close()


async def open_tcp(host: str, port: int, sink: Sink) -> Link:
    """A link over a TCP connection to ``host:port`` (asyncio's socket transports set TCP_NODELAY:
    small messages, each awaited)."""
    _, link = await asyncio.get_running_loop().create_connection(
        lambda: Link(sink), host, port, happy_eyeballs_delay=0.25
    )
    return link


async def open_process(argv: Sequence[str], sink: Sink, **options: Any) -> tuple[Link, AdapterProcess]:
    """Start ``argv`` (``options`` as :class:`subprocess.Popen` takes them) with pipes for its stdin and
    stdout, which become a link; its stderr is ours."""
    loop = asyncio.get_running_loop()
    stdin_read, stdin_write = os.pipe()
    stdout_read, stdout_write = os.pipe()
    ours = [stdin_write, stdout_read]
    try:
        _, process = await loop.subprocess_exec(
            AdapterProcess, *argv, stdin=stdin_read, stdout=stdout_write, stderr=None, **options
        )
    except BaseException:
        for fd in ours:
            os.close(fd)
        raise
    finally:
        os.close(stdin_read)
        os.close(stdout_write)
    link = Link(sink)
    writing = open(stdin_write, "wb", buffering=0)  # noqa: SIM115  # its transport closes it
    try:
        _ReadPipe(link, stdout_read)
        stdout_read = -1  # the link's now
        await loop.connect_write_pipe(lambda: _WritePipe(link), writing)
    except BaseException:
        for transport in link._transports:
            transport.close()
        writing.close()
        if stdout_read >= 0:
            os.close(stdout_read)
        process.close()
        raise
    return link, process

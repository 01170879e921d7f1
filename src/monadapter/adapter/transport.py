"""Byte channels (stdio here, TCP in adapter/sockets.py) and the framed message reader/writer the adapter runs on them.

Framing is :mod:`monadapter.agent.wire`; this module only moves bytes. Each outgoing stream has
exactly one :class:`MessageWriter`, which assigns ``seq`` under a lock so concurrent tasks never
interleave or reorder sequence numbers on the wire. A body the agent encoded can travel on as
:class:`~monadapter.agent.wire.RawJSON`, never decoded here.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import anyio

from monadapter.adapter.messagelog import MessageLog
from monadapter.agent.wire import (
    MOST_PIECES,
    FramingError,
    MessageReader,
    RawJSON,
    decode,
    frame,
    written,
)

_RECEIVE_SIZE = 65536
#: Room asked for in a stdout pipe. Linux gives a pipe 64 KiB, and any process up to 1 MiB
#: (/proc/sys/fs/pipe-max-size): a 1.4 MB ``variables`` answer then goes out in two writes instead of
#: ~22, each of which waited for the client to read the last one (benchmarks S11).
_PIPE_SIZE = 1024 * 1024


class ByteChannel(Protocol):
    """A duplex byte stream: ``receive`` returns ``b""`` once the peer is gone; ``send`` writes its
    pieces (a frame: wire.frame) one after the other, whole or, cancelled before it began, not at all
    (half a message would wreck the stream)."""

    async def receive(self) -> bytes: ...

    async def receive_into(self, reader: MessageReader) -> None:
        """Wait for bytes and feed them to ``reader`` (``b""`` at the end of the stream)."""

    async def send(self, pieces: list[bytes | memoryview]) -> None: ...

    async def aclose(self) -> None: ...


class StdioChannel:
    """The adapter's stdin and stdout, both served on the event loop when they are pipes.

    stdin is read with ``os.read`` once the event loop says it is readable, never by a blocked
    worker thread: anyio's worker threads are not daemons, so one stuck in a read would keep the
    process alive after SIGTERM until the client closed our stdin. ``os.read`` returns whatever
    is available (a buffered ``read(n)`` would wait for n bytes). stdin stays watched by the event
    loop between reads, the watcher reading what came (``_readable``): ``anyio.wait_readable``
    around each read registered and unregistered it every time, two ``epoll_ctl`` calls and ~20
    Python calls of asyncio's selector code per request (benchmarks S10, S10e). The watch stops
    while ``_RECEIVE_SIZE`` bytes wait unread (nothing reads faster than it is taken) and at end of
    stream.

    stdout (our own duplicate of it), when it is a pipe or a socket as an editor gives us, is
    made non-blocking and written directly; only when the pipe is full does a write wait, on the
    event loop, for it to drain. Handing each write to a worker thread instead cost a thread round
    trip per message: ~0.1-0.3 ms on a busy machine, which serialised 5,000 ``breakpoint`` events
    into seconds. A terminal or a file is still written in a worker thread: O_NONBLOCK on a
    terminal would stay on for the shell that shares it after we exit.
    """

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self._read_fd = read_fd
        self._write_fd = write_fd
        #: False once the event loop refused to watch stdin: epoll rejects regular files and
        #: /dev/null (``python -m monadapter < messages``), which are always readable anyway
        self._pollable = True
        #: what the watcher read and ``receive`` has not returned yet (``b""``: end of stream)
        self._chunks: deque[bytes] = deque()
        self._unread = 0  # bytes in ``_chunks``
        self._loop: asyncio.AbstractEventLoop | None = None  # set while stdin is watched
        self._waiter: asyncio.Future[None] | None = None  # a receive waiting for the watcher
        mode = os.fstat(write_fd).st_mode
        self._direct = stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
        if self._direct:
            os.set_blocking(write_fd, False)
        if stat.S_ISFIFO(mode):
            _widen_pipe(write_fd)

    async def receive(self) -> bytes:
        while self._pollable and not self._chunks:
            if self._loop is None:
                loop = asyncio.get_running_loop()
                try:
                    loop.add_reader(self._read_fd, self._readable)
                except OSError:
                    self._pollable = False
                    break
                self._loop = loop
            waiter = self._waiter = self._loop.create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        if self._chunks:
            data = self._chunks.popleft()
            self._unread -= len(data)
            return data
        while True:
            try:
                return os.read(self._read_fd, _RECEIVE_SIZE)
            except BlockingIOError:
                continue  # our stdin is non-blocking (set by the client) and was not ready after all
            except OSError:
                return b""

    async def receive_into(self, reader: MessageReader) -> None:
        reader.feed(await self.receive())

    def _readable(self) -> None:
        """The event loop's callback while stdin is watched and readable: read what is there (it does
        not block), and stop watching at end of stream or while enough waits unread."""
        try:
            data = os.read(self._read_fd, _RECEIVE_SIZE)
        except BlockingIOError:
            return  # our stdin is non-blocking (set by the client) and was not ready after all
        except OSError:
            data = b""
        self._chunks.append(data)
        self._unread += len(data)
        if (not data or self._unread >= _RECEIVE_SIZE) and self._loop is not None:
            self._loop.remove_reader(self._read_fd)
            self._loop = None
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def send(self, pieces: list[bytes | memoryview]) -> None:
        if not self._direct:
            try:
                await anyio.to_thread.run_sync(_write_all, self._write_fd, b"".join(pieces))
            except OSError:
                pass  # the client closed our stdout; the reader sees end of stream
            return
        # written as they are (os.writev): a relayed 1.4 MB body is not copied into one frame first
        views = [memoryview(piece) for piece in pieces]
        try:
            try:
                written(views, os.writev(self._write_fd, views[:MOST_PIECES]))
            except BlockingIOError:
                pass
            if views:  # the pipe is full: wait for it to drain, shielded once any of it may be out
                with anyio.CancelScope(shield=True):
                    while views:
                        try:
                            written(views, os.writev(self._write_fd, views[:MOST_PIECES]))
                        except BlockingIOError:
                            await anyio.wait_writable(self._write_fd)
        except OSError:
            pass  # the client closed our stdout; the reader sees end of stream

    async def aclose(self) -> None:
        """Nothing to do: the process ends with the session."""


def _widen_pipe(fd: int) -> None:
    """Ask for :data:`_PIPE_SIZE` bytes of room in the pipe ``fd`` writes to (Linux; elsewhere, or when
    refused, the pipe stays as it is)."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    except (ImportError, AttributeError, OSError):
        pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def take_frame(reader: MessageReader) -> bytes | FramingError | None:
    """The undecoded body of the next whole frame ``reader`` holds, the framing error it raised
    instead, or None when it needs more bytes (read them with ``ByteChannel.receive_into``, unless
    ``reader.at_eof``). After a framing error that is not ``recoverable`` the stream is over.

    The reading loops (``Session``, ``AgentLink.run``) call it directly: async generators between
    the channel and them cost two suspended frames and an ``asend`` object per message and per
    wait, on the path of every relayed request (benchmarks S10e)."""
    try:
        return reader.next_frame()
    except FramingError as exc:
        return exc


class MessageWriter:
    """The single writer of one outgoing stream: assigns ``seq``, logs, and sends whole messages.

    Between :meth:`hold` and :meth:`flush` the messages sent are numbered and kept, and go out in
    one write at the flush: the agent link relays what it read in one go so (a stop's ~500
    ``module`` and ``loadedSource`` events and its ``stopped``, benchmarks S9: one ``os.writev``
    per event before).
    """

    def __init__(self, channel: ByteChannel, log: MessageLog, direction: str, *, sent: int = 0) -> None:
        """``sent``: how many messages went out on the stream before (their seqs are taken)."""
        self._channel = channel
        self._log = log
        self._direction = direction
        self._turn = _Turn()
        self._seq = sent
        #: the frames of the messages sent since :meth:`hold`, in order; None: not held
        self._held: list[bytes | memoryview] | None = None

    async def send(self, message: dict[str, Any], *, before_write: Callable[[int], None] | None = None) -> int:
        """Send ``message`` with the next ``seq`` and return that seq.

        ``before_write(seq)`` runs before any byte is written: a request's waiter must be
        registered before its response can possibly arrive. A :class:`RawJSON` ``body`` goes out
        as it is (decoded only for the log, which is off unless ``--log-dir`` is given).
        """
        turn = self._turn
        if turn.busy:  # nearly never: a send waits only for a full pipe
            await turn.wait()
        else:
            turn.busy = True
        try:
            self._seq += 1
            seq = message["seq"] = self._seq
            if before_write is not None:
                before_write(seq)
            body = message.get("body")
            if isinstance(body, RawJSON):
                if self._log.enabled:
                    self._log.record(self._direction, {**message, "body": body.decoded()})
            else:
                self._log.record(self._direction, message)
            if self._held is not None:
                self._held += frame(message)
            else:
                await self._channel.send(frame(message))  # whole or not at all, even when cancelled (ByteChannel)
            return seq
        finally:
            turn.release()

    async def forward(self, text: bytes, *, before_write: Callable[[int], None] | None = None) -> int:
        """Send a message another peer wrote, renumbered: ``text`` is its JSON object up to the end of
        its last member (``{..."body":{...}`` of an agent's ``{..."body":{...},"seq":M}``,
        agentlink.event_text; a client's request but for its closing brace); it goes out with
        ``,"seq":N}`` of ours, not decoded (but for the log), after any ``seq`` it holds: of two
        members of one name, JSON decoders (``json``'s, which the agent reads with) keep the last.
        ``before_write`` as for :meth:`send`. Returns that seq."""
        turn = self._turn
        if turn.busy:
            await turn.wait()
        else:
            turn.busy = True
        try:
            seq = self._seq = self._seq + 1
            if before_write is not None:
                before_write(seq)
            text = b'%s,"seq":%d}' % (text, seq)
            if self._log.enabled:
                self._log.record(self._direction, decode(text))  # type: ignore[arg-type]
            whole = b"Content-Length: %d\r\n\r\n%s" % (len(text), text)  # as wire.frame frames text
            if self._held is not None:
                self._held.append(whole)
            else:
                await self._channel.send([whole])  # whole or not at all, even when cancelled (ByteChannel)
            return seq
        finally:
            turn.release()

    def hold(self) -> None:
        """Keep what is sent from now on until :meth:`flush` (no-op while held)."""
        if self._held is None:
            self._held = []

    def held(self) -> int:
        """How many pieces (wire.frame's) are kept for the next :meth:`flush`."""
        return 0 if self._held is None else len(self._held)

    async def flush(self) -> None:
        """Write what was kept since :meth:`hold`, in one write, and send at once again."""
        turn = self._turn
        if turn.busy:
            await turn.wait()
        else:
            turn.busy = True
        try:
            held, self._held = self._held, None
            if held:
                await self._channel.send(held)
        finally:
            turn.release()


class _Turn:
    """The right to write to one stream: one task at a time, the others in the order they asked.

    Taken when free (``busy`` False, as nearly always: a send waits only for a full pipe or socket)
    with no call and no checkpoint; anyio's Lock cost four Python calls per message (``current_task``,
    ``cast``), on every message the adapter writes (benchmarks S10e).
    """

    __slots__ = ("busy", "_waiters")

    def __init__(self) -> None:
        self.busy = False
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def wait(self) -> None:
        """Wait for the turn while another task has it; it is ours when this returns (``busy`` stays
        True). Cancelled meanwhile, the turn, if it was handed to us already, goes on to the next."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()
            else:
                try:
                    self._waiters.remove(waiter)
                except ValueError:
                    pass
            raise

    def release(self) -> None:
        """Give the turn up: to the first task still waiting, else free it."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.busy = False

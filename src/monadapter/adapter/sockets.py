"""The adapter's TCP connections (its agents, TCP clients, children's notices) as byte channels that
keep reading.

anyio's socket stream asks the event loop to watch its socket at each ``receive`` and stops watching
once it returns (``resume_reading``/``pause_reading``: two ``epoll_ctl`` calls and asyncio's selector
code every time), and each ``send`` ends with a checkpoint, one more turn of the event loop. That was
~490k of the adapter's ~2.2M instructions per benchmarks S10e cycle (3.13): the agent link carries six
messages each way per cycle. Here an asyncio protocol of ours is the transport's: the event loop
watches the socket for the connection's whole life, what comes waits in a buffer until ``receive``
takes it, or goes into the ``MessageReader`` that :meth:`SocketChannel.receive_into` was given, a
long frame's body straight into the room the reader made for it (reading pauses while
:data:`UNREAD_LIMIT` bytes wait), and ``send`` hands the frame to the transport at once, whole (it
keeps what the socket does not take yet), waiting only while more than :data:`UNSENT_LIMIT` bytes
are unsent.

A connection is ours from its start (:func:`accepted`, :func:`connect`): the bytes of the handshake
(adapter/peerauth.py) come through the same buffer as everything after it, so nothing the peer sends
early is left behind in another reader.
"""

from __future__ import annotations

import asyncio
import socket
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from anyio.abc import TaskGroup

from monadapter.agent.wire import SCRATCH_BYTES, MessageReader

#: Bytes read and not yet taken by ``receive`` that pause reading (the peer then waits: TCP's own
#: flow control), as the adapter's stdin (adapter/transport.py) does.
UNREAD_LIMIT = 65536
#: Bytes given to the transport and not yet sent that make ``send`` wait for the peer to read.
UNSENT_LIMIT = 65536


class _Buffered(asyncio.BufferedProtocol):
    """The transport's protocol: gives each read a place to go, keeps what it read for ``receive`` (or
    in the reader a :meth:`SocketChannel.receive_into` gave it), and says when writes must wait."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        #: once given (SocketChannel.receive_into), every read goes into it, a long frame's body
        #: straight into the room made for it; before, into ``scratch`` and then ``chunks``
        self.reader: MessageReader | None = None
        self.into_reader = False  # the last get_buffer gave the reader's space
        self.scratch: bytearray | None = None
        self.chunks: deque[bytes] = deque()
        self.unread = 0  # bytes in ``chunks``
        self.fresh = False  # bytes went into ``reader`` since receive_into last returned
        self.ended = False  # end of stream, or the connection is lost
        self.reading_paused = False
        self.writing_paused = False
        self.waiter: asyncio.Future[None] | None = None  # a receive waiting for bytes
        self.drained: asyncio.Future[None] | None = None  # a send waiting for the peer to read

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.set_write_buffer_limits(high=UNSENT_LIMIT)

    def get_buffer(self, sizehint: int) -> memoryview:
        reader = self.reader
        self.into_reader = reader is not None
        if reader is not None:
            return reader.space()
        if self.scratch is None:
            self.scratch = bytearray(SCRATCH_BYTES)
        return memoryview(self.scratch)

    def buffer_updated(self, nbytes: int) -> None:
        if self.into_reader:
            assert self.reader is not None
            self.reader.received(nbytes)
            self.fresh = True
            waiting = self.reader.held
        else:
            assert self.scratch is not None
            with memoryview(self.scratch) as view:
                self.chunks.append(bytes(view[:nbytes]))
            self.unread += nbytes
            waiting = self.unread
        if waiting >= UNREAD_LIMIT:
            self.pause()
        self._wake()

    def pause(self) -> None:
        if not self.reading_paused and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()

    def resume(self, waiting: int) -> None:
        """Read again, unless ``waiting`` bytes still wait (or the connection is closing)."""
        transport = self.transport
        if self.reading_paused and waiting < UNREAD_LIMIT and transport is not None and not transport.is_closing():
            self.reading_paused = False
            transport.resume_reading()

    def eof_received(self) -> bool:
        self.ended = True
        self._wake()
        return True  # the peer stopped sending: answers may still go out to it

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self._wake()
        self.resume_writing()

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        if self.drained is not None and not self.drained.done():
            self.drained.set_result(None)

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


class SocketChannel:
    """A TCP connection (a :class:`~monadapter.adapter.transport.ByteChannel`); a reset or closed
    socket reads as end of stream, and what is sent to it then is dropped."""

    def __init__(self, transport: asyncio.Transport, protocol: _Buffered) -> None:
        self._transport = transport
        self._protocol = protocol
        self._loop = asyncio.get_running_loop()

    async def receive(self) -> bytes:
        """The next bytes read (``b""``: end of stream); not once :meth:`receive_into` was called."""
        protocol = self._protocol
        assert protocol.reader is None, "the channel reads into a MessageReader now"
        while not protocol.chunks:
            if protocol.ended:
                return b""
            await self._wait()
        data = protocol.chunks.popleft()
        protocol.unread -= len(data)
        protocol.resume(protocol.unread)
        return data

    async def receive_into(self, reader: MessageReader) -> None:
        """Wait until bytes came into ``reader`` (at the end of the stream, feed it ``b""``).

        From the first call on, what the socket reads goes into ``reader`` as it comes (the bytes that
        waited for ``receive`` first): a long frame's body is read straight into the room the reader
        made for it, with no chunk of fresh memory per read nor a copy (a 1.4 MB ``variables`` answer
        cost ~380 page faults more, benchmarks S11). Reading pauses while the reader holds
        :data:`UNREAD_LIMIT` bytes the caller has not taken (``MessageReader.held``).
        """
        protocol = self._protocol
        if protocol.reader is not reader:
            protocol.reader = reader
            while protocol.chunks:
                reader.feed(protocol.chunks.popleft())
                protocol.fresh = True
            protocol.unread = 0
        protocol.resume(reader.held)  # the caller took what it could: what is held is a frame's start
        while not protocol.fresh:
            if protocol.ended:
                reader.feed(b"")
                return
            await self._wait()
        protocol.fresh = False

    async def _wait(self) -> None:
        protocol = self._protocol
        waiter = protocol.waiter = self._loop.create_future()
        try:
            await waiter
        finally:
            protocol.waiter = None

    async def send(self, pieces: list[bytes | memoryview]) -> None:
        """Give the frame to the transport, whole; then wait while too much of what was given is unsent
        (cancelled then, the frame still goes out whole)."""
        if self._transport.is_closing():
            return  # the peer left or we closed: the reader sees end of stream
        self._transport.write(pieces[0] if len(pieces) == 1 else b"".join(pieces))
        protocol = self._protocol
        while protocol.writing_paused and not self._transport.is_closing():
            drained = protocol.drained = self._loop.create_future()
            try:
                await drained
            finally:
                protocol.drained = None

    async def aclose(self) -> None:
        """Close at once (anything unsent is dropped); a waiting ``receive`` then reads end of stream."""
        self._transport.abort()


async def accepted(sock: socket.socket) -> SocketChannel:
    """The channel of a connection ``accept`` gave."""
    transport, protocol = await asyncio.get_running_loop().connect_accepted_socket(_Buffered, sock)
    return SocketChannel(transport, protocol)


async def connect(host: str, port: int) -> SocketChannel:
    """Connect to ``host:port``.

    Raises:
        OSError: nobody listens there (ConnectionRefusedError), or the host is unknown.
    """
    transport, protocol = await asyncio.get_running_loop().create_connection(_Buffered, host, port)
    return SocketChannel(transport, protocol)


def local_port(listener: socket.socket) -> int:
    """The port a listening socket has."""
    return int(listener.getsockname()[1])


async def serve(
    listener: socket.socket, handler: Callable[[SocketChannel], Coroutine[Any, Any, None]], task_group: TaskGroup
) -> None:
    """Accept connections to ``listener`` (non-blocking) until cancelled, each handed to ``handler`` in
    a task of ``task_group``; the handler closes its channel (or keeps it)."""
    loop = asyncio.get_running_loop()
    while True:
        sock, _address = await loop.sock_accept(listener)
        try:
            channel = await accepted(sock)
        except OSError:  # it went away before we took it
            sock.close()
            continue
        task_group.start_soon(handler, channel)

"""The adapter's TCP connections (its agents, TCP clients, children's notices) as byte channels that
keep reading.

anyio's socket stream asks the event loop to watch its socket at each ``receive`` and stops watching
once it returns (``resume_reading``/``pause_reading``: two ``epoll_ctl`` calls and asyncio's selector
code every time), and each ``send`` ends with a checkpoint, one more turn of the event loop. That was
~490k of the adapter's ~2.2M instructions per benchmarks S10e cycle (3.13): the agent link carries six
messages each way per cycle. Here an asyncio protocol of ours is the transport's: the event loop
watches the socket for the connection's whole life, what comes waits in a buffer until ``receive``
takes it (reading pauses while :data:`UNREAD_LIMIT` bytes wait), and ``send`` hands the frame to the
transport at once, whole (it keeps what the socket does not take yet), waiting only while more than
:data:`UNSENT_LIMIT` bytes are unsent.

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

#: Bytes read and not yet taken by ``receive`` that pause reading (the peer then waits: TCP's own
#: flow control), as the adapter's stdin (adapter/transport.py) does.
UNREAD_LIMIT = 65536
#: Bytes given to the transport and not yet sent that make ``send`` wait for the peer to read.
UNSENT_LIMIT = 65536


class _Buffered(asyncio.Protocol):
    """The transport's protocol: keeps what it reads for ``receive``, and says when writes must wait."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: deque[bytes] = deque()
        self.unread = 0
        self.ended = False  # end of stream, or the connection is lost
        self.reading_paused = False
        self.writing_paused = False
        self.waiter: asyncio.Future[None] | None = None  # a receive waiting for bytes
        self.drained: asyncio.Future[None] | None = None  # a send waiting for the peer to read

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.set_write_buffer_limits(high=UNSENT_LIMIT)

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.unread += len(data)
        if self.unread >= UNREAD_LIMIT and not self.reading_paused and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()
        self._wake()

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
        protocol = self._protocol
        while not protocol.chunks:
            if protocol.ended:
                return b""
            waiter = protocol.waiter = self._loop.create_future()
            try:
                await waiter
            finally:
                protocol.waiter = None
        data = protocol.chunks.popleft()
        protocol.unread -= len(data)
        if protocol.reading_paused and protocol.unread < UNREAD_LIMIT and not self._transport.is_closing():
            protocol.reading_paused = False
            self._transport.resume_reading()
        return data

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

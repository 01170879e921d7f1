"""The adapter's socket channels (adapter/sockets.py) on real loopback sockets: the bytes a peer sends
right after the handshake, a reader that falls behind, a peer that does not read, the end of a stream."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest

from monadapter.adapter import peerauth, sockets
from monadapter.adapter.headstart import loopback_listener
from monadapter.agent import gate, wire
from monadapter.agent.wire import MessageReader, encode

pytestmark = pytest.mark.unit

SECRET = "the-secret"
HELLO = {"seq": 3, "type": "event", "event": "monadapter/hello"}
WAIT = 10.0
#: Enough to fill the kernel's buffers on both sides several times over.
BIG = 16 * 1024 * 1024
PATTERN = bytes(range(251))  # a length prime to every buffer size: a lost or repeated chunk shows


def pattern(size: int) -> bytes:
    return (PATTERN * (size // len(PATTERN) + 1))[:size]


@pytest.fixture
def server() -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as listening:
        yield listening


def in_thread[T](function: Callable[..., T], *args: Any) -> Future[T]:
    pool = ThreadPoolExecutor(1)
    future = pool.submit(function, *args)
    pool.shutdown(wait=False)
    return future


async def until(condition: Callable[[], bool]) -> None:
    """Let the event loop run until ``condition()`` holds (a signal, not a delay: bounded by WAIT)."""
    with anyio.fail_after(WAIT):
        while not condition():
            await asyncio.sleep(0)


async def test_what_the_listener_sends_right_after_its_proof_is_read_with_it(server: socket.socket) -> None:
    """The agent listening for an attach sends its proof and its hello in two writes at once; the
    hello must come through the channel the handshake ran on (nothing read aside and dropped)."""
    for _ in range(20):

        def agent() -> socket.socket:
            peer, _reader = gate.accept(server, SECRET)
            peer.sendall(encode(HELLO))
            return peer

        peer = in_thread(agent)
        channel = await sockets.connect("127.0.0.1", sockets.local_port(server))
        try:
            reader = await peerauth.connect_side(channel, SECRET)
            with anyio.fail_after(WAIT):
                while (message := reader.next_message()) is None:
                    reader.feed(await channel.receive())
            assert message == HELLO
        finally:
            await channel.aclose()
            peer.result(WAIT).close()


@asynccontextmanager
async def sending(sent: bytes) -> AsyncIterator[tuple[sockets.SocketChannel, Future[None]]]:
    """The channel of a connection whose peer (a thread: its future) sends ``sent`` at once."""
    with loopback_listener() as listener:

        def peer() -> None:
            with socket.create_connection(("127.0.0.1", sockets.local_port(listener))) as sock:
                sock.sendall(sent)

        sender = in_thread(peer)
        accepted, _ = await asyncio.get_running_loop().sock_accept(listener)
        yield await sockets.accepted(accepted), sender


async def test_a_reader_that_falls_behind_pauses_the_peer_and_loses_nothing() -> None:
    sent = pattern(BIG)
    async with sending(sent) as (channel, sender):
        protocol = channel._protocol
        await until(lambda: protocol.reading_paused)  # never, with an unbounded buffer
        # one read of the transport (256 KiB at most) may have come after the limit was reached
        assert protocol.unread < sockets.UNREAD_LIMIT + 256 * 1024
        assert not sender.done()  # the rest waits in the kernel, the peer's sendall with it
        received = bytearray()
        with anyio.fail_after(WAIT):
            while data := await channel.receive():
                received += data
        sender.result(WAIT)
        await channel.aclose()
    assert len(received) == len(sent)
    assert received == sent


async def test_frames_read_into_a_reader_that_falls_behind_pause_the_peer_and_lose_nothing() -> None:
    """receive_into (the agent link's reads): what waited for ``receive`` goes into the reader first; a
    reader whose frames are not taken pauses the peer; taking them (as read_frames does) reads on, a
    long frame straight into its body, and every frame arrives whole and in order."""
    frames = [encode({"seq": seq, "type": "event", "event": "output"}) for seq in range(1, 4001)]
    frames[2000] = encode({"seq": 2001, "type": "response", "body": {"text": pattern(3_000_000).hex()}})
    async with sending(b"".join(frames)) as (channel, sender):
        protocol = channel._protocol
        await until(lambda: protocol.reading_paused)  # chunks for ``receive``, none taken
        reader = MessageReader()
        with anyio.fail_after(WAIT):
            await channel.receive_into(reader)  # takes the chunks; reads on into the reader
            await until(lambda: protocol.reading_paused)  # the reader's frames are not taken
        assert reader.held < sockets.UNREAD_LIMIT + wire.SCRATCH_BYTES
        assert not sender.done()
        seqs: list[int] = []
        with anyio.fail_after(WAIT):
            while not reader.at_eof:
                while (raw := reader.next_frame()) is not None:
                    seqs.append(json.loads(raw)["seq"])
                    if seqs[-1] == 2001:
                        assert type(raw) is bytes and raw == frames[2000].partition(b"\r\n\r\n")[2]
                await channel.receive_into(reader)
        sender.result(WAIT)
        await channel.aclose()
    assert seqs == list(range(1, 4001))


async def test_a_send_to_a_peer_that_does_not_read_waits_and_goes_out_whole(server: socket.socket) -> None:
    connected = in_thread(server.accept)
    channel = await sockets.connect("127.0.0.1", sockets.local_port(server))
    peer, _ = connected.result(WAIT)
    frames = [pattern(1024 * 1024)] * 8
    done = threading.Event()

    async def send_all() -> None:
        for frame in frames:
            await channel.send([frame[:10], frame[10:]])
        done.set()

    with peer:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(send_all)
            await until(lambda: channel._protocol.writing_paused)  # waits while the peer does not read
            assert not done.is_set()

            def read_all() -> bytes:
                received = bytearray()
                while len(received) < len(frames) * len(frames[0]):
                    received += peer.recv(1 << 20)
                return bytes(received)

            reading = in_thread(read_all)
            with anyio.fail_after(WAIT):
                while not done.is_set():
                    await asyncio.sleep(0)
        assert reading.result(WAIT) == b"".join(frames)
    await channel.aclose()


async def test_the_end_of_the_stream_comes_after_the_last_bytes(server: socket.socket) -> None:
    connected = in_thread(server.accept)
    channel = await sockets.connect("127.0.0.1", sockets.local_port(server))
    peer, _ = connected.result(WAIT)
    peer.sendall(b"last words")
    peer.close()
    received = b""
    with anyio.fail_after(WAIT):
        while data := await channel.receive():
            received += data
    assert received == b"last words"
    assert await channel.receive() == b""
    await channel.send([b"to nobody"])  # dropped, no error
    await channel.aclose()


async def test_closing_ends_a_waiting_receive(server: socket.socket) -> None:
    connected = in_thread(server.accept)
    channel = await sockets.connect("127.0.0.1", sockets.local_port(server))
    peer, _ = connected.result(WAIT)
    with peer:
        got: list[bytes] = []
        async with anyio.create_task_group() as tasks:

            async def receive() -> None:
                got.append(await channel.receive())

            tasks.start_soon(receive)
            await until(lambda: channel._protocol.waiter is not None)
            await channel.aclose()
        assert got == [b""]
        assert peer.recv(10) == b""  # the peer sees the connection end

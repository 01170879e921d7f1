"""The adapter's side of the handshake that starts every link with an agent (agent/auth.py), on its socket channels.

The adapter is the listener for a debuggee it launches and for child processes' notices, and the
connector when it attaches. Whatever the peer sends after its part of the handshake stays in the
returned reader, which the link then reads on with.
"""

from __future__ import annotations

import socket
from typing import Any

import anyio

from monadapter.adapter import sockets
from monadapter.adapter.sockets import SocketChannel
from monadapter.agent import auth
from monadapter.agent.wire import BadBody, FramingError, MessageReader

#: What a peer that breaks off the handshake raises here.
_BROKEN = (EOFError, FramingError, TimeoutError)


async def listen_side(channel: SocketChannel, secret: str) -> MessageReader:
    """Challenge the peer that connected to us; return once it proved it knows ``secret`` (our proof
    sent). Raises AuthenticationError for anyone else: close the channel then, saying nothing more."""
    side = auth.ListenerSide(secret)
    reader = auth.handshake_reader()
    try:
        with anyio.fail_after(auth.HANDSHAKE_TIMEOUT):
            await channel.send([side.challenge()])
            await channel.send([side.check(await _receive(channel, reader))])
    except _BROKEN as exc:
        raise auth.AuthenticationError(f"the peer broke off: {exc!r}") from None
    return auth.authenticated(reader)


async def connect_side(channel: SocketChannel, secret: str) -> MessageReader:
    """Answer the challenge of the listener we connected to; return once it proved it knows ``secret``.
    Raises AuthenticationError when it does not (then nothing but our proof was sent)."""
    side = auth.ConnectorSide(secret)
    reader = auth.handshake_reader()
    try:
        with anyio.fail_after(auth.HANDSHAKE_TIMEOUT):
            await channel.send([side.answer(await _receive(channel, reader))])
            side.check(await _receive(channel, reader))
    except _BROKEN as exc:
        raise auth.AuthenticationError(f"the peer broke off: {exc!r}") from None
    return auth.authenticated(reader)


async def accept(listener: socket.socket, secret: str) -> tuple[SocketChannel, MessageReader]:
    """Accept connections until one proves it knows ``secret``; every other one is closed. Peers are
    checked at once, each within the handshake timeout, so a silent stranger delays nobody."""
    winner: list[tuple[SocketChannel, MessageReader]] = []
    async with anyio.create_task_group() as doors:

        async def check(channel: SocketChannel) -> None:
            try:
                reader = await listen_side(channel, secret)
            except auth.AuthenticationError:
                await channel.aclose()
                return
            except BaseException:  # cancelled: someone else won
                await channel.aclose()
                raise
            if winner:
                await channel.aclose()
                return
            winner.append((channel, reader))
            doors.cancel_scope.cancel()

        await sockets.serve(listener, check, doors)
    return winner[0]


async def _receive(channel: SocketChannel, reader: MessageReader) -> dict[str, Any] | BadBody:
    while (message := reader.next_message()) is None:
        data = await channel.receive()
        if not data:
            raise EOFError("end of stream")
        reader.feed(data)
    return message

"""The adapter's side of the handshake that starts every link with an agent (agent/auth.py), on anyio streams.

The adapter is the listener for a debuggee it launches and for child processes' notices, and the
connector when it attaches. Whatever the peer sends after its part of the handshake stays in the
returned reader, which the link then reads on with.
"""

from __future__ import annotations

from typing import Any

import anyio
from anyio.abc import Listener, SocketStream

from monadapter.agent import auth
from monadapter.agent.wire import BadBody, FramingError, MessageReader

#: What a peer that breaks off the handshake raises here.
_BROKEN = (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, FramingError, TimeoutError)


async def listen_side(stream: SocketStream, secret: str) -> MessageReader:
    """Challenge the peer that connected to us; return once it proved it knows ``secret`` (our proof
    sent). Raises AuthenticationError for anyone else: close the stream then, saying nothing more."""
    side = auth.ListenerSide(secret)
    reader = auth.handshake_reader()
    try:
        with anyio.fail_after(auth.HANDSHAKE_TIMEOUT):
            await stream.send(side.challenge())
            await stream.send(side.check(await _receive(stream, reader)))
    except _BROKEN as exc:
        raise auth.AuthenticationError(f"the peer broke off: {exc!r}") from None
    return auth.authenticated(reader)


async def connect_side(stream: SocketStream, secret: str) -> MessageReader:
    """Answer the challenge of the listener we connected to; return once it proved it knows ``secret``.
    Raises AuthenticationError when it does not (then nothing but our proof was sent)."""
    side = auth.ConnectorSide(secret)
    reader = auth.handshake_reader()
    try:
        with anyio.fail_after(auth.HANDSHAKE_TIMEOUT):
            await stream.send(side.answer(await _receive(stream, reader)))
            side.check(await _receive(stream, reader))
    except _BROKEN as exc:
        raise auth.AuthenticationError(f"the peer broke off: {exc!r}") from None
    return auth.authenticated(reader)


async def accept(listener: Listener[SocketStream], secret: str) -> tuple[SocketStream, MessageReader]:
    """Accept connections until one proves it knows ``secret``; every other one is closed. Peers are
    checked at once, each within the handshake timeout, so a silent stranger delays nobody."""
    winner: list[tuple[SocketStream, MessageReader]] = []
    async with anyio.create_task_group() as doors:

        async def check(stream: SocketStream) -> None:
            try:
                reader = await listen_side(stream, secret)
            except auth.AuthenticationError:
                await stream.aclose()
                return
            except BaseException:  # cancelled: someone else won
                with anyio.CancelScope(shield=True):
                    await stream.aclose()
                raise
            if winner:
                await stream.aclose()
                return
            winner.append((stream, reader))
            doors.cancel_scope.cancel()

        await listener.serve(check, task_group=doors)
    return winner[0]


async def _receive(stream: SocketStream, reader: MessageReader) -> dict[str, Any] | BadBody:
    while (message := reader.next_message()) is None:
        reader.feed(await stream.receive())
    return message

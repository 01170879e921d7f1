"""A listening socket's door (agent side): every peer that connects is challenged (agent/auth.py's
handshake) and closed unless it proves it knows the secret, several at once, so a silent stranger
delays nobody. Used by a program clients attach to (``--listen``, ``monadapter.listen``) and by a
child process waiting for its session; a launched debuggee only connects, and does not load this
module (benchmarks A2)."""

from __future__ import annotations

import _socket  # socket's C module: socket.py loads enum tables into every debuggee (benchmarks A2)
import time

from monadapter.agent import auth
from monadapter.agent.wire import FramingError, MessageReader

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    import socket

#: How many strangers a listener keeps waiting at once; the oldest is dropped for a new one.
MAX_PENDING_PEERS = 64


class _Peer:
    __slots__ = ("side", "reader", "deadline")

    def __init__(self, secret: str, deadline: float) -> None:
        self.side = auth.ListenerSide(secret)
        self.reader = auth.handshake_reader()
        self.deadline = deadline


class Gate:
    """A listening socket's door: every peer is challenged, given ``timeout`` seconds, and closed
    unless it proves it knows ``secret``. Several peers are handled at once, so a silent stranger
    delays nobody. Use :func:`accept`, or :meth:`poll` to also watch another socket (``watch``)."""

    def __init__(
        self,
        server: socket.socket,
        secret: str,
        *,
        timeout: float = auth.HANDSHAKE_TIMEOUT,
        watch: _socket.socket | None = None,
    ) -> None:
        self._server = server
        self._secret = secret
        self._timeout = timeout
        self._watch = watch
        self._pending: dict[socket.socket, _Peer] = {}
        import selectors  # here: only a listener needs it, a launched debuggee never (benchmarks A2)

        self._selector = selectors.DefaultSelector()
        self._readable = selectors.EVENT_READ
        self._selector.register(server, self._readable)
        if watch is not None:
            self._selector.register(watch, self._readable)

    def __enter__(self) -> Gate:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop every peer still being checked (the listening socket is the caller's)."""
        for peer in list(self._pending):
            self._drop(peer)
        self._selector.close()

    def stop_watching(self) -> None:
        """Forget ``watch`` (say, once it reached its end)."""
        if self._watch is not None:
            self._selector.unregister(self._watch)
            self._watch = None

    def poll(self, until: float | None = None) -> tuple[socket.socket, MessageReader] | bool:
        """Serve the door until a peer proved itself (returned, blocking, with the reader to go on
        with), ``watch`` is readable (True), or ``time.monotonic()`` reaches ``until`` (False)."""
        while True:
            now = time.monotonic()
            for peer in [peer for peer, state in self._pending.items() if state.deadline <= now]:
                self._drop(peer)
            if until is not None and now >= until:
                return False
            wake = min(
                [state.deadline for state in self._pending.values()] + ([until] if until is not None else []),
                default=None,
            )
            for key, _ in self._selector.select(None if wake is None else max(0.0, wake - now)):
                sock: socket.socket = key.fileobj  # type: ignore[assignment]
                if sock is self._watch:
                    return True
                if sock is self._server:
                    self._greet()
                elif sock in self._pending:
                    try:
                        done = _advance(sock, self._pending[sock])
                    except (OSError, FramingError, auth.AuthenticationError):
                        self._drop(sock)
                        continue
                    if done:
                        self._selector.unregister(sock)
                        state = self._pending.pop(sock)
                        sock.settimeout(None)
                        return sock, auth.authenticated(state.reader)

    def _drop(self, peer: socket.socket) -> None:
        self._selector.unregister(peer)
        del self._pending[peer]
        peer.close()

    def _greet(self) -> None:
        """Accept one peer and send it the challenge (a peer gone already is forgotten)."""
        try:
            peer, _ = self._server.accept()
        except OSError:
            return
        if len(self._pending) >= MAX_PENDING_PEERS:
            self._drop(min(self._pending, key=lambda old: self._pending[old].deadline))
        state = _Peer(self._secret, time.monotonic() + self._timeout)
        try:
            peer.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            peer.settimeout(self._timeout)  # the challenge is small: only a dead peer makes sendall wait
            peer.sendall(state.side.challenge())
        except OSError:
            peer.close()
            return
        self._pending[peer] = state
        self._selector.register(peer, self._readable)


def accept(
    server: socket.socket, secret: str, *, timeout: float = auth.HANDSHAKE_TIMEOUT
) -> tuple[socket.socket, MessageReader]:
    """Wait on the listening ``server`` until a peer proves it knows ``secret`` (see :class:`Gate`);
    return it and the reader to go on with."""
    with Gate(server, secret, timeout=timeout) as gate:
        while True:
            accepted = gate.poll()
            if not isinstance(accepted, bool):
                return accepted


def _advance(peer: socket.socket, state: _Peer) -> bool:
    """Read what ``peer`` sent; True once it proved itself (the acceptance is sent then). Raises
    OSError, FramingError or auth.AuthenticationError for a peer to drop."""
    data = peer.recv(auth.MAX_HANDSHAKE_BYTES)
    if not data:
        raise auth.AuthenticationError("the peer hung up")
    state.reader.feed(data)
    message = state.reader.next_message()
    if message is None:
        return False
    peer.sendall(state.side.check(message))
    return True

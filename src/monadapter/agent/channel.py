"""The agent's DAP connection to the adapter: one socket, one reading thread, thread-safe sends.

Standard library only (it runs inside the debuggee). Requests are dispatched on the I/O thread to
handlers registered by command; a handler answers at once or hands the :class:`Request` to another
thread (a paused user thread, typically) that answers later. Sending is guarded by one lock that
also assigns ``seq``, so answers and events from any thread never interleave on the wire.
"""

from __future__ import annotations

import _socket  # socket's C module: socket.py loads enum tables into every debuggee (benchmarks A2)
import sys
import threading
from collections.abc import Callable

from monadapter.agent import PausedImportError, auth
from monadapter.agent.ownthread import OwnThread
from monadapter.agent.sources import pin_tokenize
from monadapter.agent.wire import MOST_PIECES, BadBody, FramingError, MessageReader, RawJSON, frame, numbered, written

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

_RECEIVE_SIZE = 65536


class Request:
    """One request from the adapter. reply()/fail() are thread-safe and may be called once, from any thread."""

    __slots__ = ("seq", "command", "arguments", "_channel", "_answered", "_lock")

    def __init__(self, channel: Channel, seq: int, command: str, arguments: dict[str, Any]) -> None:
        self.seq = seq
        self.command = command
        self.arguments = arguments
        self._channel = channel
        self._answered = False
        self._lock = threading.Lock()

    def reply(self, body: dict[str, Any] | RawJSON | None = None) -> None:
        """Answer with success and ``body``.

        Raises:
            RuntimeError: the request was already answered (a second answer is a bug in the caller).
        """
        if not self._answer({"success": True, "body": body or {}}):
            raise RuntimeError(f"request {self.seq} ({self.command}) was already answered")

    def fail(self, message: str, body: dict[str, Any] | None = None) -> None:
        """Answer with failure; ``message`` is shown to the user, so say what was wrong (``body``: an
        ErrorResponse body, for a message that is a fixed word such as ``cancelled``).

        Raises:
            RuntimeError: the request was already answered.
        """
        fields: dict[str, Any] = {"success": False, "message": message}
        if body is not None:
            fields["body"] = body
        if not self._answer(fields):
            raise RuntimeError(f"request {self.seq} ({self.command}) was already answered")

    def _answer(self, fields: dict[str, Any]) -> bool:
        """Send the response unless one was sent already; return whether this call sent it."""
        with self._lock:
            if self._answered:
                return False
            self._answered = True
        self._channel._send({"type": "response", "request_seq": self.seq, "command": self.command, **fields})
        return True


def open_connection(host: str, port: int, timeout: float) -> _socket.socket:
    """``socket.create_connection`` to ``host:port`` with ``_socket`` alone (each address getaddrinfo
    gives, in turn; the first failure raised when none connects), a host in ASCII given as bytes: for
    text, getaddrinfo loads ``encodings.idna`` (with ``stringprep`` and ``unicodedata``) into the program."""
    name = host.encode("ascii") if host.isascii() else host
    first_error: OSError | None = None
    for family, kind, protocol, _name, address in _socket.getaddrinfo(name, port, 0, _socket.SOCK_STREAM):
        sock = _socket.socket(family, kind, protocol)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
        except OSError as exc:
            sock.close()
            first_error = first_error or exc
            continue
        return sock
    raise first_error or OSError(f"no address found for {host}")


def _send_all(sock: _socket.socket, pieces: list[bytes | memoryview]) -> None:
    """``sock.sendall`` of the pieces one after the other, without joining them (``sendmsg``): a
    megabyte ``variables`` body goes from the pieces it was written in to the socket, uncopied."""
    if len(pieces) == 1:  # a frame in one piece: any message but one with a RawJSON body
        sock.sendall(pieces[0])
        return
    views = [memoryview(piece) for piece in pieces]
    while views:
        written(views, sock.sendmsg(views[:MOST_PIECES]))


class Channel:
    """The agent's DAP connection to the adapter: one I/O thread of ours reads and dispatches."""

    def __init__(self, sock: _socket.socket, reader: MessageReader | None = None) -> None:
        """``reader``: the one the handshake read with (it may hold the adapter's first bytes)."""
        self._socket = sock
        self._reader = reader or MessageReader()
        self._handlers: dict[str, Callable[[Request], None]] = {}
        self._send_lock = threading.Lock()
        self._seq = 0
        self._closed = threading.Event()
        # True once ``_closed`` is (or is about to be) set: what ``_send`` reads under the send lock,
        # since ``Event.is_set`` and ``set`` run threading's Python code (see ``_send``)
        self._gone = False
        self._closed_here = False  # close() was called: the adapter did not hang up on us
        self._hang_up_hooks: list[Callable[[], None]] = []
        self._thread: OwnThread | None = None

    @classmethod
    def connect(cls, host: str, port: int, *, secret: str, timeout: float = 10.0) -> Channel:
        """Connect to the adapter at ``host:port`` and prove to each other that both know ``secret``
        (:meth:`open`, then :meth:`authenticate`).

        Raises:
            OSError: nobody listens there.
            auth.AuthenticationError: the listener is not our adapter.
        """
        channel = cls.open(host, port, timeout)
        channel.authenticate(secret, timeout)
        return channel

    @classmethod
    def open(cls, host: str, port: int, timeout: float = 10.0) -> Channel:
        """Connect to the adapter at ``host:port`` (TCP_NODELAY: every message is small and urgent);
        nothing may be sent or read before :meth:`authenticate`.

        Raises:
            OSError: nobody listens there.
        """
        sock = open_connection(host, port, timeout)
        try:
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        except BaseException:
            sock.close()
            raise
        return cls(sock)

    def authenticate(self, secret: str, timeout: float = 10.0) -> None:
        """Prove to each other that both ends know ``secret`` (agent/auth.py); the connection is
        closed when that fails.

        Raises:
            OSError: the connection broke.
            auth.AuthenticationError: the listener is not our adapter.
        """
        try:
            self._reader = auth.connect(self._socket, secret, timeout=timeout)
        except BaseException:
            self._socket.close()
            raise

    def register(self, command: str, handler: Callable[[Request], None]) -> None:
        """Route requests named ``command`` to ``handler``, which runs on the I/O thread.

        The handler may answer at once or hand the request to another thread. If it raises
        before answering, the request fails with the exception's text and the traceback is
        logged; the channel goes on.
        """
        self._handlers[command] = handler

    def send_event(self, event: str, body: dict[str, Any] | None = None) -> None:
        """Send an event to the adapter (thread-safe); silently dropped once the connection is gone."""
        self._send(_event(event, body))

    def send_events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        """Send events in order in one write (thread-safe): a stop's announcements and its ``stopped``."""
        self._send(*(_event(event, body) for event, body in events))

    def start(self) -> None:
        """Start the I/O thread that reads and dispatches requests (one of ours: agent/ownthread.py)."""
        self._thread = OwnThread(self._read_loop)
        self._thread.start()

    @property
    def io_thread_id(self) -> int | None:
        """Thread ident of the I/O thread, None before start()."""
        return self._thread.ident if self._thread is not None else None

    def on_hang_up(self, hook: Callable[[], None]) -> None:
        """Call ``hook()`` on the I/O thread if the adapter ends the connection (not after close())."""
        self._hang_up_hooks.append(hook)

    def closed(self) -> threading.Event:
        """The event that is set when the adapter connection ends."""
        return self._closed

    def close(self) -> None:
        """Close the connection; sends are synchronous, so everything sent so far is already out."""
        with self._send_lock:
            if self._gone:
                return
            self._gone = True
            self._closed_here = True
            try:
                self._socket.shutdown(_socket.SHUT_RDWR)
            except OSError:
                pass  # the adapter already closed its end
            self._socket.close()
        self._closed.set()

    def forget_after_fork(self) -> None:
        """In a child made by ``fork``: the connection is the parent's and the I/O thread did not
        come along. Close this process's copy of the socket without ``shutdown()`` (that would cut
        the parent's connection too) and send nothing ever again. The send lock and the closed
        event are made anew first: a thread of the parent may have held them at the fork."""
        self._send_lock = threading.Lock()
        self._closed._at_fork_reinit()  # type: ignore[attr-defined]
        self._gone = True
        self._closed_here = True
        self._closed.set()
        self._socket.close()

    def _send(self, *messages: dict[str, Any]) -> None:
        """Assign each ``seq`` and write ``messages`` whole, under the send lock.

        A user thread (the output copy's writes) sends outside our callbacks, where its Python lines
        fire events: one under the send lock could be parked by a halt (Halting.line) while the
        stopping thread, holding the engine lock, waits for the send lock to send its ``stopped``: a
        deadlock (tests/test_stalled_adapter.py). So nothing under this lock runs Python code that is
        not ours (ours returns DISABLE to a halt): the message is encoded before (json's encoder is
        Python code) and only numbered under it (``wire.numbered``), ``_gone`` is read instead of
        ``Event.is_set``, and the event is set after the lock is released.
        """
        framed = [(frame(message), type(message.get("body")) is RawJSON) for message in messages]
        with self._send_lock:
            if self._gone:
                return
            pieces: list[bytes | memoryview] = []
            for pieces_of_one, raw_body in framed:
                self._seq += 1
                pieces += numbered(pieces_of_one, self._seq, raw_body=raw_body)
            try:
                _send_all(self._socket, pieces)
                return
            except OSError:
                self._gone = True
        self._closed.set()

    def _read_loop(self) -> None:
        reader = self._reader
        try:
            while self._drain(reader) and not reader.at_eof:  # the handshake's reader may hold a message
                try:
                    data = self._socket.recv(_RECEIVE_SIZE)
                except OSError:
                    data = b""
                reader.feed(data)
        finally:
            self._gone = True
            self._closed.set()
        if not self._closed_here:
            for hook in self._hang_up_hooks:
                try:
                    hook()
                except Exception:  # a hook bug must not leave the others undone
                    _complain("a hang-up hook failed", with_traceback=True)

    def _drain(self, reader: MessageReader) -> bool:
        """Dispatch every whole message buffered in ``reader``; False when the stream is beyond repair."""
        while True:
            try:
                message = reader.next_message()
            except FramingError as exc:
                _complain(f"bad frame from the adapter: {exc}")
                if not exc.recoverable:
                    return False
                continue
            if message is None:
                return True
            if isinstance(message, BadBody):
                _complain(f"bad message from the adapter: {message.error}")
            elif message.get("type") == "request":
                self._dispatch(message)

    def _dispatch(self, message: dict[str, Any]) -> None:
        seq = message.get("seq")
        command = message.get("command")
        arguments = message.get("arguments")
        request = Request(
            self,
            seq if isinstance(seq, int) else 0,
            command if isinstance(command, str) else "",
            arguments if isinstance(arguments, dict) else {},
        )
        handler = self._handlers.get(request.command)
        if handler is None:
            request.fail(f"unknown command {request.command!r}")
            return
        try:
            handler(request)
        except PausedImportError as exc:  # no bug: it can be answered once the program goes on
            request._answer({"success": False, "message": f"{exc}"})
        except Exception as exc:  # a handler bug must not end the channel
            _complain(f"handler for {request.command!r} failed", with_traceback=True)
            request._answer({"success": False, "message": f"{exc}"})


def _event(event: str, body: dict[str, Any] | None) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "event", "event": event}
    if body is not None:
        message["body"] = body
    return message


def _complain(text: str, *, with_traceback: bool = False) -> None:
    """Report a problem of ours on the debuggee's stderr, which the user sees (no logging import:
    it would cost every debuggee start-up time for messages that should never appear)."""
    print(f"monadapter agent: {text}", file=sys.stderr)
    if with_traceback:
        try:
            pin_tokenize()
            import traceback
        except PausedImportError:
            return  # a paused thread is importing one of them: no traceback rather than none ever
        traceback.print_exc()

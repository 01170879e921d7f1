"""DAP message framing (``Content-Length`` headers + UTF-8 JSON bodies), sans-IO.

One reader and one encoder serve the adapter, the client and the agent alike. The module is
standard-library only so the agent can use it inside any debuggee. It does no I/O: feed it bytes
(``b""`` means end of stream) and take whole messages out, in the style of h11.
"""

from __future__ import annotations

import re
from _io import BytesIO  # io itself is not loaded at start on 3.14+ (tests/test_transparency.py)
from _json import encode_basestring, make_encoder, make_scanner

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any, NoReturn

#: Largest body a reader accepts by default (from an authenticated peer: the agent, the adapter).
#: A bigger Content-Length is refused before any of the body is read, and the stream ends there.
MAX_BODY_BYTES = 64 * 1024 * 1024
#: Largest request the adapter accepts from a client (README, "Security"): a request is small, and
#: every connection may buffer this much.
MAX_REQUEST_BYTES = 8 * 1024 * 1024
#: Bytes :meth:`MessageReader.space` offers for a read when no long frame is being gathered.
SCRATCH_BYTES = 65536
#: Largest header block (all header lines together) we accept.
MAX_HEADER_BYTES = 8 * 1024
#: How much an anyio stream is asked for at once: asyncio's socket and pipe transports read 256 KiB at a
#: time, and anyio copies what is left of a bigger chunk than asked for back into its queue (a 1.4 MB
#: answer came in four pieces per read, three of them copies).
STREAM_READ_SIZE = 256 * 1024

_HEADER_END = b"\r\n\r\n"
_LENGTH_RE = re.compile(rb"content-length[ \t]*:([^\r\n]*)", re.IGNORECASE)


class FramingError(Exception):
    """Raised when the peer's bytes break the framing rules.

    ``recoverable`` says whether the reader skipped past the bad message and can go on (the
    body was consumed or the header was unusable but delimited), or whether the stream is
    beyond repair (end of stream in the middle of a message).
    """

    def __init__(self, message: str, *, recoverable: bool) -> None:
        super().__init__(message)
        self.recoverable = recoverable


class RawJSON:
    """The UTF-8 JSON text of an object, sent as a message's ``body`` as it is (see :func:`frame`).

    The agent writes a big ``variables`` answer as text straight away, and the adapter relays it
    without decoding it: walking 10k entries as dicts is what made such an answer slow. The text is
    held as the ``pieces`` it was made of, one after the other, never joined on its way: the agent
    sends them as they are, and the adapter's is a view into the frame it read (a 1.4 MB body was
    copied five times in the agent and three in the adapter). (A plain class, as :class:`BadBody`:
    ``dataclasses`` would load ~1.5 MB into every debuggee, benchmarks A2.)
    """

    __slots__ = ("pieces",)

    def __init__(self, *pieces: bytes | memoryview) -> None:
        self.pieces = pieces

    @property
    def text(self) -> bytes:
        """The whole text (joined: for tests, the message log and in-process callers)."""
        return b"".join(self.pieces)

    def __eq__(self, other: object) -> bool:
        if type(other) is not RawJSON:
            return NotImplemented
        return self.text == other.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"RawJSON({self.text!r})"

    def decoded(self) -> dict[str, Any]:
        """The body as an object (for in-process callers and the adapter's message log)."""
        body = _loads(str(self.text, "utf-8"))
        return body if isinstance(body, dict) else {}


class BadBody:
    """A complete frame whose body is not a JSON object; the stream stays usable."""

    __slots__ = ("error", "raw")

    def __init__(self, error: str, raw: bytes) -> None:
        self.error = error
        self.raw = raw

    def __repr__(self) -> str:
        return f"BadBody(error={self.error!r}, raw={self.raw!r})"


#: JSON through the json module's C scanner and encoder alone (``_json``, what ``json`` itself
#: uses): ``json.dumps`` and ``json.loads`` also run Python code that calls builtins (``isinstance``,
#: ``len``), which in a debuggee are the program's and may be replaced by it (agent/__init__.py), and
#: the ``json`` package would load its decoder's and encoder's regular expressions into every
#: debuggee (benchmarks A2). ``json`` itself is imported only to raise its JSONDecodeError.
_JSON_WHITESPACE = " \t\n\r"


def _not_serializable(value: object) -> object:
    """``json.JSONEncoder.default``: what the encoder calls with a value it cannot write."""
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


class _Decoding:
    """What the C scanner reads from ``json.JSONDecoder()``: its default options."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    array_hook = None  # 3.15
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__


#: json.JSONDecoder()'s C scanner.
_scan = make_scanner(_Decoding())  # type: ignore[arg-type]  # typeshed: an object with its options
#: The C encoder of json.JSONEncoder(ensure_ascii=False, separators=(",", ":")), made once:
#: ``iterencode`` makes one per message (with a closure and a dict for circular references), ~10k of
#: the ~22k instructions of a small message (3.13); every message the client, the adapter and the
#: agent send is encoded here. No circular check (markers None): our messages hold no cycles, and one
#: would end in a RecursionError instead of a ValueError; nothing is kept between calls, so threads
#: may share it.
_C_ENCODE = make_encoder(None, _not_serializable, encode_basestring, None, ":", ",", False, False, True)


def dumps(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` for values without cycles
    (see ``_C_ENCODE``); a value json cannot write raises TypeError, as there."""
    return "".join(_C_ENCODE(value, 0))


def _loads(text: str) -> Any:
    """``json.loads(text)``: raises json.JSONDecodeError as it does."""
    text = text.strip(_JSON_WHITESPACE)
    try:
        value, end = _scan(text, 0)
    except StopIteration as stop:
        _json_error("Expecting value", text, stop.value)
    if end != len(text):
        _json_error("Extra data", text, end)
    return value


def _json_error(message: str, text: str, position: int) -> NoReturn:
    try:
        from json import JSONDecodeError  # here: only a bad message loads the json package
    except ImportError:  # a thread the agent holds paused is importing json (agent.PausedImportError)
        raise ValueError(f"{message}: char {position}") from None
    raise JSONDecodeError(message, text, position)


def encode(message: dict[str, Any]) -> bytes:
    """Return ``message`` framed for the wire (:func:`frame`, joined)."""
    return b"".join(frame(message))


def frame(message: dict[str, Any]) -> list[bytes | memoryview]:
    """Return ``message`` framed for the wire, in pieces to be written in order: the whole frame, or for
    a :class:`RawJSON` ``body`` the header, the text before the body, its pieces as they are, and ``}``.

    Text that is not valid Unicode (a lone surrogate: a client's ``"\\ud800"``, a thread name, a
    ``repr``, a file name with undecodable bytes) goes out as its JSON escape, so it reads back as
    the same string and never makes a message unsendable.
    """
    body = message.get("body")
    if type(body) is not RawJSON:
        return [_whole(_utf8(dumps(message)))]
    head = _answer_head(message)
    if head is None:
        envelope = _utf8(dumps({key: value for key, value in message.items() if key != "body"}))
        head = envelope[:-1] + b',"body":' if len(envelope) > 2 else b'{"body":'
    return _framed([head, *body.pieces, b"}"])


#: The keys of a successful answer with a :class:`RawJSON` body, in the order the adapter's and the
#: agent's answers have them (the agent's has no ``seq`` yet: ``numbered`` puts it in).
_ANSWER_KEYS = ("type", "request_seq", "command", "success", "body", "seq")
_UNNUMBERED_ANSWER_KEYS = _ANSWER_KEYS[:-1]


def _answer_head(message: dict[str, Any]) -> bytes | None:
    """The text :func:`frame` puts before a :class:`RawJSON` body, ``{"type":"response",...,"body":``,
    made by ``%``-formatting when ``message`` is a successful answer of the usual form (keys in
    :data:`_ANSWER_KEYS`' order, ``int`` numbers, a command of ASCII letters and digits, which JSON
    writes as they are), else None. The same bytes ``dumps`` writes, for ~a tenth of its cost: the
    envelope of every answer the adapter relays (benchmarks S10e)."""
    keys = tuple(message)
    if keys != _ANSWER_KEYS and keys != _UNNUMBERED_ANSWER_KEYS:
        return None
    command, request_seq = message["command"], message["request_seq"]
    if (
        message["type"] != "response"
        or message["success"] is not True
        or type(command) is not str
        or not (command.isascii() and command.isalnum())
        or type(request_seq) is not int
    ):
        return None
    if len(keys) == len(_UNNUMBERED_ANSWER_KEYS):
        return b'{"type":"response","request_seq":%d,"command":"%s","success":true,"body":' % (
            request_seq,
            command.encode("ascii"),
        )
    seq = message["seq"]
    if type(seq) is not int:
        return None
    return b'{"type":"response","request_seq":%d,"command":"%s","success":true,"seq":%d,"body":' % (
        request_seq,
        command.encode("ascii"),
        seq,
    )


def numbered(framed: list[bytes | memoryview], seq: int, *, raw_body: bool = False) -> list[bytes | memoryview]:
    """``framed``, a message :func:`frame` framed without a ``seq``, framed again with ``"seq":seq``
    where :func:`frame` puts it when the message has one: last, or just before a :class:`RawJSON`
    body (``raw_body``), the two forms adapter/agentlink.py reads. Bytes operations on the header and
    the text before the body only, no JSON encoding: the agent's channel numbers messages under its
    send lock, where no Python code of the standard library may run (agent/channel.py,
    ``Channel._send``)."""
    if raw_body:  # the text before the body ends with its key
        return _framed([framed[1][: -len(b'"body":')], b'"seq":%d,"body":' % seq, *framed[2:]])
    whole = bytes(framed[0])  # the very bytes: frame() gives a frame in one piece as bytes
    text = whole[whole.index(b"\r\n\r\n") + 4 : -1]
    return [_whole(text + b',"seq":%d}' % seq if len(text) > 1 else b'{"seq":%d}' % seq)]


#: Pieces given to one gathering write (``sendmsg``, ``os.writev``) at most (Linux takes 1,024: IOV_MAX).
MOST_PIECES = 512


def written(views: list[memoryview], count: int) -> None:
    """Drop the first ``count`` bytes from ``views``, the pieces of a frame being written in order with
    gathering writes (``sendmsg``, ``os.writev``): what is left is what the next write starts with."""
    done = 0
    while done < len(views) and len(views[done]) <= count:
        count -= len(views[done])
        done += 1
    del views[:done]  # one move of what is left: popping each piece from the front moved it each time
    if views:
        views[0] = views[0][count:]


def _whole(text: bytes) -> bytes:
    """The frame of the JSON text ``text``, as one piece."""
    return b"Content-Length: %d\r\n\r\n%s" % (len(text), text)


def _framed(pieces: list[bytes | memoryview]) -> list[bytes | memoryview]:
    """The frame of the JSON text ``pieces`` make together: its header, then the pieces."""
    return [b"Content-Length: %d\r\n\r\n" % sum(map(len, pieces)), *pieces]


def _utf8(json_text: str) -> bytes:
    """UTF-8 of JSON text; a lone surrogate can only stand inside a JSON string, where ``\\udXXX`` is its escape."""
    try:
        return json_text.encode("utf-8")
    except UnicodeEncodeError:
        return json_text.encode("utf-8", "backslashreplace")


def decode(raw: bytes) -> dict[str, Any] | BadBody:
    """Return the message a frame's body holds, or a :class:`BadBody` when it is not a JSON object."""
    try:
        message = _loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        # ValueError: not UTF-8, not JSON, or an integer of more digits than Python converts
        # (sys.get_int_max_str_digits); RecursionError: nested deeper than json can decode.
        return BadBody(f"message body is not valid UTF-8 JSON: {exc}", raw)
    if not isinstance(message, dict):
        return BadBody(f"message body is a JSON {type(message).__name__}, not an object", raw)
    return message


class MessageReader:
    """Turns a byte stream into DAP messages.

    Call :meth:`feed` with each chunk read, then :meth:`next_message` until it returns
    ``None`` (more bytes needed). ``next_message`` returns a ``dict`` for a good message, a
    :class:`BadBody` for a frame whose body is not a JSON object, and raises
    :class:`FramingError` for a broken header. :meth:`next_frame` gives the body's bytes
    undecoded instead, for a relay that passes them on.
    """

    def __init__(self, *, max_body: int = MAX_BODY_BYTES) -> None:
        self._buffer = bytearray()
        #: the body of the frame being completed: a ``bytes`` of its whole size, made once its header is
        #: read, that a BytesIO holds and lets us fill through ``_body``, its writable view, as the chunks
        #: come (``_filled`` bytes so far); None when no frame is. Each chunk is copied in as it is fed and
        #: can be freed at once, and the frame is that very ``bytes`` (``getvalue`` of an unshared buffer
        #: copies nothing; pydantic's parser copies a bytearray first). Chunks kept until the frame was
        #: whole, then joined, made a process hold a long frame twice, each time in fresh memory (a
        #: 1.4 MB ``variables`` answer cost the adapter and the client ~730 page faults each, ~2-5 us
        #: apiece on this machine: benchmarks S11)
        self._gathered: BytesIO | None = None
        self._body: memoryview | None = None
        self._filled = 0
        #: what :meth:`space` gives when no body is being gathered (made at the first such read)
        self._scratch: bytearray | None = None
        self._eof = False
        #: the largest body accepted; a bigger one ends the stream (see :meth:`next_frame`)
        self.max_body = max_body

    @property
    def at_eof(self) -> bool:
        """True once ``feed(b"")`` was called and every buffered message was taken."""
        return self._eof and not self._buffer and self._body is None

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Add bytes read from the peer; ``b""`` marks the end of the stream. ``data`` is copied: the
        caller may reuse its buffer."""
        if not data:
            self._eof = True
            return
        if self._eof:
            return
        body = self._body
        room = 0 if body is None else len(body) - self._filled
        if not room:
            self._buffer += data
            return
        assert body is not None
        if len(data) <= room:
            body[self._filled : self._filled + len(data)] = data
            self._filled += len(data)
            return
        with memoryview(data) as view:
            body[self._filled :] = view[:room]
            self._buffer += view[room:]
        self._filled += room

    def space(self) -> memoryview:
        """Where the next bytes read from the peer may go (``recv_into``), then :meth:`received` says how
        many came: the rest of the body of a long frame being gathered, read straight into it (no chunk
        of fresh memory per read, no copy), else a scratch area of :data:`SCRATCH_BYTES`."""
        body = self._body
        if body is not None and self._filled < len(body):
            return memoryview(body)[self._filled :]
        if self._scratch is None:
            self._scratch = bytearray(SCRATCH_BYTES)
        return memoryview(self._scratch)

    def received(self, count: int) -> None:
        """``count`` bytes were read into what :meth:`space` gave last (nothing else was done between)."""
        body = self._body
        if body is not None and self._filled < len(body):
            self._filled += count
        elif count and self._scratch is not None:
            with memoryview(self._scratch) as view:
                self.feed(view[:count])

    @property
    def held(self) -> int:
        """Bytes fed and not taken yet, but for those of a long frame's body being gathered (whose room
        is made already): what a reader that falls behind piles up."""
        return len(self._buffer)

    def peek_frame(self) -> bytes | None:
        """The body of the next whole frame, left in the reader (``next_frame`` still returns it)."""
        if self._body is not None:
            return bytes(self._body) if self._filled == len(self._body) else None
        probe = MessageReader(max_body=self.max_body)
        probe.feed(self._buffer)
        return probe.next_frame()

    def next_message(self) -> dict[str, Any] | BadBody | None:
        """Return the next whole message, or ``None`` when more bytes are needed."""
        raw = self.next_frame()
        return None if raw is None else decode(raw)

    def next_frame(self) -> bytes | None:
        """Return the body of the next whole frame, undecoded, or ``None`` when more bytes are needed.

        A ``Content-Length`` over :attr:`max_body` raises a FramingError that is not recoverable:
        nothing of the body is kept, and the reader takes no more bytes (its user closes the stream).
        Skipping the body instead would keep the connection reading, deaf, for as long as it says.
        """
        if self._body is not None:
            return self._long_frame()
        end = self._buffer.find(_HEADER_END)
        if end < 0:
            if len(self._buffer) > MAX_HEADER_BYTES:
                self._buffer.clear()
                raise FramingError(
                    f"header block is over {MAX_HEADER_BYTES} bytes without a blank line",
                    recoverable=not self._eof,
                )
            if self._eof and self._buffer.strip():
                self._buffer.clear()
                raise FramingError("stream ended in the middle of a header", recoverable=False)
            return None
        header = bytes(self._buffer[:end])
        length = self._content_length(header, end)
        start = end + len(_HEADER_END)
        if length > self.max_body:
            self._buffer.clear()
            self._eof = True
            raise FramingError(
                f"Content-Length {length} is over the limit of {self.max_body} bytes; the connection is closed",
                recoverable=False,
            )
        if len(self._buffer) - start < length:
            if self._eof:
                self._buffer.clear()
                raise FramingError("stream ended in the middle of a message body", recoverable=False)
            # the body's whole size at once (at most max_body: what the peer may make us hold anyway;
            # ``bytes(n)`` is zeroed memory the system gives, touched only as it is filled)
            self._gathered = BytesIO(bytes(length))
            body = self._body = self._gathered.getbuffer()
            self._filled = len(self._buffer) - start
            with memoryview(self._buffer) as view:
                body[: self._filled] = view[start:]
            self._buffer.clear()
            return None
        raw = bytes(self._buffer[start : start + length])
        del self._buffer[: start + length]
        return raw

    def _long_frame(self) -> bytes | None:
        """The body being gathered, once it is whole (what followed it is in ``_buffer``)."""
        body, gathered = self._body, self._gathered
        assert body is not None and gathered is not None
        whole = self._filled == len(body)
        if not whole:
            if not self._eof:
                return None
            self._buffer.clear()
        body.release()
        self._body = self._gathered = None
        if not whole:
            raise FramingError("stream ended in the middle of a message body", recoverable=False)
        return gathered.getvalue()  # the bytes filled, not a copy (but while a view of a read is alive)

    def _content_length(self, header: bytes, end: int) -> int:
        """Parse the header block; on error drop it (the stream resumes after it).

        The last ``Content-Length`` in the block wins, wherever it stands on its line: after a
        frame that had no header, its body is glued to the next header, and this way the next
        good message is still found.
        """
        if header.startswith(b"Content-Length: "):  # the one header every peer of ours writes
            value = header[16:]
            if value.isdigit():
                return int(value)
        found = _LENGTH_RE.findall(header)
        if not found:
            del self._buffer[: end + len(_HEADER_END)]
            raise FramingError("header block has no Content-Length", recoverable=True)
        value = found[-1].strip()
        if not value.isdigit():
            del self._buffer[: end + len(_HEADER_END)]
            raise FramingError(
                f"Content-Length {value.decode('ascii', 'replace')!r} is not a non-negative integer",
                recoverable=True,
            )
        return int(value)

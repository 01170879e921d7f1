"""The first ``initialize`` on stdio, answered before the adapter's heavy imports.

An editor starts the adapter and sends ``initialize`` at once, then waits for the answer; the
answer (our capabilities) depends on nothing the session loads. Importing anyio, asyncio and
pydantic is most of the adapter's start (benchmarks A1), so ``__main__`` first reads the client's
first message itself, with plain blocking reads, and answers it here when it is an ``initialize``
that the schema's model certainly accepts (:func:`certainly_valid`: exact JSON types only, nothing
pydantic would have to coerce or refuse, judged by the tables gen_protocol.py writes from the
schema beside the models, adapter/shapes.py). The session, started after the imports, goes on from the
next message. Anything else (another request, an ``initialize`` whose arguments pydantic must
judge, a framing error, the end of input) is handed to the session unanswered, byte for byte, and
is answered there as it always was.

Standard library only (with the package's own light modules): importing this module must cost
nothing that the answer could wait for.
"""

from __future__ import annotations

import os
import select
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from monadapter.adapter import shapes
from monadapter.adapter.capabilities import capabilities
from monadapter.adapter.messagelog import ADAPTER_TO_CLIENT, CLIENT_TO_ADAPTER, MessageLog
from monadapter.agent.wire import MAX_REQUEST_BYTES, FramingError, MessageReader, decode, encode

if TYPE_CHECKING:
    from monadapter.adapter.shapes import Field

#: How much is read from stdin at once (here and by the head start, adapter/headstart.py).
RECEIVE_SIZE = 65536

_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True, slots=True)
class EarlyStart:
    """What happened before the session started: ``reader`` holds the bytes read and not yet
    handled; ``client_arguments`` are the answered ``initialize``'s arguments (None: nothing was
    answered); ``sent`` is how many messages went out (the session's next ``seq`` follows)."""

    reader: MessageReader
    log: MessageLog
    client_arguments: dict[str, Any] | None = None
    sent: int = 0


def certainly_valid(message: dict[str, Any]) -> bool:
    """Whether ``message`` is an ``initialize`` request that ``protocol.parse_request`` accepts
    as it is. False means "not sure", never "invalid": the session's validation decides then."""
    arguments = certain_arguments(message, "initialize")
    return arguments is not None and fits_shape(arguments, INITIALIZE_ARGUMENTS)


def certain_arguments(message: dict[str, Any], command: str) -> dict[str, Any] | None:
    """The arguments object of ``message`` when it is a ``command`` request in a form the schema's
    request model certainly accepts (a seq, arguments that are an object); else None."""
    seq = message.get("seq")
    arguments = message.get("arguments")
    if (
        message.get("type") == "request"
        and message.get("command") == command
        and type(seq) is int
        and seq >= SEQ_MINIMUM
        and type(arguments) is dict
    ):
        return arguments
    return None


def is_scalar(value: object) -> bool:
    """Whether ``value`` nests nothing: an extra field the models keep as it is."""
    return isinstance(value, _SCALARS)


#: What a field may hold, certainly: an exact JSON type, the values of a string literal, or a test.
Kind = type | tuple[str, ...] | Callable[[Any], bool]
#: An object's fields (each optional: null or absent is the model's default) and the required ones.
Shape = tuple[Mapping[str, Kind], frozenset[str]]


def fits_shape(value: object, shape: Shape) -> bool:
    """Whether ``value`` is an object that a model of ``shape`` certainly accepts as it is: the
    required fields there, each field of its kind or null, extra fields that nest nothing."""
    if type(value) is not dict:
        return False
    fields, required = shape
    if any(value.get(name) is None for name in required):
        return False
    for name, item in value.items():
        kind = fields.get(name)
        if kind is None:
            if not is_scalar(item):  # an extra field: kept as it is, if it nests nothing
                return False
        elif item is not None and not fits(item, kind):
            return False
    return True


def fits(value: object, kind: Kind) -> bool:
    """Whether ``value`` is certainly of ``kind``."""
    if type(kind) is type:
        return type(value) is kind
    if type(kind) is tuple:
        return type(value) is str and value in kind
    return kind(value)  # type: ignore[operator]


_JSON_TYPES: dict[str, type] = {"string": str, "integer": int, "number": float, "boolean": bool}


def shape_of(definition: str, nested: Callable[[Field], Kind] | None = None) -> Shape:
    """The shape of a schema definition's objects, read from the generated tables (adapter/shapes.py);
    ``nested`` gives the kind of a field that is an object (else: never certain)."""
    fields, required = shapes.DEFINITIONS[definition]
    return {name: kind_of(field, nested) for name, field in fields.items()}, required


def kind_of(field: Field, nested: Callable[[Field], Kind] | None = None) -> Kind:
    """What a field of the schema certainly holds: its JSON type exactly, one of its enum's strings,
    an int of at least its minimum; a value that nests nothing if the schema allows several types;
    a list of items of a certain kind; an object as ``nested`` says: else pydantic must judge it."""
    if "enum" in field:
        return field["enum"]
    if "minimum" in field:
        return non_negative if field["minimum"] == 0 else never  # the schema bounds nothing else
    kind = field["type"]
    if kind in _JSON_TYPES:
        return _JSON_TYPES[kind]
    if kind == "any":
        return is_scalar
    if kind == "array":
        item = kind_of(field["items"], nested)
        return never if item is never else list_of(item)
    return never if nested is None else nested(field)


def never(value: object) -> bool:
    """A field the models check more closely than this module does (only null or absent is certain)."""
    return False


def non_negative(value: object) -> bool:
    """An ``int`` the schema bounds below by 0 (``Field(ge=0)``)."""
    return type(value) is int and value >= 0


def list_of(kind: Kind) -> Callable[[Any], bool]:
    """A list whose every item is certainly of ``kind``."""
    return lambda value: type(value) is list and all(fits(item, kind) for item in value)


#: ``InitializeRequestArguments`` of the DAP schema.
INITIALIZE_ARGUMENTS = shape_of("InitializeRequestArguments")
#: The least ``seq`` the models accept (the schema says 1; the generator makes it 0 for dap-python).
SEQ_MINIMUM: int = shapes.DEFINITIONS["Request"][0]["seq"]["minimum"]


def answer_initialize(read_fd: int, write_fd: int, log: MessageLog) -> EarlyStart:
    """Read the first message from ``read_fd``; answer it on ``write_fd`` if it is an initialize
    that is certainly valid. Returns what the session needs to go on."""
    data = bytearray()
    while True:
        chunk = _read(read_fd)
        data += chunk
        probe = MessageReader(max_body=MAX_REQUEST_BYTES)
        probe.feed(bytes(data))
        if not chunk:
            probe.feed(b"")
        try:
            raw = probe.next_frame()
        except FramingError:
            return EarlyStart(_unread(data, not chunk), log)
        if raw is not None:
            break
        if not chunk:
            return EarlyStart(_unread(data, True), log)
    message = decode(raw)
    if not isinstance(message, dict) or not certainly_valid(message):
        return EarlyStart(_unread(data, False), log)
    log.record(CLIENT_TO_ADAPTER, message)
    response = {
        "type": "response",
        "request_seq": message["seq"],
        "command": "initialize",
        "success": True,
        "body": capabilities(),
        "seq": 1,
    }
    log.record(ADAPTER_TO_CLIENT, response)
    _write_all(write_fd, encode(response))
    return EarlyStart(probe, log, message["arguments"], 1)


def _unread(data: bytearray, at_eof: bool) -> MessageReader:
    """A reader holding every byte read so far, as the session's own reader would have them."""
    reader = MessageReader(max_body=MAX_REQUEST_BYTES)
    reader.feed(bytes(data))
    if at_eof:
        reader.feed(b"")
    return reader


def _read(fd: int) -> bytes:
    """Whatever the client sent next (``b""``: the end); waits if our stdin is non-blocking."""
    while True:
        try:
            return os.read(fd, RECEIVE_SIZE)
        except BlockingIOError:
            select.select([fd], [], [])
        except OSError:
            return b""


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    try:
        while view:
            try:
                view = view[os.write(fd, view) :]
            except BlockingIOError:
                select.select([], [fd], [])
    except OSError:
        pass  # the client closed our stdout: the session's reader sees the end of input

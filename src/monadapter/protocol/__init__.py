"""DAP message models (generated from the schema) and the validation of incoming requests.

Every model of the DAP schema is importable from here (``from monadapter.protocol import
Capabilities, StoppedEventBody``); they live in ``_generated.py``, written by
``scripts/gen_protocol.py``. This module adds what the schema cannot say: which model a command
maps to (:data:`REQUEST_COMMANDS`) and :func:`parse_request`, which turns a client message into a
validated request or a :class:`RequestValidationError` whose text can go straight into the
``message`` of an error response (both defined in adapter/requests.py, which needs no pydantic:
the configuration requests that adapter/certain.py tells valid never come here).

Importing this module defines no model: each is defined the first time it is looked up
(``_lazy.py``), and builds its validator on its first use (``defer_build``), so the first
``initialize`` defines and builds just the models it touches.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from monadapter.adapter.requests import ParsedRequest, RequestValidationError
from monadapter.protocol import _lazy
from monadapter.protocol._base import DAPModel

#: The generated models' module, which defines each model when it is first looked up.
_models = _lazy.install(f"{__name__}._generated", Path(__file__).with_name("_generated.py"))
if TYPE_CHECKING:
    from monadapter.protocol import _generated
    from monadapter.protocol._generated import *  # noqa: F403 (re-exported, lazily: see __getattr__)
else:
    _generated = _models

__all__ = [
    "DAPModel",
    "REQUEST_COMMANDS",
    "ParsedRequest",
    "RequestValidationError",
    "parse_request",
    *_generated.__all__,
]

#: How many validation problems one error message lists before it says "and N more".
_MAX_PROBLEMS = 3
#: Longest rendering of a rejected value, or of a field's location, inside an error message.
_MAX_VALUE_CHARS = 60


def __getattr__(name: str) -> Any:
    """A model re-exported from ``_generated``, defined on this first look-up."""
    if name in _generated.__all__:
        return getattr(_generated, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _RequestModels(Mapping[str, "type[_generated.Request]"]):
    """command -> request model, read from the models' ``command`` literals; a model is defined
    when it is looked up, so the table costs nothing until a request needs its model."""

    def __init__(self) -> None:
        self._names = _models.request_commands()
        self._defined: dict[str, type[_generated.Request]] = {}

    def __getitem__(self, command: str) -> type[_generated.Request]:
        model = self._defined.get(command)
        if model is None:
            model = self._defined[command] = getattr(_generated, self._names[command])
        return model

    def __contains__(self, command: object) -> bool:
        return command in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


#: command -> request model, for every request in the schema (the reverse requests
#: ``runInTerminal`` and ``startDebugging`` included: the table says what the schema defines,
#: the adapter decides what it serves).
REQUEST_COMMANDS: Mapping[str, type[_generated.Request]] = _RequestModels()


#: Deepest nesting of objects and arrays a request's arguments may have (DAP's go a few levels
#: deep). What ``json`` reads depends on the Python version: deeper arguments relayed to an agent
#: on another Python could be unreadable there, and the request would never be answered.
MAX_NESTING = 64


def nested_deeper_than(value: object, limit: int) -> bool:
    """Whether ``value`` nests objects and arrays more than ``limit`` levels deep (no recursion:
    the value may be nested deeper than Python's recursion limit). Level by level, containers only:
    the flat arguments of most requests cost one comprehension (every request is checked)."""
    level = [value] if isinstance(value, (dict, list)) else []
    depth = 0
    while level:
        if depth >= limit:
            return True
        depth += 1
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, (dict, list))
        ]
    return False


def parse_request(message: dict[str, Any]) -> ParsedRequest:
    """Validate a client message as a DAP request of a known command.

    Args:
        message: one decoded message, as ``monadapter.agent.wire`` returns it.

    Returns:
        The validated request.

    Raises:
        RequestValidationError: the message is not a request (no ``type: request``, no string
            ``command``, ``seq`` not a non-negative integer), its command is unknown, its arguments
            nest deeper than :data:`MAX_NESTING`, or it does not match the command's model. The text names the command and each bad field, e.g.
            ``invalid arguments for 'setBreakpoints': source: field required``.
    """
    if not isinstance(message, dict):
        raise RequestValidationError(f"a request must be a JSON object, not {type(message).__name__}")
    seq = message.get("seq")
    command = message.get("command")
    known_seq = seq if type(seq) is int and seq >= 0 else None
    known_command = command if isinstance(command, str) else None

    def fail(text: str) -> RequestValidationError:
        return RequestValidationError(text, seq=known_seq, command=known_command)

    if message.get("type") != "request":
        raise fail(f"not a request: {_field_problem(message, 'type', "'request'")}")
    if known_seq is None:
        raise fail(f"invalid request: {_field_problem(message, 'seq', 'a non-negative integer')}")
    if known_command is None:
        raise fail(f"invalid request: {_field_problem(message, 'command', 'a string')}")
    if known_command not in REQUEST_COMMANDS:
        raise fail(f"unknown command {known_command!r}")
    if nested_deeper_than(message.get("arguments"), MAX_NESTING):
        raise fail(f"invalid arguments for {known_command!r}: nested deeper than {MAX_NESTING} levels")
    model = REQUEST_COMMANDS[known_command]
    try:
        request = model.model_validate(message)
    except ValidationError as exc:
        raise fail(_describe(known_command, exc)) from None
    arguments = request.arguments if isinstance(request.arguments, DAPModel) else None
    return ParsedRequest(known_seq, known_command, arguments, request, message)


def _describe(command: str, error: ValidationError) -> str:
    """Turn pydantic's report into one line: the command, then each bad field and what is wrong.

    Problems inside ``arguments`` are named relative to it ("source: field required"), since the
    user wrote the arguments (a launch configuration, say) and never saw the envelope.
    """
    problems = error.errors(include_url=False)
    in_arguments = all(p["loc"][:1] == ("arguments",) and len(p["loc"]) > 1 for p in problems)
    heading = f"invalid arguments for {command!r}" if in_arguments else f"invalid {command!r} request"
    parts = []
    for problem in problems[:_MAX_PROBLEMS]:
        loc = problem["loc"][1:] if in_arguments else problem["loc"]
        text = problem["msg"][:1].lower() + problem["msg"][1:]
        if problem["type"] != "missing":
            text += f", not {_shorten(repr(problem['input']))}"
        parts.append(f"{_shorten(_format_loc(loc), keep_end=True)}: {text}")
    if len(problems) > _MAX_PROBLEMS:
        parts.append(f"and {len(problems) - _MAX_PROBLEMS} more")
    return f"{heading}: {'; '.join(parts)}"


def _format_loc(loc: tuple[int | str, ...]) -> str:
    """Render a pydantic error location as one writes a JSON path: ``breakpoints[0].line``."""
    rendered = ""
    for part in loc:
        if isinstance(part, int):
            rendered += f"[{part}]"
        else:
            rendered += f".{part}" if rendered else part
    return rendered or "message"


def _field_problem(message: dict[str, Any], key: str, expected: str) -> str:
    """Say what is wrong with ``message[key]``: that it is missing, or what it is instead."""
    if key not in message:
        return f"{key!r} is missing"
    value = message[key]
    return f"{key!r} must be {expected}, not {'null' if value is None else _shorten(repr(value))}"


def _shorten(text: str, *, keep_end: bool = False) -> str:
    """Cut ``text`` to a length that fits in an error message (keeping its end for a location)."""
    if len(text) <= _MAX_VALUE_CHARS:
        return text
    if keep_end:
        return "..." + text[3 - _MAX_VALUE_CHARS :]
    return text[: _MAX_VALUE_CHARS - 3] + "..."

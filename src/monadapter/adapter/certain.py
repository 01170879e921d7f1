"""Requests told valid without pydantic: a launch is configured, and a stop inspected, before it loads.

An editor sends ``launch``, then ``setBreakpoints`` (one per file), ``setFunctionBreakpoints``,
``setExceptionBreakpoints`` and ``configurationDone``, and the program runs only after the last.
Importing pydantic and building the models these requests need costs ~600 M instructions on 3.13
(benchmarks S9), which the program's start would wait for; at a stop, the first ``stackTrace``
built its validator (~14 ms). :func:`certain_request` accepts a request of a command in
:data:`ARGUMENTS` when the schema's model certainly accepts it as it is (exact JSON types, no field
that pydantic would have to coerce or judge, such as a ``format`` or ``checksums``, extra fields
that nest nothing; a test checks the tables against the models): it is then handled as
``protocol.parse_request`` would have it (a :class:`ParsedRequest` without models: the handlers read
the message as the client sent it). Anything else, and every other command, is left to the models
(None means "not sure", never "invalid"), so the errors a client gets are the models' as before.
``launch`` is :func:`headstart.certain_launch`'s, which the launch handler plans from alike.

pydantic and the models are imported by the first request left to them (once: ~100 ms on 3.13), if
any comes: a session that configures, stops, inspects, steps and continues as editors do needs none.

Standard library only (with the package's light modules).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from monadapter.adapter.early import Kind, Shape, fits, fits_shape, is_scalar
from monadapter.adapter.headstart import certain_launch
from monadapter.adapter.requests import ParsedRequest


def _never(value: object) -> bool:
    """A field the models check more closely than this module does (only null or absent is certain)."""
    return False


def non_negative(value: object) -> bool:
    """An ``int`` the schema bounds below by 0 (``Field(ge=0)``)."""
    return type(value) is int and value >= 0


def _list_of(kind: Kind) -> Callable[[Any], bool]:
    return lambda value: type(value) is list and all(fits(item, kind) for item in value)


def _object(shape: Shape) -> Callable[[Any], bool]:
    return lambda value: fits_shape(value, shape)


#: ``Source`` (a client sets breakpoints in a file by its path; ``sources``/``checksums`` nest).
SOURCE: Shape = (
    {
        "name": str,
        "path": str,
        "sourceReference": non_negative,
        "presentationHint": ("normal", "emphasize", "deemphasize"),
        "origin": str,
        "sources": _never,
        "adapterData": is_scalar,
        "checksums": _never,
    },
    frozenset(),
)
SOURCE_BREAKPOINT: Shape = (
    {"line": int, "column": int, "condition": str, "hitCondition": str, "logMessage": str, "mode": str},
    frozenset({"line"}),
)
GRANULARITY = ("statement", "line", "instruction")
FUNCTION_BREAKPOINT: Shape = ({"name": str, "condition": str, "hitCondition": str}, frozenset({"name"}))

#: command -> the shape of its arguments.
ARGUMENTS: dict[str, Shape] = {
    "setBreakpoints": (
        {
            "source": _object(SOURCE),
            "breakpoints": _list_of(_object(SOURCE_BREAKPOINT)),
            "lines": _list_of(int),
            "sourceModified": bool,
        },
        frozenset({"source"}),
    ),
    "setFunctionBreakpoints": ({"breakpoints": _list_of(_object(FUNCTION_BREAKPOINT))}, frozenset({"breakpoints"})),
    "setExceptionBreakpoints": (
        {"filters": _list_of(str), "filterOptions": _never, "exceptionOptions": _never},
        frozenset({"filters"}),
    ),
    "configurationDone": ({}, frozenset()),
    # what an editor sends at a stop, to inspect it and to resume
    "threads": ({}, frozenset()),  # no arguments model: an object whose fields nest nothing
    "stackTrace": ({"threadId": int, "startFrame": int, "levels": int, "format": _never}, frozenset({"threadId"})),
    "scopes": ({"frameId": int}, frozenset({"frameId"})),
    "variables": (
        {
            "variablesReference": non_negative,
            "filter": ("indexed", "named"),
            "start": int,
            "count": int,
            "format": _never,
        },
        frozenset({"variablesReference"}),
    ),
    "evaluate": (
        {
            "expression": str,
            "frameId": int,
            "line": int,
            "column": int,
            "source": _object(SOURCE),
            "context": str,
            "format": _never,
        },
        frozenset({"expression"}),
    ),
    "exceptionInfo": ({"threadId": int}, frozenset({"threadId"})),
    "source": ({"source": _object(SOURCE), "sourceReference": non_negative}, frozenset({"sourceReference"})),
    "continue": ({"threadId": int, "singleThread": bool}, frozenset({"threadId"})),
    "next": ({"threadId": int, "singleThread": bool, "granularity": GRANULARITY}, frozenset({"threadId"})),
    "stepIn": (
        {"threadId": int, "singleThread": bool, "targetId": int, "granularity": GRANULARITY},
        frozenset({"threadId"}),
    ),
    "stepOut": ({"threadId": int, "singleThread": bool, "granularity": GRANULARITY}, frozenset({"threadId"})),
    "pause": ({"threadId": int}, frozenset({"threadId"})),
    "disconnect": ({"restart": bool, "terminateDebuggee": bool, "suspendDebuggee": bool}, frozenset()),
    "terminate": ({"restart": bool}, frozenset()),
    # and what the user asks for now and then
    "setVariable": (
        {"variablesReference": non_negative, "name": str, "value": str, "format": _never},
        frozenset({"variablesReference", "name", "value"}),
    ),
    "setExpression": (
        {"expression": str, "value": str, "frameId": int, "format": _never},
        frozenset({"expression", "value"}),
    ),
    "completions": ({"frameId": int, "text": str, "column": int, "line": int}, frozenset({"text", "column"})),
    "modules": ({"startModule": int, "moduleCount": int}, frozenset()),
    "loadedSources": ({}, frozenset()),
    "stepInTargets": ({"frameId": int}, frozenset({"frameId"})),
    "gotoTargets": ({"source": _object(SOURCE), "line": int, "column": int}, frozenset({"source", "line"})),
    "goto": ({"threadId": int, "targetId": int}, frozenset({"threadId", "targetId"})),
    # a cancel must not wait for pydantic's import (~100 ms) to reach an evaluate stuck in a loop
    "cancel": ({"requestId": non_negative, "progressId": str}, frozenset()),
}
#: The commands whose arguments may be absent (or null).
OPTIONAL_ARGUMENTS = frozenset({"configurationDone", "threads", "disconnect", "terminate", "loadedSources", "cancel"})


def certain_request(message: dict[str, Any]) -> ParsedRequest | None:
    """``message`` as a valid request, when it is a request of a command in :data:`ARGUMENTS` (or a
    ``launch``) that the models certainly accept; else None, and the models decide."""
    command = message.get("command")
    seq = message.get("seq")
    if message.get("type") != "request" or type(seq) is not int or seq < 0:
        return None
    if command == "launch":
        return ParsedRequest(seq, command, None, None, message) if certain_launch(message) is not None else None
    if type(command) is not str or command not in ARGUMENTS:
        return None
    arguments = message.get("arguments")
    if fits_shape(arguments, ARGUMENTS[command]) or (arguments is None and command in OPTIONAL_ARGUMENTS):
        return ParsedRequest(seq, command, None, None, message)
    return None


def load_models() -> None:
    """Import what the requests left to the models need: pydantic, the DAP models, the launch models."""
    import monadapter.adapter.launch
    import monadapter.protocol  # noqa: F401

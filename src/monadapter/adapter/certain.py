"""Requests told valid without pydantic: a launch is configured, and a stop inspected, before it loads.

An editor sends ``launch``, then ``setBreakpoints`` (one per file), ``setFunctionBreakpoints``,
``setExceptionBreakpoints`` and ``configurationDone``, and the program runs only after the last.
Importing pydantic and building the models these requests need costs ~600 M instructions on 3.13
(benchmarks S9), which the program's start would wait for; at a stop, the first ``stackTrace``
built its validator (~14 ms). :func:`certain_request` accepts a request of a command in
:data:`ARGUMENTS` when the schema's model certainly accepts it as it is (exact JSON types, no field
that pydantic would have to coerce or judge, such as a ``format`` or ``checksums``, extra fields
that nest nothing; the fields come from adapter/shapes.py, which scripts/gen_protocol.py writes from
the schema beside the models): it is then handled as
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

from monadapter.adapter.early import SEQ_MINIMUM, Kind, Shape, fits_shape, never, shape_of
from monadapter.adapter.headstart import certain_launch
from monadapter.adapter.requests import ParsedRequest
from monadapter.adapter.shapes import REQUESTS


def _object(shape: Shape) -> Callable[[Any], bool]:
    return lambda value: fits_shape(value, shape)


#: The definitions whose objects are walked when an argument holds one, or a list of them: any other
#: object nested in the arguments (a ``format``, ``filterOptions``), and any object nested in these
#: (a source's ``sources`` and ``checksums``), is never certain: the models judge it.
NESTED: dict[str, Shape] = {name: shape_of(name) for name in ("Source", "SourceBreakpoint", "FunctionBreakpoint")}
_WALKED: dict[str, Kind] = {name: _object(shape) for name, shape in NESTED.items()}

#: The commands told valid here: what an editor sends to configure a launch, at a stop to inspect it
#: and to resume, and what the user asks for now and then.
_COMMANDS = (
    "setBreakpoints",
    "setFunctionBreakpoints",
    "setExceptionBreakpoints",
    "configurationDone",
    "threads",
    "stackTrace",
    "scopes",
    "variables",
    "evaluate",
    "exceptionInfo",
    "source",
    "continue",
    "next",
    "stepIn",
    "stepOut",
    "pause",
    "disconnect",
    "terminate",
    "setVariable",
    "setExpression",
    "completions",
    "modules",
    "loadedSources",
    "stepInTargets",
    "gotoTargets",
    "goto",
    "cancel",  # must not wait for pydantic's import (~100 ms) to reach an evaluate stuck in a loop
)


def _arguments(command: str) -> Shape:
    """The shape of ``command``'s arguments; with no arguments model (``threads``), an object
    whose fields nest nothing."""
    ref = REQUESTS[command][0].get("ref")
    return ({}, frozenset()) if ref is None else shape_of(ref, lambda field: _WALKED.get(field.get("ref", ""), never))


#: command -> the shape of its arguments (from the schema's tables, adapter/shapes.py).
ARGUMENTS: dict[str, Shape] = {command: _arguments(command) for command in _COMMANDS}
#: The commands whose arguments may be absent (or null).
OPTIONAL_ARGUMENTS = frozenset(command for command in _COMMANDS if not REQUESTS[command][1])


def certain_request(message: dict[str, Any]) -> ParsedRequest | None:
    """``message`` as a valid request, when it is a request of a command in :data:`ARGUMENTS` (or a
    ``launch``) that the models certainly accept; else None, and the models decide."""
    command = message.get("command")
    seq = message.get("seq")
    if message.get("type") != "request" or type(seq) is not int or seq < SEQ_MINIMUM:
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

"""The configuration requests told valid without pydantic, so a launch is configured before it loads.

An editor sends ``launch``, then ``setBreakpoints`` (one per file), ``setFunctionBreakpoints``,
``setExceptionBreakpoints`` and ``configurationDone``, and the program runs only after the last.
Importing pydantic and building the models these requests need costs ~600 M instructions on 3.13
(benchmarks S9), which the program's start would wait for. :func:`certain_request` accepts such a
request when the schema's model certainly accepts it as it is (exact JSON types, no field that
pydantic would have to coerce or judge, extra fields that nest nothing): it is then handled as
``protocol.parse_request`` would have it (a :class:`ParsedRequest` without models: the handlers read
the message as the client sent it). Anything else, and every other command, is left to the models
(None means "not sure", never "invalid"), so the errors a client gets are the models' as before.
``launch`` is :func:`headstart.certain_launch`'s, which the launch handler plans from alike.

The models are loaded once the program runs (:func:`load_models_later`, in a thread, while the
adapter waits for the program anyway), or by the first request that needs them.

Standard library only (with the package's light modules).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

from monadapter.adapter.early import Kind, Shape, fits, fits_shape, is_scalar
from monadapter.adapter.headstart import certain_launch
from monadapter.adapter.requests import ParsedRequest


def _never(value: object) -> bool:
    """A field the models check more closely than this module does (only null or absent is certain)."""
    return False


def _count(value: object) -> bool:
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
        "sourceReference": _count,
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
}
#: The commands whose arguments may be absent (or null).
OPTIONAL_ARGUMENTS = frozenset({"configurationDone"})


def certain_request(message: dict[str, Any]) -> ParsedRequest | None:
    """``message`` as a valid request, when it is one of the configuration requests (or a launch)
    that the models certainly accept; else None, and the models decide."""
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


#: The requests an editor sends at a stop and to resume: :func:`load_models` builds their validators,
#: so the first stop's are answered without building one (~14 ms for the first, on 3.13).
STOP_REQUESTS = (
    "threads",
    "stackTrace",
    "scopes",
    "variables",
    "evaluate",
    "source",
    "continue",
    "next",
    "stepIn",
    "stepOut",
    "pause",
    "disconnect",
)
#: Held by whoever defines the DAP models or builds their validators (:func:`load_models`, and the
#: dispatcher around ``protocol.parse_request``): protocol/_lazy.py defines a model on its first
#: look-up, which two threads must not do at once.
MODELS = threading.Lock()


def load_models_later() -> None:
    """Load pydantic and the models in a thread, unless they are: the first request that needs them
    (a stop's ``stackTrace``) then finds them loaded and built, or waits for the thread (:data:`MODELS`)."""
    if "monadapter.protocol" not in sys.modules:
        threading.Thread(target=load_models, name="monadapter.warm-up", daemon=True).start()


def load_models() -> None:
    """Import what requests other than the configuration's need (pydantic, the DAP models, the launch
    models), and build the validators of :data:`STOP_REQUESTS`."""
    with MODELS:
        import monadapter.adapter.launch  # noqa: F401
        from monadapter.protocol import REQUEST_COMMANDS

        for command in STOP_REQUESTS:
            REQUEST_COMMANDS[command].model_rebuild(force=True)

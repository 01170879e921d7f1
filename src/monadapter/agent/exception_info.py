"""What ``exceptionInfo`` answers about the exception a thread stopped for: its type, message, the
traceback text python prints for it (chain included) and the inner exceptions. Loaded with the
requests a paused thread answers (agent/paused.py), not at start (benchmarks A2)."""

from __future__ import annotations

from .codes import is_own_file
from .exceptions import describe, message_of

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any


def _full_name(kind: type) -> str:
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _format(exception: BaseException, *, chain: bool) -> str:
    """The text python prints for ``exception``, without our frames (the runner's, the launcher's:
    the program's traceback starts in its own code, as under plain python)."""
    import traceback  # for exceptionInfo only: not loaded into every debuggee (benchmarks A2)

    try:
        printed = traceback.TracebackException.from_exception(exception)
        pending, seen = [printed], set()
        while pending:
            current = pending.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            frames = [summary for summary in current.stack if not is_own_file(summary.filename)]
            current.stack = traceback.StackSummary.from_list(frames)
            pending.extend(linked for linked in (current.__cause__, current.__context__) if linked is not None)
            pending.extend(current.exceptions or ())
        return "".join(printed.format(chain=chain))
    except Exception as exc:
        return f"<traceback could not be formatted: {type(exc).__name__}>"


#: How deep innerException nests (a cause of a cause ...); deeper links are left out.
MAX_INNER_DEPTH = 8


def _details(exception: BaseException, *, chain: bool, depth: int, seen: set[int]) -> dict[str, Any]:
    """DAP ExceptionDetails; ``innerException`` holds the cause (or the context python would print) and,
    for an exception group, its members."""
    seen.add(id(exception))
    kind = type(exception)
    details: dict[str, Any] = {
        "message": message_of(exception),
        "typeName": kind.__qualname__,
        "fullTypeName": _full_name(kind),
        "stackTrace": _format(exception, chain=chain),
    }
    inner: list[BaseException] = []
    linked = exception.__cause__ or (None if exception.__suppress_context__ else exception.__context__)
    if linked is not None:
        inner.append(linked)
    if isinstance(exception, BaseExceptionGroup):
        inner.extend(exception.exceptions)
    if depth < MAX_INNER_DEPTH:
        nested = [_details(other, chain=False, depth=depth + 1, seen=seen) for other in inner if id(other) not in seen]
        if nested:
            details["innerException"] = nested
    return details


def exception_info(exception: BaseException, break_mode: str) -> dict[str, Any]:
    """The body of an ``exceptionInfo`` response: ``details.stackTrace`` is the whole text python
    prints for the exception (chain included); each inner exception carries its own traceback."""
    return {
        "exceptionId": _full_name(type(exception)),
        "description": describe(exception),
        "breakMode": break_mode,
        "details": _details(exception, chain=True, depth=0, seen=set()),
    }

"""Exception breakpoints: the filters we offer, when an exception counts as uncaught, and what the client sees."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from types import FrameType
from typing import Any

#: The filters setExceptionBreakpoints accepts (the adapter advertises them: adapter/capabilities.py).
FILTER_NAMES = frozenset({"raised", "uncaught"})
#: Exceptions no filter stops for: how programs end on purpose, and generator plumbing.
QUIET = (SystemExit, GeneratorExit)


def leaves_user_code(frame: FrameType, is_user: Callable[[FrameType], bool]) -> bool:
    """Whether an exception unwinding ``frame`` (user code) goes nowhere but library or our own code.

    That is our "uncaught": the thread's top (threading's bootstrap, our runner) reports it and ends.
    We decide it at PY_UNWIND of the outermost user frame, the last moment its frame and callers are
    still alive; ``sys.excepthook`` and ``threading.excepthook`` come too late (the stack is unwound
    by then). Code reached only through library callers (an asyncio task's coroutine) counts as
    outermost too, even if user code awaits the task later: the stack cannot tell.
    """
    caller = frame.f_back
    while caller is not None:
        if is_user(caller):
            return False
        caller = caller.f_back
    return True


def traceback_frames(exception: BaseException, outer: FrameType) -> list[tuple[FrameType, int]]:
    """The frames the exception already left, innermost first, each with its line, down to and
    including ``outer`` (they stay inspectable: the traceback keeps them alive)."""
    entries: list[tuple[FrameType, int]] = []
    tb = exception.__traceback__
    seen_outer = False
    while tb is not None:
        if tb.tb_frame is outer:
            seen_outer = True
            entries = []
        entries.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    if not seen_outer:
        entries.insert(0, (outer, outer.f_lineno or 0))
    return entries[::-1]


def describe(exception: BaseException) -> str:
    """``Type: message`` for the stopped event's description; never raises (a broken __str__)."""
    try:
        message = str(exception)
    except Exception as exc:
        message = f"<str() failed: {type(exc).__name__}>"
    name = type(exception).__qualname__
    return f"{name}: {message}" if message else name


def exception_info(exception: BaseException, break_mode: str) -> dict[str, Any]:
    """The body of an ``exceptionInfo`` response."""
    kind = type(exception)
    full_name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    try:
        stack = "".join(traceback.format_exception(exception))
    except Exception as exc:
        stack = f"<traceback could not be formatted: {type(exc).__name__}>"
    return {
        "exceptionId": full_name,
        "description": describe(exception),
        "breakMode": break_mode,
        "details": {
            "message": describe(exception),
            "typeName": kind.__qualname__,
            "fullTypeName": full_name,
            "stackTrace": stack,
        },
    }

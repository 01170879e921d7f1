"""Exception stops: when a raise, an unwind or a thread's end stops for the filters in force, and the stack
each stop shows (the filters themselves are exceptions.ExceptionFilters)."""

from __future__ import annotations

from sys import exception as _handled_exception  # bound once: the program may patch sys
from types import CodeType, FrameType

from . import exceptions
from .exceptions import ExceptionFilters
from .threads import Stack
from .usercode import UserCode


class ExceptionStops:
    """The ``raised``, ``userUnhandled`` and ``uncaught`` decisions, once per exception.

    The engine's callbacks ask; this class answers with the stack to stop on, or None. No exception,
    traceback or frame is kept once its stop is over: a program's weakref and gc based code must not
    see its frames outlive their function (jinja2's test_weak_references). Whether an exception
    already stopped is read off its own traceback (exceptions.passed_user_code, left_user_code).
    Needs no sys.monitoring: a test raises real exceptions and asks it about their frames.
    """

    def __init__(self, user: UserCode) -> None:
        self._user = user
        # exception filters and options in force (setExceptionBreakpoints)
        self.filters = ExceptionFilters()

    def raised_armed(self) -> bool:
        """Whether any exception may stop when raised (the aux id's RAISE is on)."""
        return self.filters.armed("raised")

    def unhandled_armed(self) -> bool:
        """Whether any exception may stop as userUnhandled (the aux id's PY_UNWIND is on). Never for
        "uncaught" alone: PY_UNWIND fires for every frame an exception leaves, while "uncaught" is
        seen at a thread's end (exceptions.ending_probes)."""
        return self.filters.armed("userUnhandled")

    def raised(self, code: CodeType, frame: FrameType, exception: BaseException) -> Stack | None:
        """``exception`` is raised in ``frame`` (running ``code``, which the caller found to be user
        code by file): the stack of a "raised" stop, once per exception (not again in each user
        frame it passes)."""
        if self._user.is_launcher_code(code) or not self.filters.stops("raised", exception):
            return None
        if exceptions.passed_user_code(exception, self._user.is_user_code):
            return None  # it stopped in the user frame it came from
        return self._user.stack(frame, frame.f_lineno or 0) or None

    def may_stop_unhandled(self, code: CodeType, exception: BaseException) -> bool:
        """The cheap half of the userUnhandled test, on the code an exception is leaving (no frame read:
        ``sys._getframe`` and ``frame.f_code`` are audited, docs/sys-monitoring/audit_cost.py)."""
        if not self.filters.armed("userUnhandled") or not self._user.is_user_code(code):
            return False
        return self.filters.stops("userUnhandled", exception)

    def user_unhandled(self, frame: FrameType, exception: BaseException) -> Stack | None:
        """``exception`` leaves user ``frame`` (may_stop_unhandled said yes): the stack of a
        "userUnhandled" stop when it goes into library code. Into user code it may still be caught;
        to the thread's or program's top, "uncaught" covers it."""
        caller = frame.f_back
        caller_code = caller.f_code if caller is not None else None
        if caller_code is None or self._user.is_user_code(caller_code) or not self._user.shown(caller_code):
            return None
        if exceptions.left_user_code(exception, self._user.is_user_code, self._user.shown):
            return None  # it stopped as userUnhandled deeper down
        return self._stack(exception) or None

    def ending(self) -> tuple[Stack, BaseException] | None:
        """The exception being handled is ending this thread (or the program): the stack of an
        "uncaught" stop, unless the exception already stopped as userUnhandled."""
        exception = _handled_exception()
        if exception is None:
            return None
        filters = self.filters
        if filters.armed("userUnhandled") and filters.stops("userUnhandled", exception):
            if exceptions.left_user_code(exception, self._user.is_user_code, self._user.shown):
                return None  # it stopped as userUnhandled on its way here
        if not filters.stops("uncaught", exception):
            return None
        stack = self._stack(exception)
        return (stack, exception) if stack else None

    def _stack(self, exception: BaseException) -> Stack:
        return exceptions.exception_stack(exception, self._user.shown, self._user.main_code)

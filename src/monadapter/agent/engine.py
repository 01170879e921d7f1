"""The debug engine: the one class that owns our sys.monitoring tool ids, its callbacks and its breakpoint probes."""

from __future__ import annotations

import functools
import sys
import threading
import weakref
from _thread import get_ident  # bound once: callbacks must not depend on a program patching threading
from collections.abc import Callable
from dataclasses import dataclass, field

# bound once too: a program may delete or replace sys._getframe (attrs' tests do) while we run
from sys import _current_frames, _getframe
from sys import exception as _handled_exception
from types import CodeType, FrameType
from typing import Any

from . import callerframe, codes, exceptions
from .breakpoints import NO_STOP, Breakpoint, FunctionBreakpoint, LineProbe
from .coderules import Rules
from .codes import code_key
from .sources import SourceMap, Sources, is_synthetic, path_key
from .stepping import StepKind, StepPlan
from .threads import ParkedThread, ThreadIds

M = sys.monitoring
E = M.events
DISABLE = M.DISABLE
#: Breakpoint probes, first sight of code, stepping in one frame.
DEBUGGER_ID = M.DEBUGGER_ID
#: The second id: global LINE only while a stop or pause is in force (it never returns DISABLE for
#: user code, so it needs no re-arming), and local PY_START for cpython#155992. 4 first: coverage.py
#: walks up from 1 and profilers take 2, so 4 is the id least likely to be wanted by someone else.
AUX_CANDIDATES = (4, 3)
TOOL_NAME = "monadapter"
#: How many internal errors we report before going quiet (the program keeps running either way).
MAX_ERROR_REPORTS = 20
#: How many file names _skipped_in_steps remembers before starting over (run-time names can be endless).
MAX_FILE_VERDICTS = 4096
#: Frames between the monitored frame and an ``_on_<event>`` method: the C dispatcher calls the guard
#: wrapper, which calls the method, so the user frame is ``sys._getframe(2)`` inside the method.
#: ``_on_line`` and ``_on_aux_raise`` are registered bare (hot paths): their user frame is one up.
CALLER_DEPTH = 2
#: Code every ``threading.Thread`` runs first and returns from last: aux local PY_START and PY_RETURN
#: on it alone give ``thread`` events at no cost to any other code.
THREAD_BOOTSTRAP: CodeType = threading.Thread._bootstrap_inner.__code__  # type: ignore[attr-defined]
THREAD_EVENTS = E.PY_START | E.PY_RETURN
#: 3.13 drops the first LINE of a one-line def unless PY_START is on for the code (cpython#155992).
NEEDS_START_FOR_FIRST_LINE = sys.version_info >= (3, 13)


class ToolBusyError(Exception):
    """DEBUGGER_ID is held by another tool; the message names that tool."""

    def __init__(self, tool_id: int, holder: str) -> None:
        super().__init__(
            f"sys.monitoring tool id {tool_id} is already in use by {holder!r}: "
            "another debugger is active in this process"
        )
        self.holder = holder


def file_key(filename: str) -> str:
    """The comparison key of a code object's file: the name itself for ``<string>``-like names."""
    return filename if is_synthetic(filename) else path_key(filename)


@dataclass(eq=False, slots=True)
class CodeState:
    """What the engine knows about one code object it has seen.

    Held in ``Engine._codes`` keyed by ``code_key(code)``. The code itself is held by a weak reference whose
    callback drops the entry: a strong reference would keep every ``exec``'d string's code alive
    forever, and the callback runs before the id can be reused, so an id never names the wrong code.
    """

    ref: weakref.ref[CodeType]
    key: str
    lines: frozenset[int] | None = None
    # maps each line armed for DEBUGGER_ID's LINE -> the probes of the breakpoints bound there (empty
    # for a line armed only for a function breakpoint's entry): a hit finds them in one lookup
    probes: dict[int, tuple[LineProbe, ...]] = field(default_factory=dict)
    # offsets where an armed line restarts inside its own multi-line statement (facts §0.12)
    skip: frozenset[int] = frozenset()
    # local PY_START set on the aux id for cpython#155992
    start_probe: bool = False
    # probes of the function breakpoints on entry to this code, and the (offset, line) of its first LINE
    entry: tuple[LineProbe, ...] = ()
    entry_point: tuple[int, int] | None = None
    # step plans that need every LINE of this code (over) or its PY_RETURN (over, out)
    line_watchers: int = 0
    return_watchers: int = 0
    # step plans aimed at one call of this code (stepIn with a targetId) need its CALL events
    call_watchers: int = 0

    def wanted_events(self) -> int:
        """The DEBUGGER_ID local events this code needs now."""
        events = E.LINE if self.probes or self.line_watchers else 0
        events |= E.CALL if self.call_watchers else 0
        return events | (E.PY_RETURN if self.return_watchers else 0)

    def line_starts(self, code: CodeType) -> frozenset[int]:
        if self.lines is None:
            self.lines = codes.line_starts(code)
        return self.lines


@dataclass(eq=False)
class FileBreakpoints:
    """The breakpoints of one file (or one run-time source) as last set by the client."""

    path: str
    breakpoints: list[Breakpoint]
    # maps bound line -> breakpoints on it (only usable, located ones)
    by_line: dict[int, list[Breakpoint]] = field(default_factory=dict)
    source_map: SourceMap | None = None
    # whether code of this file has been seen; until then only a file on disk has verified breakpoints
    loaded: bool = False
    # for breakpoints set by sourceReference: only code compiled from this exact text matches
    source_object: str | bytes | None = None


class Engine:
    """Owns DEBUGGER_ID and one aux tool id; knows every code object that ran; arms breakpoint
    probes; parks threads that must stop.

    Events we use (and never anything else; never ``restart_events()``, never global LINE on DEBUGGER_ID):

    * DEBUGGER_ID global PY_START: first sight of each code object, returns DISABLE.
    * DEBUGGER_ID local LINE on code objects with a breakpoint line (other lines DISABLE themselves)
      or with a step over running in one of their frames; local PY_RETURN on the code of a stepped frame.
    * aux global LINE while a stop, pause or entry stop is in force and during step-in (with PY_START);
      PY_UNWIND while a step runs or the "uncaught" filter is on; RAISE with the "raised" filter.
      Switched as a whole with ``set_events(aux, ...)``, which reaches frames already running at once.
    * aux local PY_START on code whose breakpoint is on its first line, 3.13 only (cpython#155992).
    """

    def __init__(
        self,
        sources: Sources,
        send_event: Callable[[str, dict[str, Any]], None],
        own_threads: Callable[[], set[int]],
        module_started: Callable[[CodeType], None] | None = None,
    ) -> None:
        self.sources = sources
        self._send_event = send_event
        self._own_threads = own_threads
        self.thread_ids = ThreadIds()
        self._lock = threading.RLock()
        # notified whenever a thread parks (see wait_parked)
        self._parked_changed = threading.Condition(self._lock)
        self._active = False
        self._aux_id: int | None = None
        self._error_reports = 0
        # maps code_key(code) -> CodeState for every code object seen (weakly held, see CodeState)
        self._codes: dict[int, CodeState] = {}
        # maps file key -> ids of the code objects of that file
        self._by_key: dict[str, set[int]] = {}
        # maps file key -> the client's breakpoints for it
        self._files: dict[str, FileBreakpoints] = {}
        self._next_breakpoint_id = 1
        # function breakpoints (setFunctionBreakpoints), matched against every code object seen
        self._function_bps: list[FunctionBreakpoint] = []
        # -- stop state (guarded by _lock) --
        # maps threading ident -> the thread parked in one of our callbacks
        self._parked: dict[int, ParkedThread] = {}
        # every user thread must park at its next line (aux global LINE is on)
        self._halt = False
        # the program is ending (our last atexit handler runs): no new stop is reported (see program_ended)
        self._ending = False
        # (reason, ident or None for any thread): the next user line reached reports a stop
        self._stop_request: tuple[str, int | None] | None = None
        # threads resumed alone (singleThread) while the others stay parked
        self._running_alone: set[int] = set()
        # maps threading ident -> its step plan (see stepping.py)
        self._plans: dict[int, StepPlan] = {}
        # maps threading ident -> (function, value) returned by the frame a step just left
        self._returned: dict[int, tuple[str, Any] | None] = {}
        # the aux id's global events as last set
        self._aux_current = 0
        # maps file key -> its multi-line statement heads, for steps (see _inside_statement)
        self._heads: dict[str, dict[int, int]] = {}
        self._just_my_code = True
        # debugpy's rules: which files are user code, before justMyCode decides (coderules.py)
        self._rules = Rules()
        # maps file name -> whether steps and "raised" skip its code (_skipped_in_steps), read per exception
        self._skipped_files: dict[str, bool] = {}
        # exception filters and options in force (setExceptionBreakpoints)
        self._exception_filters = exceptions.ExceptionFilters()
        # No exception, traceback or frame is kept once its stop is over: a program's weakref and gc
        # based code must not see its frames outlive their function (jinja2's test_weak_references).
        # Whether an exception already stopped is read off its own traceback (exceptions.py).
        # the code objects whose start means an exception is ending a thread (exceptions.ending_probes)
        self._ending_probes: tuple[CodeType, ...] = ()
        # the program's main code object: frames below it belong to the launcher
        self._main_code: CodeType | None = None
        # maps file name -> code of the frames that run the program (start script, launcher, runner,
        # runpy for -m monadapter.agent), matched by identity: hashing a code object hashes all its constants, too slow for
        # callbacks that ask per exception
        self._launcher_codes: dict[str, list[CodeType]] = {}
        # called with each ``<module>`` code on first sight: imports, exec, eval (modules.LoadedCode)
        self.module_code_hook: Callable[[CodeType], None] | None = module_started
        # the code whose aux PY_START/PY_RETURN announce threads starting and ending (_thread_event)
        self._thread_code = THREAD_BOOTSTRAP
        # maps threading ident -> (frame, line) of the LINE event it was just parked for by the aux id
        self._parked_by_aux: dict[int, tuple[FrameType, int]] = {}
        # sys._getframe(1) for _on_line without the audit event (see callerframe.py)
        self._caller_frame = callerframe.frame_getter()

    # -- lifetime -------------------------------------------------------------------------------

    def start(self) -> None:
        """Claim DEBUGGER_ID (and an aux id), install global PY_START, index the code that exists.

        Raises:
            ToolBusyError: another tool holds DEBUGGER_ID.
        """
        holder = M.get_tool(DEBUGGER_ID)
        if holder is not None:
            raise ToolBusyError(DEBUGGER_ID, holder)
        try:
            M.use_tool_id(DEBUGGER_ID, TOOL_NAME)
        except ValueError:
            raise ToolBusyError(DEBUGGER_ID, M.get_tool(DEBUGGER_ID) or "an unknown tool") from None
        for candidate in AUX_CANDIDATES:
            if M.get_tool(candidate) is None:
                try:
                    M.use_tool_id(candidate, TOOL_NAME)
                except ValueError:
                    continue
                self._aux_id = candidate
                break
        self._active = True
        # the frames starting us are the launcher's; a program that fails to compile never reaches
        # program_starting, and its SystemExit(1) must not stop as raised in the launcher's frames
        self._add_launcher_frames(_getframe(1))
        M.register_callback(DEBUGGER_ID, E.PY_START, self._guard(self._on_py_start, local=True))
        M.register_callback(DEBUGGER_ID, E.LINE, self._on_line)  # guards itself (see there)
        M.register_callback(DEBUGGER_ID, E.PY_RETURN, self._guard(self._on_py_return, local=True))
        M.register_callback(DEBUGGER_ID, E.CALL, self._guard(self._on_call, local=True))
        if self._aux_id is not None:
            M.register_callback(self._aux_id, E.PY_RETURN, self._guard(self._on_aux_py_return, local=True))
            M.register_callback(self._aux_id, E.LINE, self._guard(self._on_aux_line, local=True))
            M.register_callback(self._aux_id, E.PY_START, self._guard(self._on_aux_py_start, local=True))
            M.register_callback(self._aux_id, E.PY_UNWIND, self._guard(self._on_aux_py_unwind, local=False))
            M.register_callback(self._aux_id, E.RAISE, self._on_aux_raise)  # guards itself (see there)
            self._ending_probes = exceptions.ending_probes()
            for code in self._ending_probes:
                M.set_local_events(self._aux_id, code, E.PY_START)
        self.sources.start_capture()
        with self._lock:
            for code in list(codes.existing_code()):
                self._register_tree(code)
            if self._aux_id is not None:
                M.set_local_events(self._aux_id, self._thread_code, THREAD_EVENTS)
        M.set_events(DEBUGGER_ID, E.PY_START)

    def stop(self) -> None:
        """Idempotent. Release parked threads, clear every event we set, unregister, free the ids.

        ``free_tool_id`` keeps events and callbacks (facts §0.11), so everything is cleared first.
        """
        with self._lock:
            if not self._active:
                return
            self._active = False
            self._files.clear()
            states = list(self._codes.values())
        self.release_all()
        self.sources.stop_capture()
        for tool in (DEBUGGER_ID, self._aux_id):
            if tool is None:
                continue
            M.set_events(tool, 0)
            for state in states:
                code = state.ref()
                if code is not None and (state.wanted_events() or state.start_probe):
                    M.set_local_events(tool, code, 0)
            for code in self._ending_probes:
                M.set_local_events(tool, code, 0)
            M.set_local_events(tool, self._thread_code, 0)
            for event in (E.PY_START, E.LINE, E.PY_RETURN, E.PY_UNWIND, E.RAISE, E.CALL):
                M.register_callback(tool, event, None)
            M.free_tool_id(tool)
        self._aux_id = None

    def forget_other_threads(self) -> None:
        """In a child made by ``fork`` (before ``stop``): only the forking thread came along. Another
        thread of the parent may have held our lock at the fork, and the parked threads and the halt
        are the parent's, so the lock is made anew and the stop state dropped."""
        self._lock = threading.RLock()
        self._parked_changed = threading.Condition(self._lock)
        self._parked.clear()
        self._halt = False
        self._stop_request = None

    # -- the guard ----------------------------------------------------------------------------

    def _guard(self, method: Callable[..., Any], *, local: bool) -> Callable[..., Any]:
        """bdb's callback_wrapper, failing the other way: a bug of ours is reported and swallowed, never
        raised into the user's code (facts §0.6); DISABLE only ever leaves a local event."""

        @functools.wraps(method)
        def guarded(*args: Any) -> Any:
            try:
                result = method(*args)
            except Exception as exc:
                self._internal_error(method.__name__, exc)
                return None
            if result is DISABLE and not local:
                return None
            return result

        return guarded

    def _internal_error(self, where: str, exc: BaseException) -> None:
        if not self._active or self._error_reports >= MAX_ERROR_REPORTS:
            return
        self._error_reports += 1
        import traceback  # only when a bug of ours is reported: not loaded into every debuggee

        text = "".join(traceback.format_exception(exc))
        try:
            self._send_event(
                "output",
                {"category": "stderr", "output": f"monadapter internal error in {where} (ignored):\n{text}"},
            )
        except Exception:
            sys.__stderr__.write(f"monadapter internal error in {where}:\n{text}")  # type: ignore[union-attr]

    # -- callbacks ------------------------------------------------------------------------------

    def _on_py_start(self, code: CodeType, offset: int) -> Any:
        """DEBUGGER_ID PY_START, enabled globally for the whole session. First sight of a code object:
        index it and its nested code, arm breakpoints of its file, verify pending ones. Returns DISABLE
        (global PY_START is then silent for this code; we never need it back: facts §1, §2)."""
        if code_key(code) not in self._codes:
            with self._lock:
                self._register_tree(code)
            if code.co_name == "<module>" and self.module_code_hook is not None:
                self.module_code_hook(code)
        return DISABLE

    def _on_line(self, code: CodeType, line: int) -> Any:
        """DEBUGGER_ID LINE, enabled locally on code objects with a breakpoint line or a step running
        in one of their frames. A line that neither has a breakpoint nor is watched by a step returns
        DISABLE; any other returns None, whatever a condition says (DISABLE is shared by all threads
        and all frames of the code, facts §0.4).

        The hot path of a conditional breakpoint is a false condition (S4 in benchmarks/): one registry
        lookup, no allocation, no output, and the thread is only asked about (is it ours?) once
        something is to be reported. So this callback is registered bare, its own ``try`` doing what
        the ``_guard`` wrapper does for the others: that wrapper's extra call costs ~70 ns a hit.
        """
        try:
            if self._parked_by_aux:
                skipped = self._parked_by_aux.pop(get_ident(), None)
                if skipped is not None and skipped == (_getframe(1), line):
                    return None  # this event already stopped the thread in the aux id's callback (_park_in_aux)
            state = self._codes.get(code_key(code))
            if state is None:
                return DISABLE
            candidates = state.probes.get(line)
            if candidates is None:
                if not state.line_watchers:
                    return DISABLE
                self._step_line(_getframe(1), line)
                return None
            try:
                frame = self._caller_frame()
            except ValueError:  # another thread is in the getter right now (callerframe.py)
                frame = _getframe(1)
            if state.skip and frame.f_lasti in state.skip:
                return DISABLE  # the second LINE of a multi-line statement's first line
            if state.entry and state.entry_point == (frame.f_lasti, line):
                candidates = (*candidates, *state.entry)
            stop_ids: list[int] | None = None
            reason = "breakpoint"
            for probe in candidates:
                outcome = probe.hit(frame, code)
                if outcome is NO_STOP:
                    continue
                if get_ident() in self._own_threads():
                    return None
                # stdout and stderr: the categories every client shows by default (dap-mode shows
                # only these); debugpy's logpoints are stdout too
                if outcome.log is not None:
                    self._output("stdout", outcome.log + "\n", code, line)
                if outcome.error is not None:
                    self._output("stderr", outcome.error + "\n", code, line)
                if outcome.stop:
                    stop_ids = [*(stop_ids or ()), probe.breakpoint.id]
                    if probe in state.entry:
                        reason = "function breakpoint"  # the spec's reason for a function breakpoint's stop
            if stop_ids:
                self._park(get_ident(), frame, line, reason, hit_ids=stop_ids)
            elif state.line_watchers:
                self._step_line(frame, line)
        except Exception as exc:
            self._internal_error("_on_line", exc)
        return None

    def _step_line(self, frame: FrameType, line: int) -> None:
        """A watched line ran: stop if this thread's step plan ends here. Stepping over a statement
        whose head spans several lines does not stop on its other lines, nor on its first line again
        (facts §0.12): one statement, one step."""
        plan = self._plans.get(get_ident())
        if plan is None or not plan.should_stop(frame):
            return
        if plan.kind == "over" and frame is plan.frame and self._inside_statement(frame, plan.line, line):
            return
        self._park(get_ident(), frame, line, "step")

    def _inside_statement(self, frame: FrameType, start: int, line: int) -> bool:
        """Whether ``line`` (about to run in ``frame``) still belongs to the statement starting at ``start``."""
        code = frame.f_code
        head_end = self._statement_heads(code).get(start)
        if head_end is None:
            return False
        if start < line <= head_end:
            return True
        return line == start and frame.f_lasti in codes.continuation_offsets(code, start, head_end)

    def _statement_heads(self, code: CodeType) -> dict[int, int]:
        """The multi-line statement heads of a code object's file (SourceMap.headers), cached per file."""
        state = self._codes.get(code_key(code))
        key = state.key if state is not None else file_key(code.co_filename)
        heads = self._heads.get(key)
        if heads is None:
            text = self.sources.text_of_file(code.co_filename)
            try:
                heads = SourceMap.from_text(text, code.co_filename).headers if text is not None else {}
            except (SyntaxError, ValueError):
                heads = {}
            self._heads[key] = heads
        return heads

    def _on_py_return(self, code: CodeType, offset: int, value: Any) -> Any:
        """DEBUGGER_ID PY_RETURN, enabled locally on the code of a frame being stepped over or out of.
        When that very frame returns, the step ends in its caller, on the line of the call (as debugpy
        does: the caller gets no new LINE event for the rest of that line), with the return value.
        Returns None (other frames of the code may be stepped later)."""
        ident = get_ident()
        plan = self._plans.get(ident) if self._plans else None
        if plan is None:
            return None
        frame = _getframe(CALLER_DEPTH)
        if frame is not plan.frame:
            return None
        caller = frame.f_back
        if caller is None or self._skipped_in_steps(caller.f_code.co_filename):
            self._step_left(frame, (code.co_qualname, value))
            return None
        with self._lock:
            self._returned[ident] = (code.co_qualname, value)
        self._park(ident, caller, caller.f_lineno or 0, "step", event="return")
        return None

    def _on_aux_py_unwind(self, code: CodeType, offset: int, exception: BaseException) -> Any:
        """Aux PY_UNWIND, enabled globally (it cannot be local, facts §6) only while a step runs or
        userUnhandled may stop: it fires for every frame an exception leaves, so "uncaught" alone never
        turns it on (see _on_thread_ending). A stepped frame leaving by an exception continues the step
        in its caller; an exception leaving user code for library code (justMyCode's idea of both)
        stops in the user frame, "userUnhandled". Returns None: DISABLE from a
        global-only event raises in user code (facts §0.6).

        Cheap tests first, on ``code`` and the exception type: ``sys._getframe`` and ``frame.f_code``
        raise audit events, which run the audit hook of Sources (0.3 µs each)."""
        ident = get_ident()
        plan = self._plans.get(ident) if self._plans else None
        if plan is not None and _getframe(CALLER_DEPTH) is plan.frame:
            self._step_left(plan.frame, None)
        filters = self._exception_filters
        if not filters.armed("userUnhandled") or not self._is_user_code(code):
            return None
        if not filters.stops("userUnhandled", exception):
            return None
        caller = _getframe(CALLER_DEPTH).f_back
        caller_code = caller.f_code if caller is not None else None
        if caller_code is None or self._is_user_code(caller_code) or not self._shown(caller_code):
            return None  # into user code; or to the thread's or program's top: "uncaught" covers that
        if ident not in self._own_threads() and not exceptions.left_user_code(
            exception, self._is_user_code, self._shown
        ):
            stack = exceptions.exception_stack(exception, self._shown, self._main_code)
            self._park_on_exception(ident, stack, exception, "userUnhandled")
        return None

    def _on_aux_raise(self, code: CodeType, offset: int, exception: BaseException) -> Any:
        """Aux RAISE, enabled globally only while raised exceptions may stop: stops where user code
        raises (once per exception object, not again in each frame it passes). Returns None.

        It fires for every exception raised anywhere, most of them in library code that catches its
        own (benchmarks S5: 200k in ``ChainMap.__getitem__``). So the verdict on such code is one
        lookup by file name, and the callback is registered bare, its ``try`` doing the ``_guard``
        wrapper's work: the wrapper's extra call was ~70 ns of a ~330 ns raise-and-catch.
        """
        try:
            skipped = self._skipped_files.get(code.co_filename)
            if skipped or (skipped is None and self._skipped_in_steps(code.co_filename)):
                return None
            ident = get_ident()
            if self._is_launcher_code(code) or not self._exception_filters.stops("raised", exception):
                return None
            if ident in self._own_threads() or exceptions.passed_user_code(exception, self._is_user_code):
                return None  # it stopped in the user frame it came from (once per exception)
            frame = _getframe(1)
            line = frame.f_lineno or 0
            self._park_on_exception(ident, self.user_frames(ParkedThread(ident, 0, frame, line)), exception, "raised")
        except Exception as exc:
            self._internal_error("_on_aux_raise", exc)
        return None

    def _on_thread_ending(self) -> None:
        """An exception is about to end this thread (or the program): the aux PY_START of one of the
        ending probes, with that exception being handled. Stops "uncaught" unless it already stopped as
        userUnhandled. Costs nothing until then: no event fires for exceptions that are caught."""
        exception = _handled_exception()
        ident = get_ident()
        if exception is None or ident in self._own_threads():
            return
        filters = self._exception_filters
        if filters.armed("userUnhandled") and filters.stops("userUnhandled", exception):
            if exceptions.left_user_code(exception, self._is_user_code, self._shown):
                return  # it stopped as userUnhandled on its way here
        if filters.stops("uncaught", exception):
            stack = exceptions.exception_stack(exception, self._shown, self._main_code)
            self._park_on_exception(ident, stack, exception, "uncaught")

    def _is_user_code(self, code: CodeType) -> bool:
        return not self._skipped_in_steps(code.co_filename) and not self._is_launcher_code(code)

    def _shown(self, code: CodeType) -> bool:
        """Whether frames of ``code`` appear in a stack trace: all but ours and the launcher's (as user_frames)."""
        return not codes.is_own_file(code.co_filename) and not self._is_launcher_code(code)

    def _is_launcher_code(self, code: CodeType) -> bool:
        for launcher in self._launcher_codes.get(code.co_filename, ()):
            if launcher is code:
                return True
        return False

    def _park_on_exception(
        self, ident: int, stack: list[tuple[FrameType, int]], exception: BaseException, kind: exceptions.StopKind
    ) -> None:
        """Stop with reason "exception" showing ``stack`` (innermost first, where the exception was raised)."""
        if not stack:
            return
        self._park(
            ident,
            stack[0][0],
            stack[0][1],
            "exception",
            event="exception",
            exception=(exception, exceptions.BREAK_MODES[kind]),
            stack=stack,
            description=exceptions.describe(exception),
        )

    def _step_left(self, frame: FrameType, returned: tuple[str, Any] | None) -> None:
        """The frame a step runs in returns or unwinds: continue the step in the caller (over its
        next line), or anywhere in user code when the caller is not (ours, the library, gone)."""
        ident = get_ident()
        caller = frame.f_back
        if caller is None or self._skipped_in_steps(caller.f_code.co_filename):
            plan = StepPlan("in", frame, 0)
        else:
            plan = StepPlan("over", caller, caller.f_lineno or 0)
        with self._lock:
            if ident in self._plans:
                self._set_plan(ident, plan)
                self._returned[ident] = returned

    def _on_aux_line(self, code: CodeType, line: int) -> Any:
        """Aux LINE, enabled globally only while a stop, pause or entry stop is in force. Parks the
        thread (reporting the stop if a request waits for one). Returns None for user code (the id is
        switched off as a whole on resume) and DISABLE only in our own files, where we never stop."""
        if codes.is_own_file(code.co_filename):
            return DISABLE
        ident = get_ident()
        if ident in self._own_threads() or ident in self._parked:
            return None
        plan = self._plans.get(ident) if self._plans else None
        if plan is not None and plan.kind == "in" and not self._skipped_in_steps(code.co_filename):
            self._park_in_aux(ident, code, line, "step")
            return None
        request = self._stop_request
        if request is not None and (request[1] is None or request[1] == ident):
            with self._lock:
                if self._stop_request != request:
                    request = None
                else:
                    self._stop_request = None
            if request is not None:
                self._park_in_aux(ident, code, line, request[0])
                return None
        if self._halt and ident not in self._running_alone:
            state = self._codes.get(code_key(code))
            if state is not None and line in state.probes:
                return None  # DEBUGGER_ID's LINE comes next (tools fire highest id first): it reports the breakpoint
            self._park_in_aux(ident, code, line, None)
        return None

    def _park_in_aux(self, ident: int, code: CodeType, line: int, reason: str | None) -> None:
        """Park in the aux id's LINE callback (called from ``_on_aux_line`` only).

        DEBUGGER_ID's LINE callback runs after it for the same event when the code has live probes
        (tools fire highest id first): it must neither stop a second time on this line nor act on the
        line a goto just moved the frame away from, so it is told to skip this one event.
        """
        frame = _getframe(CALLER_DEPTH + 1)
        if not self._park(ident, frame, line, reason):
            return
        state = self._codes.get(code_key(code))
        if state is not None and (line in state.probes or state.line_watchers):
            self._parked_by_aux[ident] = (frame, line)

    def _on_aux_py_start(self, code: CodeType, offset: int) -> Any:
        """Aux PY_START, enabled locally on the ending probes (see _on_thread_ending) and (3.13+) on code
        whose breakpoint is on its first line. For the latter its only job is to exist: with it, 3.13
        emits that first LINE (cpython#155992) and ``_on_line`` does the stop, so the line stops once.
        Returns None: DISABLE would bring the bug back for later calls."""
        for probe in self._ending_probes:
            if code is probe:
                self._on_thread_ending()
        if code is self._thread_code:
            self._thread_event(_getframe(CALLER_DEPTH), "started")
        return None

    def _on_aux_py_return(self, code: CodeType, offset: int, value: Any) -> Any:
        """Aux PY_RETURN, enabled locally on threading's bootstrap code only: a thread is ending."""
        if code is self._thread_code:
            self._thread_event(_getframe(CALLER_DEPTH), "exited")
        return None

    def _thread_event(self, bootstrap: FrameType, reason: str) -> None:
        """Send ``thread`` started/exited for the ``threading.Thread`` whose bootstrap frame is running.

        The thread is the frame's ``self``: at PY_START it has no ident yet and at PY_RETURN it is
        already off threading's list. Our own threads are never announced. Threads started with
        ``_thread`` alone never run this code and get no events (they appear in ``threads``).
        """
        thread = bootstrap.f_locals.get("self")
        if not isinstance(thread, threading.Thread) or get_ident() in self._own_threads():
            return
        self._send_event("thread", {"reason": reason, "threadId": self.thread_ids.dap_id_of(thread)})

    def _on_call(self, code: CodeType, offset: int, callee: object, arg0: object) -> Any:
        """DEBUGGER_ID CALL, enabled locally on the code of a frame stepping into one chosen call (stepIn
        with a targetId, ``StepPlan.target``). That call about to run in that very frame turns the step
        into a plain step in, which stops on the callee's first user line; the other calls of the line
        run at full speed. Returns None, never DISABLE (other frames and threads run this code)."""
        ident = get_ident()
        plan = self._plans.get(ident) if self._plans else None
        if plan is None or plan.target != offset or _getframe(CALLER_DEPTH) is not plan.frame:
            return None
        with self._lock:
            if self._plans.get(ident) is plan:
                self._set_plan(ident, StepPlan("in", plan.frame, plan.line))
        return None

    # -- code registry ----------------------------------------------------------------------------

    def _register_tree(self, root: CodeType) -> None:
        """Index ``root`` and its nested code; arm breakpoints of their files. Caller holds the lock.

        Runs once per new code object tree (first sight), so it is kept lean: a known code object's
        subtree is skipped whole (trees are always registered whole), file keys are cached per name.
        """
        known = self._codes
        new_keys: set[str] = set()
        stack: list[tuple[CodeType, CodeType | None]] = [(root, None)]
        while stack:
            code, parent = stack.pop()
            code_id = code_key(code)
            if code_id in known:
                continue
            filename = code.co_filename
            if codes.is_own_file(filename):
                continue
            key = file_key(filename)
            known[code_id] = CodeState(weakref.ref(code, functools.partial(self._forget, code_id, key)), key)
            self._by_key.setdefault(key, set()).add(code_id)
            if self.sources.is_compiled_name(filename):
                self.sources.bind_nested(code, parent)
            new_keys.add(key)
            if self._function_bps and self._match_functions(known[code_id], code) and key not in self._files:
                self._rearm(known[code_id], code)
            for const in code.co_consts:
                if type(const) is CodeType:
                    stack.append((const, code))
        for key in new_keys:
            book = self._files.get(key)
            if book is None:
                continue
            if not book.loaded:
                self._bind_pending(key, book)
            self._arm_file(key)

    def _forget(self, code_id: int, key: str, _ref: object) -> None:
        """Weakref callback of a dead code object. Runs at any moment on any thread: no lock taken."""
        self._codes.pop(code_id, None)
        ids = self._by_key.get(key)
        if ids is not None:
            ids.discard(code_id)

    def _codes_of(self, key: str) -> list[tuple[CodeState, CodeType]]:
        result = []
        for code_id in list(self._by_key.get(key, ())):
            state = self._codes.get(code_id)
            code = state.ref() if state is not None else None
            if state is not None and code is not None:
                result.append((state, code))
        return result

    # -- arming -----------------------------------------------------------------------------------

    def _arm_file(self, key: str) -> None:
        """Bring every known code object of one file in line with its breakpoints. Caller holds the lock."""
        for state, code in self._codes_of(key):
            self._rearm(state, code)

    def _rearm(self, state: CodeState, code: CodeType) -> None:
        """Arm one code object for its file's breakpoint lines and its function breakpoints."""
        book = self._files.get(state.key)
        if book is not None and book.source_object is not None:
            if self.sources.source_object(code) is not book.source_object:
                book = None  # same name, other text: not the source these breakpoints are in
        by_line = book.by_line if book is not None else {}
        starts = state.line_starts(code) if by_line else frozenset()
        probes = {line: tuple(map(LineProbe, breakpoints)) for line, breakpoints in by_line.items() if line in starts}
        if state.entry and state.entry_point is not None:
            probes.setdefault(state.entry_point[1], ())
        self._arm(state, code, probes, book.source_map if book is not None else None)

    def _arm(
        self, state: CodeState, code: CodeType, probes: dict[int, tuple[LineProbe, ...]], source_map: SourceMap | None
    ) -> None:
        """Set the LINE probes of one code object to exactly ``probes``.

        A line added needs the per-code re-arm ``set_local_events(id, code, 0)`` then ``LINE``: it
        revives our DISABLEd lines of this code only, never another tool's (facts §1). A line removed
        needs nothing: it returns DISABLE the next time it fires.
        """
        previous = state.probes
        if probes.keys() == previous.keys():
            state.probes = probes  # same lines, maybe other breakpoints on them
            return
        heads = source_map.headers if source_map is not None else {}
        skip: set[int] = set()
        for line in probes:
            if line in heads:
                skip |= codes.continuation_offsets(code, line, heads[line])
        state.skip = frozenset(skip)
        before = state.wanted_events()
        state.probes = probes
        self._set_local(state, code, before, rearm=bool(probes.keys() - previous.keys()))
        needs_start = NEEDS_START_FOR_FIRST_LINE and codes.shared_first_line(code) in probes
        if self._aux_id is not None and needs_start != state.start_probe:
            thread_events = THREAD_EVENTS if code is self._thread_code else 0
            M.set_local_events(self._aux_id, code, (E.PY_START if needs_start else 0) | thread_events)
            state.start_probe = needs_start

    def _set_local(self, state: CodeState, code: CodeType, before: int, *, rearm: bool) -> None:
        """Apply ``state.wanted_events()`` to ``code``. With ``rearm``, go through 0 first: that
        revives our DISABLEd lines of this code only, never another tool's (facts §1)."""
        wanted = state.wanted_events()
        if rearm and wanted & E.LINE:
            M.set_local_events(DEBUGGER_ID, code, 0)
            M.set_local_events(DEBUGGER_ID, code, wanted)
        elif wanted != before:
            M.set_local_events(DEBUGGER_ID, code, wanted)

    # -- breakpoints --------------------------------------------------------------------------------

    def set_breakpoints(self, source: dict[str, Any], specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace the breakpoints of one source and return their DAP ``Breakpoint`` objects.

        The source is a path (on disk or a name code was compiled under, like ``/virtual/x.py``) or a
        ``sourceReference`` we handed out. Lines are relocated against the file's text. A breakpoint on a
        line with code of a file on disk is verified at once; one under a name only run-time code may
        use stays unverified until such code runs (then a ``breakpoint`` event).
        """
        key, path, source_object = self._resolve_source(source)
        with self._lock:
            book = FileBreakpoints(path, [], source_object=source_object)
            for spec in specs:
                book.breakpoints.append(Breakpoint.from_request(self._next_breakpoint_id, spec))
                self._next_breakpoint_id += 1
            book.loaded = bool(self._codes_of(key))
            self._files[key] = book
            self._locate(key, book)
            self._arm_file(key)
            source_dict = self._dap_source(book)
            return [breakpoint_.to_dap(source_dict) for breakpoint_ in book.breakpoints]

    def set_function_breakpoints(self, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace the function breakpoints; each stops on entry to every function of that name,
        already loaded or loaded later (a ``breakpoint`` event verifies it then)."""
        with self._lock:
            self._function_bps = []
            for spec in specs:
                self._function_bps.append(FunctionBreakpoint.from_request(self._next_breakpoint_id, spec))
                self._next_breakpoint_id += 1
            for state in list(self._codes.values()):
                code = state.ref()
                if code is None:
                    continue
                had_entry = bool(state.entry)
                if self._match_functions(state, code) or had_entry:
                    self._rearm(state, code)
            return [self._function_dap(function) for function in self._function_bps]

    def _match_functions(self, state: CodeState, code: CodeType) -> bool:
        """Attach the function breakpoints naming ``code`` to its state (verifying them on first match).
        Returns whether any matched. Caller holds the lock."""
        matching = tuple(function for function in self._function_bps if function.matches(code))
        state.entry = tuple(LineProbe(function.breakpoint) for function in matching)
        if not matching:
            return False
        state.entry_point = codes.entry_point(code)
        for function in matching:
            if not function.breakpoint.verified and state.entry_point is not None:
                function.breakpoint.verified = True
                function.breakpoint.message = None
                function.breakpoint.line = state.entry_point[1]
                function.source = self.sources.source_for(code)
                self._send_event("breakpoint", {"reason": "changed", "breakpoint": self._function_dap(function)})
        return True

    @staticmethod
    def _function_dap(function: FunctionBreakpoint) -> dict[str, Any]:
        body: dict[str, Any] = {"id": function.breakpoint.id, "verified": function.breakpoint.verified}
        if function.breakpoint.message:
            body["message"] = function.breakpoint.message
        if function.source is not None:
            body |= {"source": function.source, "line": function.breakpoint.line}
        return body

    def _resolve_source(self, source: dict[str, Any]) -> tuple[str, str, str | bytes | None]:
        """(file key, display path or name, source object for sourceReference breakpoints).

        Raises:
            ValueError: neither a path nor a known sourceReference.
        """
        reference = source.get("sourceReference")
        if isinstance(reference, int) and reference > 0:
            entry = self.sources.reference(reference)
            if entry is None:
                raise ValueError(f"unknown sourceReference {reference}")
            name, text = entry
            return file_key(name), name, text
        path = source.get("path")
        if not isinstance(path, str) or not path:
            raise ValueError("setBreakpoints needs source.path or source.sourceReference")
        self.sources.remember_client_path(path)
        return file_key(path), path, None

    def _dap_source(self, book: FileBreakpoints) -> dict[str, Any]:
        if book.source_object is not None:
            return {"name": book.path, "sourceReference": self.sources.reference_of(book.path, book.source_object)}
        return {"name": book.path.replace("\\", "/").rsplit("/", 1)[-1], "path": book.path}

    def _locate(self, key: str, book: FileBreakpoints) -> None:
        """Relocate and verify the breakpoints of ``book`` against the best text we have for the file:
        its source (disk, run-time capture, linecache), else the lines of its loaded code."""
        text = self._text_for(book)
        source_map: SourceMap | None = None
        failure: str | None = None
        if text is not None:
            try:
                source_map = SourceMap.from_text(text, book.path)
            except (SyntaxError, ValueError) as exc:
                failure = f"{book.path} does not compile ({exc}); breakpoints bind to the lines of its loaded code"
        if source_map is None and book.loaded:
            source_map = SourceMap.from_code([code for _state, code in self._codes_of(key)])
        on_disk = failure is None and book.source_object is None and self.sources.is_file_on_disk(book.path)
        book.source_map = source_map
        book.by_line = {}
        for breakpoint_ in book.breakpoints:
            if not breakpoint_.requested_line or (breakpoint_.message and not breakpoint_.usable):
                continue
            breakpoint_.verified = False
            if source_map is None:
                breakpoint_.line = breakpoint_.requested_line
                breakpoint_.message = failure or (
                    f"{book.path} is not loaded and no file has that name yet; "
                    "the breakpoint binds when code compiled under this name runs"
                )
                continue
            line = source_map.relocate(breakpoint_.requested_line)
            if line is None:
                breakpoint_.line = breakpoint_.requested_line
                breakpoint_.message = (
                    f"line {breakpoint_.requested_line} is past the last line with code in {book.path} "
                    f"({source_map.line_count} lines)"
                )
                continue
            breakpoint_.line = line
            book.by_line.setdefault(line, []).append(breakpoint_)
            if book.loaded or on_disk:
                # a file on disk whose text compiled: its code will hold this line (as debugpy, we
                # verify at once; clients draw an unverified breakpoint as rejected)
                breakpoint_.verified = True
                breakpoint_.message = None
            else:
                breakpoint_.message = f"{book.path} has not run yet; the breakpoint is verified when its code loads"

    def _text_for(self, book: FileBreakpoints) -> str | None:
        if book.source_object is not None:
            return self.sources.decode(book.source_object)
        return self.sources.text_of_file(book.path)

    def _bind_pending(self, key: str, book: FileBreakpoints) -> None:
        """The first code of a file with unverified breakpoints just appeared: verify them against the
        text now known (captured at compile time for ``/virtual/x.py``) and tell the client."""
        book.loaded = True
        before = {bp.id: (bp.verified, bp.line, bp.message) for bp in book.breakpoints}
        self._locate(key, book)
        source_dict = self._dap_source(book)
        for breakpoint_ in book.breakpoints:
            state = (breakpoint_.verified, breakpoint_.line, breakpoint_.message)
            if before.get(breakpoint_.id) != state and breakpoint_.usable:
                self._send_event("breakpoint", {"reason": "changed", "breakpoint": breakpoint_.to_dap(source_dict)})

    def breakpoint_locations(self, source: dict[str, Any], line: int, end_line: int | None) -> list[dict[str, int]]:
        """Lines between ``line`` and ``end_line`` (inclusive; ``line`` alone when absent) where a
        breakpoint binds as is."""
        key, path, source_object = self._resolve_source(source)
        text = self.sources.decode(source_object) if source_object is not None else self.sources.text_of_file(path)
        if text is not None:
            try:
                source_map = SourceMap.from_text(text, path)
            except (SyntaxError, ValueError):
                source_map = SourceMap.from_code([code for _state, code in self._codes_of(key)])
        else:
            source_map = SourceMap.from_code([code for _state, code in self._codes_of(key)])
        last = end_line if end_line is not None else line
        return [{"line": valid} for valid in sorted(source_map.lines) if line <= valid <= last]

    # -- stopping and resuming --------------------------------------------------------------------

    def _park(
        self,
        ident: int,
        frame: FrameType,
        line: int,
        reason: str | None,
        *,
        hit_ids: list[int] | None = None,
        exception: tuple[BaseException, str] | None = None,
        stack: list[tuple[FrameType, int]] | None = None,
        description: str | None = None,
        event: str = "line",
    ) -> bool:
        """Hold the current thread inside its callback until resumed; False when it did not stop.

        ``reason`` None means a silent stop: the thread stops because another one did. Otherwise a
        ``stopped`` event reports this thread, every step plan ends, and every other user thread is
        halted at its next line by the aux id's global LINE (threads blocked in C stop when they come
        back to Python).
        """
        parked = ParkedThread(
            ident, self.thread_ids.dap_id(ident), frame, line, event, exception=exception, stack=stack
        )
        with self._lock:
            if not self._active or (reason is None and not self._halt) or (reason is not None and self._ending):
                return False
            self._parked[ident] = parked
            self._parked_changed.notify_all()
            if reason is not None:
                self._running_alone.clear()
                parked.returned = self._returned.pop(ident, None) if reason == "step" else None
                for stepping in list(self._plans):
                    self._set_plan(stepping, None)
                self._returned.clear()
            self._running_alone.discard(ident)
            self._halt = True
            self._sync_aux()
        if reason is not None:
            body: dict[str, Any] = {"reason": reason, "threadId": parked.dap_id, "allThreadsStopped": True}
            if hit_ids:
                body["hitBreakpointIds"] = hit_ids
            if description:
                body["description"] = description
                body["text"] = description
            self._send_event("stopped", body)
        parked.serve()
        return True

    def _sync_aux(self) -> None:
        """Set the aux id's global events to what the stop and step state needs. Caller holds the lock.

        LINE while threads must halt or a stop is requested, and for step-in (with PY_START, so a
        one-line function's first line fires on 3.13, cpython#155992); PY_UNWIND while any step runs.
        Turned off as a whole (``set_events(aux, 0)``), which takes effect at once even in frames
        already running a loop.
        """
        events = E.LINE if self._halt or self._stop_request is not None else 0
        if any(plan.kind == "in" for plan in self._plans.values()):
            events |= E.LINE | E.PY_START
        if self._plans or self._exception_filters.armed("userUnhandled"):
            events |= E.PY_UNWIND
        if self._exception_filters.armed("raised"):
            events |= E.RAISE
        if self._aux_id is not None and events != self._aux_current:
            M.set_events(self._aux_id, events)
            self._aux_current = events

    def request_stop(self, reason: str, ident: int | None = None) -> None:
        """Stop the next user line run by ``ident`` (any thread when None) with ``reason`` ("pause",
        "entry"), and halt every other thread. Threads blocked in C stop when they return to Python."""
        with self._lock:
            if not self._active:
                return
            self._stop_request = (reason, ident)
            self._sync_aux()

    def resume(self, ident: int | None = None) -> list[ParkedThread]:
        """Release every parked thread (``ident`` None) or one (singleThread); returns those released."""
        with self._lock:
            if ident is None:
                released = list(self._parked.values())
                self._parked.clear()
                self._halt = False
                self._running_alone.clear()
            else:
                parked = self._parked.pop(ident, None)
                released = [parked] if parked is not None else []
                self._running_alone.add(ident)
            self._sync_aux()
            self._parked_changed.notify_all()  # program_ended waits for this
        for parked_thread in released:
            parked_thread.release()
        return released

    def step(self, ident: int, kind: StepKind, *, single_thread: bool = False, target: int | None = None) -> bool:
        """Resume with a step plan for the parked thread ``ident``; False when it is not parked.

        The other threads resume too unless ``single_thread`` (DAP's default is all of them).
        ``target`` (kind "over"): the offset of the one call of the line to step into.
        """
        with self._lock:
            parked = self._parked.get(ident)
            if parked is None:
                return False
            self._set_plan(ident, StepPlan(kind, parked.frame, parked.line, target))
        self.resume(ident if single_thread else None)
        return True

    def _set_plan(self, ident: int, plan: StepPlan | None) -> None:
        """Replace the step plan of one thread, watching the code its frame runs. Caller holds the lock.

        ``over`` needs every LINE of the frame's code (revived with the per-code 0 -> LINE re-arm)
        and its PY_RETURN; ``out`` and ``in`` need only PY_RETURN (a return ends them in the caller,
        on the line of the call); ``in`` also uses the aux id's global LINE.
        """
        old = self._plans.pop(ident, None)
        if old is not None:
            self._watch(old, -1)
        if plan is not None:
            self._plans[ident] = plan
            self._watch(plan, +1)
        self._sync_aux()

    def _watch(self, plan: StepPlan, delta: int) -> None:
        if plan.kind == "in" and plan.line == 0:
            return  # a step continuing anywhere after its frame left: no frame to watch
        code = plan.frame.f_code
        if code_key(code) not in self._codes:
            self._register_tree(code)
        state = self._codes.get(code_key(code))
        if state is None:
            return  # our own code: never stepped in
        before = state.wanted_events()
        if plan.kind == "over":
            state.line_watchers += delta
            state.call_watchers += delta if plan.target is not None else 0
        state.return_watchers += delta
        self._set_local(state, code, before, rearm=delta > 0 and plan.kind == "over")

    def configure(self, *, just_my_code: bool, rules: Rules | None = None) -> None:
        self._just_my_code = just_my_code
        self._rules = rules or Rules()
        self._skipped_files.clear()

    def set_exception_filters(self, filters: exceptions.ExceptionFilters) -> None:
        """Replace the exception filters and options (turning the aux id's RAISE and PY_UNWIND on or off)."""
        with self._lock:
            self._exception_filters = filters
            if self._active:
                self._sync_aux()

    def skips(self, filename: str) -> bool:
        """Whether code of ``filename`` is not the user's (justMyCode, rules, ours): steps skip it and
        stack traces mark its frames (agent/frames.py)."""
        return self._skipped_in_steps(filename)

    def _skipped_in_steps(self, filename: str) -> bool:
        """Code a step never stops in: ours always; the standard library and site-packages with
        justMyCode (the default). Remembered per file name in ``_skipped_files``."""
        skipped = self._skipped_files.get(filename)
        if skipped is None:
            if len(self._skipped_files) >= MAX_FILE_VERDICTS:
                self._skipped_files.clear()
            ruled = self._rules.verdict(filename)  # the user's rules first, then justMyCode's default
            library = (self._just_my_code and codes.is_library_file(filename)) if ruled is None else not ruled
            skipped = codes.is_own_file(filename) or library
            self._skipped_files[filename] = skipped
        return skipped

    def program_ended(self, gone: threading.Event) -> None:
        """Interpreter shutdown, from our last atexit handler (the program's handlers ran before it):
        from now on no thread stops (a daemon thread hitting a breakpoint now could not be inspected:
        the interpreter is about to end it). A stop reported before stays real: wait until the client
        resumes it, or ``gone`` (the adapter left) is set."""
        with self._parked_changed:
            self._ending = True
            while self._parked and not gone.is_set():
                self._parked_changed.wait(0.1)  # resume notifies; the adapter leaving does not

    def release_all(self) -> None:
        """Lift every stop and step and let all threads run (disconnect, interpreter exit)."""
        with self._lock:
            self._stop_request = None
            for stepping in list(self._plans):
                self._set_plan(stepping, None)
        self.resume()

    def parked(self, ident: int) -> ParkedThread | None:
        return self._parked.get(ident)

    def wait_parked(self, ident: int, timeout: float) -> ParkedThread | None:
        """The parked thread ``ident``, waiting up to ``timeout`` while a stop is in force: a thread
        that runs Python parks at its next line, but a client may ask about it a moment before."""
        with self._parked_changed:
            self._parked_changed.wait_for(lambda: ident in self._parked or not self._halt, timeout)
            return self._parked.get(ident)

    def running_frames(self, ident: int) -> list[tuple[FrameType, int]]:
        """The stack of a thread that is not parked (blocked in native code during a stop), for display."""
        frame = _current_frames().get(ident)
        if frame is None:
            return []
        return self.user_frames(ParkedThread(ident, self.thread_ids.dap_id(ident), frame, frame.f_lineno or 0))

    def file_code(self, code: CodeType) -> list[CodeType]:
        """The known code objects of the file ``code`` belongs to (goto names the function of a line)."""
        state = self._codes.get(code_key(code))
        return [other for _state, other in self._codes_of(state.key)] if state is not None else []

    def parked_threads(self) -> list[ParkedThread]:
        return list(self._parked.values())

    def program_starting(self, code: CodeType, *, stop_on_entry: bool) -> None:
        """The runner is about to exec the program's main code on this thread. Every frame below here
        is the launcher's (runpy's too, under ``python -m monadapter.agent``: not in our files)."""
        self._main_code = code
        self._add_launcher_frames(_getframe(1))
        with self._lock:
            self._register_tree(code)
        if stop_on_entry:
            self.request_stop("entry", get_ident())

    def _add_launcher_frames(self, frame: FrameType | None) -> None:
        """Count the code of ``frame`` and its callers as the launcher's (never user code)."""
        while frame is not None:
            launcher = self._launcher_codes.setdefault(frame.f_code.co_filename, [])
            if not any(code is frame.f_code for code in launcher):
                launcher.append(frame.f_code)
            frame = frame.f_back

    def user_frames(self, parked: ParkedThread) -> list[tuple[FrameType, int]]:
        """The stack of a parked thread, innermost first, each frame with its current line: our own
        frames and the launcher's frames below the program's main code left out."""
        if parked.stack is not None:
            return parked.stack
        frames: list[tuple[FrameType, int]] = []
        frame: FrameType | None = parked.frame
        line = parked.line
        while frame is not None:
            if not codes.is_own_file(frame.f_code.co_filename):
                frames.append((frame, line))
            if frame.f_code is self._main_code:
                break
            frame = frame.f_back
            line = (frame.f_lineno or 0) if frame is not None else 0
        return frames

    # -- output ---------------------------------------------------------------------------------

    def _output(self, category: str, text: str, code: CodeType, line: int) -> None:
        self._send_event(
            "output", {"category": category, "output": text, "source": self.sources.source_for(code), "line": line}
        )

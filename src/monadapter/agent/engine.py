"""The debug engine's mechanism: our sys.monitoring tool ids, the one table of the events we use, the
guard, and callbacks that hand each event to the concern that decides it."""

from __future__ import annotations

import functools
import operator
import sys
import threading
from _thread import get_ident  # bound once: callbacks must not depend on a program patching threading
from collections.abc import Callable

# bound once too: a program may delete or replace sys._getframe (attrs' tests do) while we run
from sys import _getframe, is_finalizing
from types import CodeType, FrameType

from . import PausedImportError, callerframe, codes, exceptions
from .breakpoint_table import BreakpointTable
from .exception_stops import ExceptionStops
from .halting import Halting
from .interrupt import HitTimeout
from .outcome import NO_STOP
from .parking import Parking
from .registry import CodeRegistry, CodeState
from .sources import Sources, pin_tokenize
from .stepping import Stepper
from .stop_settings import NO_DATA_WATCHES, NoDataWatches, StopSettings
from .threads import ThreadIds, announced
from .usercode import UserCode

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any, Literal

    from .breakpoints import LineProbe
    from .data_stops import DataStops
    from .data_watches import DataWatches
    from .outcome import HitOutcome

M = sys.monitoring
E = M.events
DISABLE = M.DISABLE
#: Breakpoint probes, first sight of code, stepping in one frame.
DEBUGGER_ID = M.DEBUGGER_ID
#: The second id, held for the whole session: the events that are only on while needed (see EVENTS).
#: 4 first: coverage.py walks up from 1 and profilers take 2, so 4 is the id least likely to be
#: wanted by someone else.
AUX_CANDIDATES = (4, 3)
TOOL_NAME = "monadapter"
#: How many internal errors we report before going quiet (the program keeps running either way).
MAX_ERROR_REPORTS = 20
#: Frames between the monitored frame and a guarded ``_on_<event>`` method: the C dispatcher calls
#: the guard wrapper, which calls the method, so the user frame is ``_getframe(2)`` inside the
#: method. The unguarded callbacks (``guard`` False in EVENTS) find their user frame one up.
CALLER_DEPTH = 2
#: Code every ``threading.Thread`` runs first and returns from last: aux local PY_START and PY_RETURN
#: on it alone give ``thread`` events at no cost to any other code.
THREAD_BOOTSTRAP: CodeType = threading.Thread._bootstrap_inner.__code__  # type: ignore[attr-defined]
THREAD_EVENTS = E.PY_START | E.PY_RETURN
#: 3.13 drops the first LINE of a one-line def unless PY_START is on for the code (cpython#155992).
NEEDS_START_FOR_FIRST_LINE = sys.version_info >= (3, 13)
#: Events a callback may answer with DISABLE; for the others DISABLE raises in the user's code
#: (docs/sys-monitoring/global_only_events.py), so the guard turns it into None.
DISABLEABLE = E.PY_START | E.PY_RESUME | E.PY_RETURN | E.PY_YIELD | E.CALL | E.LINE


class Wiring:
    """One row of EVENTS: ``tool`` listens to ``event`` (``scope`` global: set with ``set_events``;
    local: with ``set_local_events`` on single code objects) through the Engine method ``callback``
    (a dotted name: a function of another agent module, which registers and clears it itself).
    ``when``: for a global row, the predicate (a method of one of the Engine's concerns) that turns
    it on ("always": the whole session; an event is on while any of its rows' predicates holds);
    for a local row, the code objects it is set on. ``guard`` False: the callback is registered
    bare and its own ``try`` does the guard's work (a hot path, ~70 ns a call saved)."""

    __slots__ = ("tool", "event", "scope", "callback", "when", "guard")

    def __init__(
        self,
        tool: Literal["debugger", "aux"],
        event: int,
        scope: Literal["global", "local"],
        callback: str,
        when: str,
        guard: bool = True,
    ) -> None:
        self.tool = tool
        self.event = event
        self.scope = scope
        self.callback = callback
        self.when = when
        self.guard = guard


#: Every event we use, and never anything else: no ``restart_events()``, no global LINE on DEBUGGER_ID.
#: ``start``, ``stop`` and ``_sync_aux`` are derived from this table.
EVENTS: tuple[Wiring, ...] = (
    Wiring("debugger", E.PY_START, "global", "_on_py_start", "always"),
    Wiring("debugger", E.LINE, "local", "_on_line", "code with a breakpoint line or a frame stepped over", False),
    Wiring("debugger", E.PY_RETURN, "local", "_on_py_return", "code of a frame stepped over or out of"),
    Wiring("debugger", E.CALL, "local", "_on_call", "code of a frame stepping into one chosen call"),
    Wiring("aux", E.LINE, "global", "_on_aux_line", "parking.stopping", False),
    Wiring("aux", E.LINE, "global", "_on_aux_line", "stepper.stepping_in", False),
    Wiring("aux", E.PY_START, "global", "_on_aux_py_start", "stepper.stepping_in"),
    Wiring(
        "aux",
        E.PY_START,
        "local",
        "_on_aux_py_start",
        "the ending probes, threading's bootstrap, and (3.13+) code whose breakpoint is on its first line",
    ),
    Wiring("aux", E.LINE, "local", "_on_aux_line", "code that can change a value a data breakpoint watches", False),
    Wiring(
        "aux", E.PY_RETURN, "local", "_on_aux_py_return", "threading's bootstrap, and code a data breakpoint watches"
    ),
    Wiring("aux", E.PY_UNWIND, "global", "_on_aux_py_unwind", "stepper.stepping"),
    Wiring("aux", E.PY_UNWIND, "global", "_on_aux_py_unwind", "exception_stops.unhandled_armed"),
    Wiring("aux", E.PY_UNWIND, "global", "_on_aux_py_unwind", "data.frames_watched"),
    Wiring("aux", E.RAISE, "global", "_on_aux_raise", "exception_stops.raised_armed", False),
    Wiring("debugger", E.JUMP, "local", "quiet._on_jump", "quiet._enter only, while one of our threads starts"),
)


class ToolBusyError(Exception):
    """DEBUGGER_ID is held by another tool; the message names that tool."""

    def __init__(self, tool_id: int, holder: str) -> None:
        super().__init__(
            f"sys.monitoring tool id {tool_id} is already in use by {holder!r}: "
            "another debugger is active in this process"
        )
        self.holder = holder


def claim_tool_ids() -> int | None:
    """Take DEBUGGER_ID, and an aux id when one of AUX_CANDIDATES is free; returns the aux id.

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
            return candidate
    return None


class ErrorReport:
    """Reports a bug of ours in a callback as a stderr ``output`` event, at most MAX_ERROR_REPORTS
    times, while the engine is active; never raises."""

    def __init__(self, send_event: Callable[[str, dict[str, Any]], None], active: Callable[[], bool]) -> None:
        self._send_event = send_event
        self._active = active
        self._count = 0

    def __call__(self, where: str, exc: BaseException) -> None:
        if not self._active() or self._count >= MAX_ERROR_REPORTS:
            return
        self._count += 1
        try:
            pin_tokenize()
            import traceback  # only when a bug of ours is reported: not loaded into every debuggee
        except PausedImportError:  # a thread we hold paused is importing it: the bug without its traceback
            text = f"{type(exc).__name__}: {exc}\n"
        else:
            text = "".join(traceback.format_exception(exc))
        try:
            self._send_event(
                "output",
                {"category": "stderr", "output": f"monadapter internal error in {where} (ignored):\n{text}"},
            )
        except Exception:
            if sys.__stderr__ is not None:
                sys.__stderr__.write(f"monadapter internal error in {where}:\n{text}")


def guarded(method: Callable[..., Any], event: int, report: ErrorReport) -> Callable[..., Any]:
    """bdb's callback_wrapper, failing the other way: a bug of ours is reported and swallowed, never
    raised into the user's code (docs/sys-monitoring/callback_raises.py); DISABLE only ever leaves
    for an event that may be disabled.

    Once the interpreter finalizes, nothing: our threads (``_thread``, daemon threads) never run
    again then, and one frozen holding the engine's lock would hold it for ever, so a callback that
    took it (the PY_START of code a ``__del__`` or weakref callback runs for the first time at exit)
    would hang the program's exit. The engine is normally stopped by then (our last atexit
    handler); an attached program whose client had not finished configuring is not."""
    disableable = bool(event & DISABLEABLE)
    finalizing = is_finalizing  # in the closure: a module's globals may be gone by then (not a hidden one's)

    @functools.wraps(method)
    def guard(*args: Any) -> Any:
        if finalizing():
            return None
        try:
            result = method(*args)
        except HitTimeout:  # as in Engine._on_line
            return None
        except Exception as exc:
            report(method.__name__, exc)
            return None
        if result is DISABLE and not disableable:
            return None
        return result

    return guard


def _always() -> bool:
    """The predicate of EVENTS' rows that are on for the whole session."""
    return True


class Tools:
    """Our two tool ids and every event set on them: callbacks registered from EVENTS, global events
    set from its predicates, local events applied from each code object's state (the only place that
    sets them), everything cleared and freed at the end."""

    def __init__(self) -> None:
        #: the aux id, None before ``claim`` or when 4 and 3 are both taken
        self.aux: int | None = None
        #: the aux id's global events as last set
        self.aux_current = 0
        #: the code objects whose start means an exception is ending a thread (exceptions.ending_probes)
        self.ending_probes: tuple[CodeType, ...] = ()

    def claim(self) -> None:
        self.aux = claim_tool_ids()

    def tool(self, name: str) -> int | None:
        return DEBUGGER_ID if name == "debugger" else self.aux

    def register(self, owner: object, report: ErrorReport) -> None:
        """Register ``owner``'s method for each (tool, event) of EVENTS, guarded unless the row says not."""
        registered: set[tuple[int, int]] = set()
        for row in EVENTS:
            tool = self.tool(row.tool)
            if tool is None or (tool, row.event) in registered or "." in row.callback:
                continue
            registered.add((tool, row.event))
            method = getattr(owner, row.callback)
            M.register_callback(tool, row.event, guarded(method, row.event, report) if row.guard else method)

    @staticmethod
    def switches(owner: object, tool_name: str) -> tuple[tuple[int, Callable[[], bool]], ...]:
        """The global rows of one tool in EVENTS as (event, its predicate bound on ``owner``), looked up
        once: the aux id's are asked at every stop and resume."""
        return tuple(
            (row.event, _always if row.when == "always" else operator.attrgetter(row.when)(owner))
            for row in EVENTS
            if row.tool == tool_name and row.scope == "global"
        )

    @staticmethod
    def global_events(switches: tuple[tuple[int, Callable[[], bool]], ...]) -> int:
        """The global events that ``switches``' predicates say are on now (an event on, its other rows unasked)."""
        events = 0
        for event, holds in switches:
            if not events & event and holds():
                events |= event
        return events

    def set_aux(self, events: int) -> None:
        """Switch the aux id's global events as a whole (``set_events``), which takes effect at once
        even in frames already running a loop."""
        if self.aux is not None and events != self.aux_current:
            M.set_events(self.aux, events)
            self.aux_current = events

    def apply_events(self, state: CodeState, code: CodeType, before: int, rearm: bool) -> None:
        """Apply ``state.wanted_events()`` to ``code`` on DEBUGGER_ID. With ``rearm``, go through 0
        first: that revives our DISABLEd lines of this code only, never another tool's
        (docs/sys-monitoring/rearm_per_code.py); never ``restart_events()``."""
        wanted = state.wanted_events()
        if rearm and wanted & E.LINE:
            M.set_local_events(DEBUGGER_ID, code, 0)
            M.set_local_events(DEBUGGER_ID, code, wanted)
        elif wanted != before:
            M.set_local_events(DEBUGGER_ID, code, wanted)

    def apply_probes(self, state: CodeState, code: CodeType, before: int, rearm: bool) -> None:
        """The breakpoint table changed the probe lines of ``code``: its DEBUGGER_ID events, and the aux
        id's local PY_START when a probe is on a one-line function's first line (cpython#155992)."""
        self.apply_events(state, code, before, rearm)
        needs_start = NEEDS_START_FOR_FIRST_LINE and codes.shared_first_line(code) in state.probes
        if needs_start != state.start_probe:
            state.start_probe = needs_start
            self.apply_aux(state, code)

    def apply_aux(self, state: CodeState, code: CodeType) -> None:
        """Set the aux id's local events of ``code`` to what its state needs: PY_START for
        cpython#155992, threading's bootstrap events, LINE and PY_RETURN for data breakpoints."""
        if self.aux is None:
            return
        events = E.PY_START if state.start_probe or any(code is probe for probe in self.ending_probes) else 0
        events |= THREAD_EVENTS if code is THREAD_BOOTSTRAP else 0
        events |= E.LINE | E.PY_RETURN if state.data_watches else 0
        M.set_local_events(self.aux, code, events)

    def release(self, armed: list[CodeType]) -> None:
        """Clear both ids' global events, their local events on ``armed``, unregister EVENTS' callbacks
        and free the ids: ``free_tool_id`` keeps events and callbacks before 3.14
        (docs/sys-monitoring/free_tool_id.py)."""
        for tool_name in ("debugger", "aux"):
            tool = self.tool(tool_name)
            if tool is None:
                continue
            M.set_events(tool, 0)
            for code in armed:
                M.set_local_events(tool, code, 0)
            for row in EVENTS:
                if row.tool == tool_name and "." not in row.callback:
                    M.register_callback(tool, row.event, None)
            M.free_tool_id(tool)
        self.aux = None


class Engine:
    """Owns DEBUGGER_ID and one aux tool id for the whole session (EVENTS says what each carries);
    each event goes to the concern that decides it: the code registry, the breakpoint table, the
    stepper, the user-code policy, exception stops, thread parking, halting at the next line, data
    breakpoint stops."""

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
        self.tools = Tools()
        self._report = ErrorReport(send_event, lambda: self.parking.active)
        self.registry = CodeRegistry(sources)
        self.user = UserCode()
        self.breakpoints = BreakpointTable(self.registry, sources, send_event, self.tools.apply_probes)
        self.stepper = Stepper(self.registry, sources, self.user, self.tools.apply_events, self._sync_aux)
        self.parking = Parking(self.thread_ids, self.stepper, send_event, self._sync_aux)
        #: data breakpoints: none until the first request about them (``_load_data``)
        self.data: DataWatches | NoDataWatches = NO_DATA_WATCHES
        #: their stops, made with them: read only while ``data.watches`` holds any
        self.data_stops: DataStops
        self.exception_stops = ExceptionStops(self.user)
        self.halting = Halting(self.registry, self.user, self.stepper, self.parking, own_threads)
        #: the debugger's requests: breakpoints, data breakpoints, exception filters
        self.settings = StopSettings(
            self.parking,
            self.breakpoints,
            lambda: self.data,
            self._load_data,
            self.exception_stops,
            lambda: self.tools.aux,
            self._sync_aux,
        )
        # the aux id's global rows of EVENTS with their predicates bound (Engine._sync_aux)
        self._aux_switches = Tools.switches(self, "aux")
        # the concerns' dicts the hot callbacks read, bound once (each is never replaced)
        self._codes = self.registry.codes
        self._plans = self.stepper.plans
        self._parked_by_aux = self.halting.parked_by_aux
        self._skipped_files = self.user.verdicts
        #: the RAISE callback, a closure (EVENTS names it like the methods)
        self._on_aux_raise = self._raise_callback()
        # called with each ``<module>`` code on first sight: imports, exec, eval (modules.LoadedCode)
        self.module_code_hook: Callable[[CodeType], None] | None = module_started
        # the state of the code _on_line saw last: a hot line's code is found without code_key, whose
        # call (a slot wrapper through tp_call, allocating) costs more than the rest of the lookup
        self._hot_state: CodeState | None = None
        # _getframe(1) for _on_line without the audit event (see callerframe.py)
        self._caller_frame = callerframe.frame_getter()

    @property
    def _lock(self) -> threading.RLock:
        return self.parking.lock

    # -- lifetime -------------------------------------------------------------------------------

    def start(self) -> None:
        """Claim DEBUGGER_ID (and an aux id), register EVENTS' callbacks, index the code that exists,
        turn on the events that are on for the whole session.

        Raises:
            ToolBusyError: another tool holds DEBUGGER_ID.
        """
        self.tools.claim()
        self.parking.active = True
        # the frames starting us are the launcher's; a program that fails to compile never reaches
        # program_starting, and its SystemExit(1) must not stop as raised in the launcher's frames
        self.user.add_launcher_frames(_getframe(1))
        self.tools.register(self, self._report)
        if self.tools.aux is not None:
            self.tools.ending_probes = exceptions.ending_probes()
            for code in self.tools.ending_probes:
                M.set_local_events(self.tools.aux, code, E.PY_START)
        self.sources.start_capture()
        with self._lock:
            self.registry.add_existing(codes.existing_code)
            if self.tools.aux is not None:
                M.set_local_events(self.tools.aux, THREAD_BOOTSTRAP, THREAD_EVENTS)
        M.set_events(DEBUGGER_ID, Tools.global_events(Tools.switches(self, "debugger")))
        with self._lock:
            self._sync_aux()

    def stop(self) -> None:
        """Idempotent. Release parked threads, clear every event of EVENTS, unregister, free the ids.

        ``free_tool_id`` keeps events and callbacks (docs/sys-monitoring/free_tool_id.py), so
        everything is cleared first.
        """
        with self._lock:
            if not self.parking.active:
                return
            self.parking.active = False
            self.breakpoints.clear()
            self.data.clear()
        self.parking.release_all()
        self.sources.stop_capture()
        registered = self.registry.registered()
        armed = [code for state, code in registered if state.wanted_events() or state.start_probe or state.data_watches]
        self.tools.release([*armed, *self.tools.ending_probes, THREAD_BOOTSTRAP])

    def _load_data(self) -> DataWatches:
        """The data breakpoints, made (agent/data_watches.py and data_stops.py loaded) at the first
        request about them, on the I/O thread under the lock: a program that never sets one never
        loads them (benchmarks A2). Both modules import only what the agent loaded at start
        (tests/test_lazy_modules.py). ``data_stops`` is set before ``data``, whose watches the
        callbacks test before they use it; the aux id's predicates are bound again to the new object."""
        data = self.data
        if isinstance(data, NoDataWatches):
            from .data_stops import DataStops
            from .data_watches import DataWatches

            data = DataWatches(self.registry, self.breakpoints.new_id, self.tools.apply_aux, self._send_event)
            self.data_stops = DataStops(
                data, self.halting, self.parking, self._output, self._own_threads, self._sync_aux
            )
            self.parking.resumed = data.refresh
            self.data = data
            self._aux_switches = Tools.switches(self, "aux")
        return data

    def _sync_aux(self) -> None:
        """Set the aux id's global events to what EVENTS' predicates say now (Tools.set_aux). Caller
        holds the lock. The aux id never returns DISABLE for user code, so it needs no re-arming."""
        if self.parking.active:
            self.tools.set_aux(Tools.global_events(self._aux_switches))

    # -- callbacks: thin dispatchers (EVENTS says when each is on) ------------------------------------

    def _on_py_start(self, code: CodeType, offset: int) -> Any:
        """DEBUGGER_ID global PY_START: first sight of a code object: index it and its nested code, arm
        breakpoints of its file, verify pending ones; in a file nothing needs states in yet (no
        breakpoint there, no function or data breakpoint) only note it (CodeRegistry.note: a weak
        reference, ~1/10 of the instructions of a state per code object, benchmarks S9). Returns DISABLE
        (global PY_START is then silent for this code; we never need it back:
        docs/sys-monitoring/pystart_disable.py).

        Our own code is never registered, so it returns at once, without the lock: a user thread runs
        some of ours outside any callback (the output copy, under the channel's send lock; weakref
        callbacks of the registry in a garbage collection), and waiting there for the engine lock,
        which a stopping thread holds while it waits for the send lock, was a deadlock
        (tests/test_stalled_adapter.py)."""
        if self._codes.get(codes.code_key(code)) is None:
            filename = code.co_filename
            key = self.registry.key_of(filename)
            if not key:
                return DISABLE  # our own code
            with self._lock:
                # run-time compiled code is bound to its text now (register_tree); a data breakpoint may
                # watch any code
                if self.sources.is_compiled_name(filename) or self.data.watches or self.breakpoints.wants(key):
                    self._register_tree(code)
                else:
                    self.registry.note(code, key)
            if code.co_name == "<module>" and self.module_code_hook is not None:
                self.module_code_hook(code)
        return DISABLE

    def _on_line(self, code: CodeType, line: int) -> Any:
        """DEBUGGER_ID local LINE. A line that neither has a breakpoint nor is watched by a step returns
        DISABLE; any other returns None, whatever a condition says (DISABLE is shared by all threads
        and all frames of the code, docs/sys-monitoring/disable_is_per_location.py).

        The hot path of a conditional breakpoint is a false condition (S4 in benchmarks/): one registry
        lookup, no allocation, no output, and the thread is only asked about (is it ours?) once
        something is to be reported. So this callback is registered bare, its own ``try`` doing what
        the ``_guard`` wrapper does for the others.
        """
        try:
            if self._parked_by_aux:
                skipped = self._parked_by_aux.pop(get_ident(), None)
                if skipped is not None and skipped == (_getframe(1), line):
                    return None  # this event already stopped the thread in the aux id's callback (Halting.park)
            state = self._hot_state
            if state is None or state() is not code:
                state = self._codes.get(codes.code_key(code))
                if state is None:
                    return DISABLE
                self._hot_state = state
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
            for probe in candidates:
                outcome = probe.hit(frame, code)
                if outcome is NO_STOP:
                    # an explicit continue: the loop's implicit back jump after an ``if`` is outside the
                    # ``try``'s range in CPython's exception table, and a HitTimeout raised at that
                    # switch point would reach the program (tests/test_hit_timeout.py's edge test)
                    continue
                self._line_hit(state, candidates, probe, outcome, frame, code, line)
                return None
            if state.line_watchers:
                self._step_line(frame, line)
        except HitTimeout:  # a condition's end that came after it returned (see interrupt.HitTimeout)
            return None
        except Exception as exc:
            self._report("_on_line", exc)
        return None

    def _line_hit(
        self,
        state: CodeState,
        candidates: tuple[LineProbe, ...],
        first: LineProbe,
        outcome: HitOutcome,
        frame: FrameType,
        code: CodeType,
        line: int,
    ) -> None:
        """The rest of ``_on_line`` once a probe's ``outcome`` (``first``'s) is not NO_STOP: the probes
        after it are hit too, logs and errors are written, and the thread stops if any says so (a
        step watching the line ends there otherwise). Out of ``_on_line`` so that its loop stays
        short for the hot path, a false condition."""
        if get_ident() in self._own_threads():
            return
        outcomes = [(first, outcome)]
        for probe in candidates[candidates.index(first) + 1 :]:
            outcomes.append((probe, probe.hit(frame, code)))
        stop_ids: list[int] = []
        reason = "breakpoint"
        for probe, decided in outcomes:
            # stdout and stderr: the categories every client shows by default (dap-mode shows
            # only these); debugpy's logpoints are stdout too
            if decided.log is not None:
                self._output("stdout", decided.log + "\n", code, line)
            if decided.error is not None:
                self._output("stderr", decided.error + "\n", code, line)
            if decided.stop:
                stop_ids.append(probe.breakpoint.id)
                if probe in state.entry:
                    reason = "function breakpoint"  # the spec's reason for a function breakpoint's stop
        if stop_ids:
            self.parking.park(get_ident(), frame, line, reason, hit_ids=stop_ids)
        elif state.line_watchers:
            self._step_line(frame, line)

    def _step_line(self, frame: FrameType, line: int) -> None:
        ident = get_ident()
        if self.stepper.ends_at_line(ident, frame, line):
            self.parking.park(ident, frame, line, "step")

    def _on_py_return(self, code: CodeType, offset: int, value: Any) -> Any:
        """DEBUGGER_ID local PY_RETURN: when the stepped frame itself returns, the step ends in its
        caller, on the line of the call (as debugpy does: the caller gets no new LINE event for the
        rest of that line), with the return value. Returns None (other frames of the code may be
        stepped later)."""
        ident = get_ident()
        if ident not in self._plans:
            return None
        with self._lock:
            caller = self.stepper.returned(ident, _getframe(CALLER_DEPTH), code, value)
        if caller is not None:
            self.parking.park(ident, caller, caller.f_lineno or 0, "step", event="return")
        return None

    def _on_call(self, code: CodeType, offset: int, callee: object, arg0: object) -> Any:
        """DEBUGGER_ID local CALL: the chosen call of an ``into_call`` step about to run in its frame
        makes the step a plain step in; the other calls of the line run at full speed. Returns None,
        never DISABLE (other frames and threads run this code)."""
        ident = get_ident()
        if ident in self._plans:
            with self._lock:
                self.stepper.call_reached(ident, _getframe(CALLER_DEPTH), offset)
        return None

    def _on_aux_py_unwind(self, code: CodeType, offset: int, exception: BaseException) -> Any:
        """Aux global PY_UNWIND (it cannot be local, docs/sys-monitoring/global_only_events.py): a
        stepped frame leaving by an exception continues the step in its caller; an exception leaving
        user code for library code (justMyCode's idea of both) stops in the user frame,
        "userUnhandled". Returns None: DISABLE from a global-only event raises in user code.

        Cheap tests first, on ``code`` and the exception type: ``sys._getframe`` and ``frame.f_code``
        raise audit events, which run the audit hook of Sources (docs/sys-monitoring/audit_cost.py)."""
        ident = get_ident()
        if self._plans and ident in self._plans:
            with self._lock:
                self.stepper.unwound(ident, _getframe(CALLER_DEPTH))
        if self.data.watches and self.data.frames_watched():
            self.data_stops.frame_ended(_getframe(CALLER_DEPTH))
        if not self.exception_stops.may_stop_unhandled(code, exception) or ident in self._own_threads():
            return None
        stack = self.exception_stops.user_unhandled(_getframe(CALLER_DEPTH), exception)
        if stack is not None:
            self.parking.park_on_exception(ident, stack, exception, "userUnhandled")
        return None

    def _raise_callback(self) -> Callable[[CodeType, int, BaseException], None]:
        """The aux id's global RAISE callback (``_on_aux_raise``): stops where user code raises (once per
        exception object, not again in each frame it passes).

        It fires for every exception raised anywhere, most of them in library code that catches its
        own (benchmarks S5: 200k in ``ChainMap.__getitem__``). So the verdict on such code is one
        lookup by file name, and the callback is registered bare, the slow path's ``try`` doing the
        ``_guard`` wrapper's work (the wrapper's extra call was ~70 ns of a ~330 ns raise-and-catch);
        it is a closure over the two things it reads, not a method: no bound method to unpack, no
        attribute of ours looked up, no ``try`` or local of its own per raise.
        """
        verdict = self._skipped_files.get  # never replaced (see __init__)
        raised = self._raised

        def on_raise(code: CodeType, offset: int, exception: BaseException) -> None:
            if not verdict(code.co_filename):  # True: library code, the hot case (a str key: never raises)
                raised(code, exception)

        return on_raise

    def _raised(self, code: CodeType, exception: BaseException) -> None:
        """The RAISE callback's slow path: ``exception`` is raised in code that is the user's or not
        judged yet; stop if it should."""
        try:
            if self.user.skipped(code.co_filename):  # judges (and remembers) a file seen for the first time
                return
            ident = get_ident()
            if ident in self._own_threads():
                return
            stack = self.exception_stops.raised(code, _getframe(2), exception)
            if stack is not None:
                self.parking.park_on_exception(ident, stack, exception, "raised")
        except Exception as exc:
            self._report("_on_aux_raise", exc)

    def _on_aux_line(self, code: CodeType, line: int) -> Any:
        """Aux LINE: local on code a data breakpoint watches (compare the values after each line, the
        cost of a watch: benchmarks/datawatch.py), global while threads are to park (``Halting.line``).
        Registered bare, its ``try`` doing the guard's work, as ``_on_line``."""
        try:
            if self.data.watches:
                state = self._codes.get(codes.code_key(code))
                if state is not None and state.data_watches:
                    # no frame needed while nothing changed: it is fetched for a change only
                    changes = self.data.changes(state.data_watches)
                    if changes is not None and self.data_stops.after_line(changes, _getframe(1), code, line):
                        return None
                    if not self.tools.aux_current & E.LINE:
                        return None  # no thread is to park: nothing more to do here
            return self.halting.line(code, line)
        except HitTimeout:  # as in _on_line: a data breakpoint's condition ended late
            return None
        except Exception as exc:
            self._report("_on_aux_line", exc)
        return None

    def _on_aux_py_start(self, code: CodeType, offset: int) -> Any:
        """Aux PY_START. On an ending probe: an exception is about to end this thread (or the program),
        with that exception being handled: stop "uncaught" (costs nothing until then: no event fires
        for exceptions that are caught). On threading's bootstrap: a ``thread`` started event. On code
        whose breakpoint is on its first line (3.13+) its only job is to exist: with it, 3.13 emits that
        first LINE (cpython#155992) and ``_on_line`` does the stop. Returns None: DISABLE would bring
        the bug back for later calls."""
        for probe in self.tools.ending_probes:
            if code is probe:
                ident = get_ident()
                ending = self.exception_stops.ending() if ident not in self._own_threads() else None
                if ending is not None:
                    self.parking.park_on_exception(ident, ending[0], ending[1], "uncaught")
        if code is THREAD_BOOTSTRAP:
            if self.parking.halt and not self.tools.aux_current & E.LINE:
                # a thread starting while a stop found no other thread to halt (started by console code
                # or by a thread the count missed, Parking.others_may_run): the aux id's LINE goes on
                # now, and it parks at its first line
                with self._lock:
                    self._sync_aux()
            self._thread_event(_getframe(CALLER_DEPTH), "started")
        return None

    def _on_aux_py_return(self, code: CodeType, offset: int, value: Any) -> Any:
        """Aux local PY_RETURN. On threading's bootstrap code: a thread is ending. On code a data
        breakpoint watches: a value changed by the frame's last line stops here, in the returning
        frame ("data breakpoint"); a watched local's frame ends, and its watch with it."""
        if code is THREAD_BOOTSTRAP:
            self._thread_event(_getframe(CALLER_DEPTH), "exited")
        state = self._codes.get(codes.code_key(code)) if self.data.watches else None
        if state is not None and state.data_watches:
            self.data_stops.returned(state, code, _getframe(CALLER_DEPTH))
        return None

    def _thread_event(self, bootstrap: FrameType, reason: str) -> None:
        """``thread`` started/exited for the thread whose bootstrap frame runs (threads.announced)."""
        thread = announced(bootstrap)
        if thread is not None and get_ident() not in self._own_threads():
            self._send_event("thread", {"reason": reason, "threadId": self.thread_ids.dap_id_of(thread)})

    # -- arming: the only places that set local events ----------------------------------------------

    def _register_tree(self, root: CodeType) -> None:
        """Index ``root`` and its nested code; arm breakpoints of their files. Caller holds the lock."""
        added = self.registry.register_tree(root)
        if added:
            self.breakpoints.code_added(added)
            self.data.code_added(added)

    def _output(self, category: str, text: str, code: CodeType, line: int) -> None:
        self._send_event(
            "output", {"category": category, "output": text, "source": self.sources.source_for(code), "line": line}
        )

    # -- the program's start (the debugger's requests are StopSettings', agent/stop_settings.py) --------

    def program_starting(self, code: CodeType, *, stop_on_entry: bool, launcher: FrameType | None = None) -> None:
        """The runner is about to exec the program's main code on this thread, or (``launcher``: the
        runner's frame, from an attaching session's thread) runs it already. Every frame below here, or
        from ``launcher`` down, is the launcher's (runpy's too, under ``python -m monadapter.agent``:
        not in our files)."""
        self.user.main_code = code
        self.user.add_launcher_frames(launcher or _getframe(1))
        with self._lock:
            self._register_tree(code)
        if stop_on_entry:
            self.parking.request_stop("entry", get_ident())

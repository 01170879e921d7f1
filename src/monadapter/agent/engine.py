"""The debug engine: the callbacks EVENTS (agent/wiring.py) names, each handing its event to the concern
that decides it (DEBUGGER_ID's: the Engine's own; the aux id's: AuxCallbacks), and the session's start
and end on our tool ids."""

from __future__ import annotations

import threading
from _thread import get_ident  # bound once: callbacks must not depend on a program patching threading
from collections.abc import Callable

# bound once too: a program may delete or replace sys._getframe (attrs' tests do) while we run
from sys import _getframe
from types import CodeType, FrameType

from . import callerframe, codes, exceptions
from .breakpoint_table import BreakpointTable
from .exception_stops import ExceptionStops
from .halting import Halting
from .interrupt import HitTimeout
from .outcome import NO_STOP
from .parking import Parking
from .registry import CodeRegistry, CodeState
from .sources import Sources
from .stepping import Stepper
from .stop_settings import NO_DATA_WATCHES, NoDataWatches, StopSettings
from .threads import ThreadIds, announced
from .usercode import UserCode
from .wiring import (
    DEBUGGER_ID,
    DISABLE,
    THREAD_BOOTSTRAP,
    THREAD_EVENTS,
    E,
    ErrorReport,
    M,
    Tools,
)

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

    from .breakpoints import LineProbe
    from .data_stops import DataStops
    from .data_watches import DataWatches
    from .outcome import HitOutcome

#: Frames between the monitored frame and a guarded ``_on_<event>`` method: the C dispatcher calls
#: the guard wrapper, which calls the method, so the user frame is ``_getframe(2)`` inside the
#: method. The unguarded callbacks (``guard`` False in EVENTS) find their user frame one up.
CALLER_DEPTH = 2


class Engine:
    """Owns DEBUGGER_ID and one aux tool id for the whole session (EVENTS says what each carries) and
    the concerns that decide their events: the code registry, the breakpoint table, the stepper, the
    user-code policy, exception stops, thread parking, halting at the next line, data breakpoint
    stops. DEBUGGER_ID's callbacks (breakpoints and steps) are its methods; the aux id's are
    ``aux_callbacks``'."""

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
        #: the aux id's callbacks (exceptions, threads, the halt, data breakpoints)
        self.aux_callbacks = AuxCallbacks(self, send_event, own_threads, self._report, self._sync_aux)
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
        self.tools.register(self, self.aux_callbacks, self._report)
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
            self.aux_callbacks.data_stops = DataStops(
                data, self.halting, self.parking, self._output, self._own_threads, self._sync_aux
            )
            self.parking.resumed = data.refresh
            self.aux_callbacks.data = data
            self.data = data
            self._aux_switches = Tools.switches(self, "aux")
        return data

    def _sync_aux(self) -> None:
        """Set the aux id's global events to what EVENTS' predicates say now (Tools.set_aux). Caller
        holds the lock. The aux id never returns DISABLE for user code, so it needs no re-arming."""
        if self.parking.active:
            self.tools.set_aux(Tools.global_events(self._aux_switches))

    # -- DEBUGGER_ID's callbacks: thin dispatchers (EVENTS says when each is on) ------------------------

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

    def program_starting(self, code: CodeType, *, stop_on_entry: bool) -> None:
        """The runner is about to exec the program's main code on this thread. Every frame below here
        is the launcher's (runpy's too, under ``python -m monadapter.agent``: not in our files)."""
        self.user.program_starts_at(code, _getframe(1))
        with self._lock:
            self._register_tree(code)
        if stop_on_entry:
            self.parking.halt.request_stop("entry", get_ident())


class AuxCallbacks:
    """The aux id's callbacks (EVENTS' aux rows), each handing its event to the concern that decides
    it: exception stops (RAISE, PY_UNWIND, the ending probes' PY_START), threading's bootstrap (the
    ``thread`` events), halting at the next line and data breakpoints (LINE, PY_RETURN), a step
    leaving by an exception (PY_UNWIND). Apart from the Engine because none of them is DEBUGGER_ID's
    breakpoint or step mechanism; they read the engine's concerns, bound once here (so each callback
    looks up no more than it did as an Engine method), and the data breakpoints the engine makes at
    the first request about them (``Engine._load_data`` sets ``data_stops`` and then ``data``)."""

    def __init__(
        self,
        engine: Engine,
        send_event: Callable[[str, dict[str, Any]], None],
        own_threads: Callable[[], set[int]],
        report: ErrorReport,
        sync_aux: Callable[[], None],
    ) -> None:
        self._send_event = send_event
        self._own_threads = own_threads
        self._report = report
        self._sync_aux = sync_aux
        self.thread_ids = engine.thread_ids
        self.tools = engine.tools
        self.user = engine.user
        self.stepper = engine.stepper
        self.parking = engine.parking
        self.exception_stops = engine.exception_stops
        self.halting = engine.halting
        #: data breakpoints: the engine's, replaced with it (``Engine._load_data``)
        self.data: DataWatches | NoDataWatches = engine.data
        #: their stops, made with them: read only while ``data.watches`` holds any
        self.data_stops: DataStops
        # the concerns' dicts and the halt the callbacks read, bound once (each is never replaced)
        self._codes = engine.registry.codes
        self._plans = engine.stepper.plans
        self._skipped_files = engine.user.verdicts
        self._halt = engine.parking.halt
        #: the RAISE callback, a closure (EVENTS names it like the methods)
        self._on_aux_raise = self._raise_callback()

    @property
    def _lock(self) -> threading.RLock:
        return self.parking.lock

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
            if self._halt.on and not self.tools.aux_current & E.LINE:
                # a thread starting while a stop found no other thread to halt (started by console code
                # or by a thread the count missed, Halt.others_may_run): the aux id's LINE goes on
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

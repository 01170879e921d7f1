"""Our sys.monitoring tool ids and the one table of the events we use (EVENTS): claiming the ids,
the guard every callback runs under, and :class:`Tools`, the only code that registers callbacks and
sets events. The Engine (agent/engine.py) holds the callbacks the table names."""

from __future__ import annotations

import functools
import operator
import sys
import threading
from collections.abc import Callable
from sys import is_finalizing  # bound once: a program may replace sys's attributes while we run
from types import CodeType

from . import PausedImportError, codes
from .interrupt import HitTimeout
from .sources import pin_tokenize

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any, Literal

    from .registry import CodeState

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
    Wiring("aux", E.LINE, "global", "_on_aux_line", "parking.halt.stopping", False),
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

    def register(self, debugger: object, aux: object, report: ErrorReport) -> None:
        """Register, for each (tool, event) of EVENTS, the method its row names of ``debugger`` (for
        DEBUGGER_ID's rows) or ``aux`` (the aux id's), guarded unless the row says not."""
        registered: set[tuple[int, int]] = set()
        for row in EVENTS:
            tool = self.tool(row.tool)
            if tool is None or (tool, row.event) in registered or "." in row.callback:
                continue
            registered.add((tool, row.event))
            method = getattr(debugger if row.tool == "debugger" else aux, row.callback)
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

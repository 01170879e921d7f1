"""Stepping as data: one small frozen StepPlan per thread (bdb's ``_set_stopinfo``), and the Stepper that
keeps them and decides, event by event, where a step ends."""

from __future__ import annotations

from collections.abc import Callable
from types import CodeType, FrameType

from . import codes
from .records import Value
from .registry import CodeRegistry, CodeState, file_key
from .sources import Sources
from .usercode import UserCode

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any, Literal

    from .sourcemap import StatementHeads

    #: ``into_call``: stepIn with a targetId, over the line's other calls and into the chosen one.
    StepKind = Literal["over", "in", "out", "into_call"]

#: How the Stepper's watches reach sys.monitoring: ``watch(state, code, events_before, rearm)`` after
#: the watcher counts of ``state`` changed (wiring.Tools.apply_events); a test passes a recorder.
Watch = Callable[[CodeState, CodeType, int, bool], None]


class StepPlan(Value):
    """Where a resumed thread should stop next.

    ``frame`` is the frame the step started in (``line`` its line); ``line`` 0 marks an ``in`` step that
    has left its frame for library or launcher code and now ends at the next user line anywhere. The
    frame is held strongly while the step runs (frames are not weak-referenceable and their ids get
    reused, docs/sys-monitoring/frame_identity.py) and dropped with the plan.

    * ``over``: the next line in ``frame`` itself. Other frames running the same code object (other
      threads, other asyncio tasks) never match: identity, not code, decides.
    * ``in``: the next line anywhere (the Stepper's caller filters our own code and, with justMyCode,
      library code).
    * ``out``: no line of ``frame``; the step ends when ``frame`` returns (in the caller, on the line
      of the call) or continues in the caller when ``frame`` unwinds.
    * ``into_call``: an ``over`` until the CALL instruction at offset ``target`` (a stepIn targetId,
      step_targets.py) is about to run in ``frame``; then the step becomes ``in``.
    """

    __slots__ = ("kind", "frame", "line", "target")

    def __init__(self, kind: StepKind, frame: FrameType, line: int, target: int | None = None) -> None:
        self.kind = kind
        self.frame = frame
        self.line = line
        self.target = target

    def should_stop(self, frame: FrameType) -> bool:
        """Whether a LINE event in ``frame`` ends this step."""
        if self.kind == "in":
            return True
        if self.kind in ("over", "into_call"):
            return frame is self.frame
        return False


class Stepper:
    """The step plans of all threads, the code they watch, and the decisions on LINE, PY_RETURN,
    PY_UNWIND and CALL events of a stepping thread. Callers hold the engine's lock when they change
    plans; the decisions read ``plans`` without it (one dict lookup, as callbacks do).

    Needs no sys.monitoring: ``watch`` and ``changed`` are its only ways out.
    """

    def __init__(
        self,
        registry: CodeRegistry,
        sources: Sources,
        user: UserCode,
        watch: Watch,
        changed: Callable[[], None],
    ) -> None:
        self._registry = registry
        self._sources = sources
        self._user = user
        self._watch_code = watch
        self._changed = changed
        # maps threading ident -> its step plan; never replaced (the engine's callbacks hold it too)
        self.plans: dict[int, StepPlan] = {}
        # maps threading ident -> (function, value) returned by the frame a step just left
        self._returned: dict[int, tuple[str, Any] | None] = {}
        # maps file key -> its multi-line statement heads (see _inside_statement); None when it has
        # no text or the text does not compile
        self._heads: dict[str, StatementHeads | None] = {}

    # -- plans ------------------------------------------------------------------------------------

    def set_plan(self, ident: int, plan: StepPlan | None) -> None:
        """Replace the step plan of one thread, watching the code its frame runs.

        ``over`` needs every LINE of the frame's code (revived with the per-code 0 -> LINE re-arm)
        and its PY_RETURN; ``out`` and ``in`` need only PY_RETURN (a return ends them in the caller,
        on the line of the call); ``in`` also needs the aux id's global LINE (``stepping_in``).

        With no plan to drop and none to set (the end of every repl evaluation, Parking.run_nested)
        nothing the events depend on changed, and they are not decided again: that recounted the
        threads, so a ``_thread`` thread the console code started turned the halt's LINE on if it
        had begun to run by then, and a ``threading.Thread`` it started then halted before its
        ``thread`` event (AuxCallbacks._on_aux_py_start) or not, by chance (3.12 CI under load).
        """
        old = self.plans.pop(ident, None)
        if old is None and plan is None:
            return
        if old is not None:
            self._watch(old, -1)
        if plan is not None:
            self.plans[ident] = plan
            self._watch(plan, +1)
        self._changed()

    def end_all(self, ident: int, reason: str) -> tuple[str, Any] | None:
        """A stop ends every step; returns what the stepped frame of ``ident`` returned when the stop
        is that step's own end (``reason`` "step")."""
        returned = self._returned.pop(ident, None) if reason == "step" else None
        for stepping in list(self.plans):
            self.set_plan(stepping, None)
        self._returned.clear()
        return returned

    def stepping(self) -> bool:
        """Some thread steps (its frame may unwind: the step goes on in the caller)."""
        return bool(self.plans)

    def stepping_in(self) -> bool:
        """Some thread steps in: the next line anywhere may end it (with PY_START, so a one-line
        function's first line fires on 3.13, cpython#155992)."""
        return any(plan.kind == "in" for plan in self.plans.values())

    def _watch(self, plan: StepPlan, delta: int) -> None:
        if plan.kind == "in" and plan.line == 0:
            return  # a step continuing anywhere after its frame left: no frame to watch
        code = plan.frame.f_code
        state = self._registry.state(code)
        if state is None:
            self._registry.register_tree(code)
            state = self._registry.state(code)
        if state is None:
            return  # our own code: never stepped in
        before = state.wanted_events()
        over = plan.kind in ("over", "into_call")
        if over:
            state.line_watchers += delta
            state.call_watchers += delta if plan.kind == "into_call" else 0
        state.return_watchers += delta
        self._watch_code(state, code, before, delta > 0 and over)

    # -- decisions --------------------------------------------------------------------------------

    def ends_at_line(self, ident: int, frame: FrameType, line: int) -> bool:
        """A watched line is about to run in ``frame``: whether the step of ``ident`` ends here.
        Stepping over a statement whose head spans several lines does not stop on its other lines,
        nor on its first line again (docs/sys-monitoring/multiline_statement.py): one statement, one step."""
        plan = self.plans.get(ident)
        if plan is None or not plan.should_stop(frame):
            return False
        return not (plan.kind != "in" and frame is plan.frame and self._inside_statement(frame, plan.line, line))

    def returned(self, ident: int, frame: FrameType, code: CodeType, value: Any) -> FrameType | None:
        """``frame`` (running ``code``) is returning ``value``: the caller frame the step of ``ident`` ends in (on the line
        of the call), or None when the step goes on (another frame, or a caller that is not user code)."""
        plan = self.plans.get(ident)
        if plan is None or frame is not plan.frame:
            return None
        caller = frame.f_back
        result = (code.co_qualname, value)
        if caller is None or self._user.skipped(caller.f_code.co_filename):
            self.frame_left(ident, frame, result)
            return None
        self._returned[ident] = result
        return caller

    def unwound(self, ident: int, frame: FrameType) -> None:
        """An exception leaves ``frame``: a step running in it continues in its caller."""
        plan = self.plans.get(ident)
        if plan is not None and frame is plan.frame:
            self.frame_left(ident, frame, None)

    def frame_left(self, ident: int, frame: FrameType, returned: tuple[str, Any] | None) -> None:
        """The frame a step runs in returns or unwinds: continue the step in the caller (over its
        next line), or anywhere in user code when the caller is not (ours, the library, gone)."""
        caller = frame.f_back
        if caller is None or self._user.skipped(caller.f_code.co_filename):
            plan = StepPlan("in", frame, 0)
        else:
            plan = StepPlan("over", caller, caller.f_lineno or 0)
        if ident in self.plans:
            self.set_plan(ident, plan)
            self._returned[ident] = returned

    def call_reached(self, ident: int, frame: FrameType, offset: int) -> None:
        """The CALL at ``offset`` is about to run in ``frame``: an ``into_call`` step aimed at it
        becomes a plain ``in``, which stops on the callee's first user line."""
        plan = self.plans.get(ident)
        if plan is not None and plan.target == offset and frame is plan.frame:
            self.set_plan(ident, StepPlan("in", plan.frame, plan.line))

    def _inside_statement(self, frame: FrameType, start: int, line: int) -> bool:
        """Whether ``line`` (about to run in ``frame``) still belongs to the statement starting at ``start``."""
        code = frame.f_code
        heads = self._statement_heads(code)
        head_end = heads.end(start) if heads is not None else None
        if head_end is None:
            return False
        if start < line <= head_end:
            return True
        return line == start and frame.f_lasti in codes.continuation_offsets(code, start, head_end)

    def _statement_heads(self, code: CodeType) -> StatementHeads | None:
        """The multi-line statement heads of a code object's file (SourceMap.heads), cached per file."""
        state = self._registry.state(code)
        key = state.file_key if state is not None else file_key(code.co_filename)
        if key not in self._heads:
            # our module loaded at the first step that needs a head (benchmarks A2); it imports only
            # what the agent loaded at start, so loading it here, in a callback, waits on no lock
            # a paused thread can hold (test_lazy_modules)
            from .sourcemap import SourceMap

            filename = code.co_filename
            text = self._sources.text_of_file(filename)
            on_disk = self._sources.is_file_on_disk(filename)
            try:
                source_map = SourceMap.from_text(text, filename, on_disk=on_disk) if text is not None else None
            except (SyntaxError, ValueError):
                source_map = None
            self._heads[key] = source_map.heads if source_map is not None else None
        return self._heads[key]

"""Data breakpoints ("break when this value changes"): what each watches, which code objects can change
it, and the comparison done after each line of that code.

A watch compares the watched value after every line (LINE) and at every return (PY_RETURN) of the code
objects that can change it, on the aux tool id, set locally on those code objects only
(docs/architecture.md, "Data breakpoints"):

* a local variable of a frame: that frame's code (and the nested functions that share it as a cell);
* a global of a module: the code of that module's file whose ``co_names`` hold the name (``global x;
  x = 1`` and module-level ``x = 1`` both name it there), and such code appearing later;
* an attribute of an object: every code object whose ``co_names`` hold the attribute's name
  (``obj.attr = ...`` names it there), and such code appearing later.

Changes made where no watched code runs (C code, ``setattr(obj, name, ...)`` with a computed name,
``globals()[name] = ...``, ``obj.__dict__[name] = ...``, another module's ``module.x = ...``) are
seen at the next line or return of watched code, on whichever thread runs it first. The value is
compared by identity, and by ``==`` only for exact built-in scalars (int, float, complex, str, bytes,
bool, None) and tuples of them, whose ``==`` runs none of the program's code: a list mutated in
place is the same object and no change; ``x = x + 0`` with a new but equal int is no change.

Standard library only; needs no sys.monitoring (``arm`` applies a code object's new watches).
"""

from __future__ import annotations

import gc
from _weakref import ref  # weakref's own type, without the weakref module (benchmarks A2)
from collections.abc import Callable, Mapping
from types import AsyncGeneratorType, CodeType, CoroutineType, FrameType, GeneratorType, MemberDescriptorType

from .breakpoints import Breakpoint, evaluate_hit
from .outcome import NO_STOP, HitOutcome
from .records import Record, Value
from .registry import CodeRegistry, CodeState
from .static import class_name

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any, Literal

#: What a watched variable reads as while it is unbound, deleted or not yet assigned.
MISSING: Any = object()
#: What a watched local reads as once its generator (or coroutine) is gone: never compared, never read.
GONE: Any = object()
#: Code whose frames a generator, coroutine or async generator owns (see Target.generator).
_SUSPENDABLE = 0x20 | 0x80 | 0x200  # inspect's CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR
#: Exact types whose ``==`` is C that runs none of the program's code.
_SCALARS = frozenset({int, float, complex, str, bytes, bool, type(None)})
#: dataIds handed out by dataBreakpointInfo and kept while unused (the oldest unused go first).
MAX_TARGETS = 256
#: Longest text of a value in a stop's description.
SHOWN_LIMIT = 80


def same(old: Any, new: Any) -> bool:
    """Whether ``new`` is no change from ``old``: the same object, or an equal built-in scalar (NaN
    counts as equal to NaN), or tuples of such. Never runs the program's code."""
    if old is new:
        return True
    kind = type(old)
    if kind is not type(new):
        return False
    if kind in _SCALARS:
        return bool(old == new) or (kind is float and old != old and new != new)
    if kind is tuple and len(old) == len(new):
        return all(same(a, b) for a, b in zip(old, new, strict=True))
    return False


def shown(value: Any) -> str:
    """A value in a stop's description, made without running the program's code (no user ``repr``)."""
    if value is MISSING:
        return "<unbound>"
    if type(value) in _SCALARS:
        text = repr(value[:SHOWN_LIMIT] if type(value) in (str, bytes) else value)
    elif type(value) is tuple and all(type(item) in _SCALARS for item in value[:20]) and len(value) <= 20:
        text = repr(value)
    else:
        text = f"<{class_name(type(value))} object at {id(value):#x}>"
    return text if len(text) <= SHOWN_LIMIT else text[: SHOWN_LIMIT - 3] + "..."


def _running_frame(owner: Any) -> FrameType | None:
    """The frame of a generator, coroutine or async generator (None once it finished)."""
    kind = type(owner)
    if kind is GeneratorType:
        return owner.gi_frame
    if kind is CoroutineType:
        return owner.cr_frame
    return owner.ag_frame if kind is AsyncGeneratorType else None


def _gone() -> None:
    """The owner of a generator's frame found with no generator left."""
    return None


def frame_owner(frame: FrameType, code: CodeType) -> Callable[[], Any] | None:
    """For the frame of a generator, coroutine or async generator (``code`` is its code): a weak
    reference to that object (a function returning None once it is gone). None for a function's frame.

    3.14 names it (``f_generator``); before, it is the gc referrer of the frame whose frame it is (one
    ``gc.get_referrers``, an audit event, once per watch set on such a frame)."""
    if not code.co_flags & _SUSPENDABLE:
        return None
    owner = getattr(frame, "f_generator", None)
    if owner is None:
        for referrer in gc.get_referrers(frame):
            if (
                type(referrer) in (GeneratorType, CoroutineType, AsyncGeneratorType)
                and _running_frame(referrer) is frame
            ):
                owner = referrer
                break
    return ref(owner) if owner is not None else _gone


class Target(Record):
    """What one dataId names. ``kind`` local: ``name`` in ``frame``; global: ``name`` in ``namespace`` (a
    module's dict, ``file_key`` its file when it has one); attribute: ``name`` of ``owner``, stored in
    ``namespace`` (its instance dict, or a class's own dict) or in the ``slot`` member descriptor."""

    __slots__ = ("kind", "name", "label", "frame", "namespace", "file_key", "owner", "slot", "codes", "generator")

    def __init__(
        self,
        kind: Literal["local", "global", "attribute"],
        name: str,
        label: str,
        *,
        frame: FrameType | None = None,
        namespace: Mapping[str, Any] | None = None,
        file_key: str | None = None,
        owner: Any = None,
        slot: MemberDescriptorType | None = None,
        codes: tuple[CodeType, ...] = (),
    ) -> None:
        self.kind = kind
        self.name = name
        self.label = label
        self.frame = frame
        self.namespace = namespace
        self.file_key = file_key
        self.owner = owner
        self.slot = slot
        # local: the code objects that can change it (the frame's, and nested ones using it as a cell)
        self.codes = codes
        # local of a generator's or coroutine's frame: the weak reference to it (frame_owner). Its frame
        # object is never read once it is gone: on 3.13.0-3.13.4 the frame object of a generator that
        # died unfinished still points into the freed generator (cpython#125723: reading its ``f_locals``
        # reads freed memory, and the program crashes). A weak reference, not ``gi_frame`` (an audit event)
        self.generator: Callable[[], Any] | None = None
        if kind == "local" and frame is not None and codes:
            self.generator = frame_owner(frame, codes[0])

    def read(self) -> Any:
        """The value now (MISSING when unbound, GONE when its generator is gone): dict lookups and C
        getters only."""
        frame = self.frame
        if frame is not None:
            if self.generator is None:
                return frame.f_locals.get(self.name, MISSING)
            generator = self.generator()  # held while its frame is read
            return GONE if generator is None else frame.f_locals.get(self.name, MISSING)
        if self.slot is not None:
            try:
                return self.slot.__get__(self.owner, type(self.owner))
            except AttributeError:
                return MISSING
        assert self.namespace is not None
        return self.namespace.get(self.name, MISSING)

    def may_change(self, code: CodeType, file_key: str) -> bool:
        """Whether a LINE/PY_RETURN probe on ``code`` (of the file ``file_key``) is needed."""
        if self.kind == "local":
            return any(code is own for own in self.codes)
        if self.name not in code.co_names:
            return False
        return self.kind == "attribute" or self.file_key is None or self.file_key == file_key


class DataWatch(Record):
    """One data breakpoint set (setDataBreakpoints): its target, the value last seen, and the
    ``Breakpoint`` whose condition, hit condition and id it uses (line 0: it binds to no line)."""

    __slots__ = ("data_id", "target", "breakpoint", "last", "spec_key", "ended")

    def __init__(
        self,
        data_id: str,
        target: Target,
        breakpoint: Breakpoint,
        last: Any = MISSING,
        spec_key: tuple[Any, Any] = (None, None),
    ) -> None:
        self.data_id = data_id
        self.target = target
        self.breakpoint = breakpoint
        self.last = last
        # the specs' condition and hitCondition, to keep the watch (and its hit count) when re-sent as is
        self.spec_key = spec_key
        self.ended = False


class Change(Value):
    """A watched value that changed, and what the hit decided (stop, or a condition's error)."""

    __slots__ = ("watch", "old", "new", "outcome")

    def __init__(self, watch: DataWatch, old: Any, new: Any, outcome: HitOutcome = NO_STOP) -> None:
        self.watch = watch
        self.old = old
        self.new = new
        self.outcome = outcome

    def description(self) -> str:
        return f"{self.watch.target.label} changed from {shown(self.old)} to {shown(self.new)}"


class DataWatches:
    """The data breakpoints of the session. Callers hold the engine's lock, except for ``changes``,
    which runs in the callbacks on the tuples of watches a code object holds (``CodeState.data_watches``)."""

    def __init__(
        self,
        registry: CodeRegistry,
        new_id: Callable[[], int],
        arm: Callable[[CodeState, CodeType], None],
        send_event: Callable[[str, dict[str, Any]], None],
    ) -> None:
        self._registry = registry
        self._new_id = new_id
        self._arm = arm
        self._send_event = send_event
        self._targets: dict[str, Target] = {}
        self._count = 0
        self.watches: list[DataWatch] = []

    # -- requests ---------------------------------------------------------------------------------

    def add_target(self, target: Target) -> str:
        """A dataId for ``target`` (dataBreakpointInfo); a watch made from it sees values from then on."""
        self._count += 1
        data_id = f"{self._count}:{target.kind}:{target.name}"
        self._targets[data_id] = target
        if len(self._targets) > MAX_TARGETS:
            used = {watch.data_id for watch in self.watches}
            for old in [old for old in self._targets if old not in used][: len(self._targets) - MAX_TARGETS]:
                del self._targets[old]
        return data_id

    def set(self, specs: list[Any]) -> list[dict[str, Any]]:
        """Replace the data breakpoints (setDataBreakpoints); one DAP Breakpoint per spec. A spec sent
        again as it was keeps its watch (the value last seen and the hit count)."""
        kept = {watch.data_id: watch for watch in self.watches}
        watches: list[DataWatch] = []
        answers: list[dict[str, Any]] = []
        for spec in specs:
            watch, refusal = self._watch_for(spec if isinstance(spec, dict) else {}, kept)
            if watch is None:
                answers.append({"id": self._new_id(), "verified": False, "message": refusal})
                continue
            watches.append(watch)
            answers.append(self._dap(watch))
        self.watches = watches
        self._arm_all()
        return answers

    def _watch_for(self, spec: dict[str, Any], kept: dict[str, DataWatch]) -> tuple[DataWatch | None, str]:
        data_id = spec.get("dataId")
        access = spec.get("accessType", "write")
        if access != "write":
            return None, f"accessType {access!r} is not supported: a watch sees writes only ('write')"
        target = self._targets.get(data_id) if isinstance(data_id, str) else None
        if target is None or not isinstance(data_id, str):
            return None, f"unknown dataId {data_id!r}: ask dataBreakpointInfo for one while the program is paused"
        if target.kind == "local" and (target.frame is None or target.read() is GONE):
            return None, f"{target.label} is gone: its frame ended"
        spec_key = (spec.get("condition"), spec.get("hitCondition"))
        old = kept.get(data_id)
        if old is not None and old.spec_key == spec_key:
            return old, ""
        breakpoint_ = Breakpoint.from_request(self._new_id(), {**spec, "line": 1})
        if not breakpoint_.usable:
            return None, breakpoint_.message or "not valid"
        breakpoint_.verified = True
        watch = DataWatch(data_id, target, breakpoint_, target.read(), spec_key)
        return watch, ""

    def _dap(self, watch: DataWatch) -> dict[str, Any]:
        body: dict[str, Any] = {"id": watch.breakpoint.id, "verified": watch.breakpoint.verified}
        body["description" if watch.breakpoint.verified else "message"] = (
            watch.target.label if watch.breakpoint.verified else watch.breakpoint.message
        )
        return body

    def clear(self) -> None:
        self.watches = []
        self._targets.clear()

    # -- probes -----------------------------------------------------------------------------------

    def _arm_all(self) -> None:
        """Give every live code object the watches that can change on it (and the aux id's events)."""
        # no watch left: only registered code can carry one, and the code only noted stays so
        found = self._registry.live() if self.watches else self._registry.registered()
        for state, code in found:
            wanted = self._wanted(code, state.file_key)
            if wanted != state.data_watches:
                state.data_watches = wanted
                self._arm(state, code)

    def _wanted(self, code: CodeType, file_key: str) -> tuple[DataWatch, ...]:
        return tuple(watch for watch in self.watches if not watch.ended and watch.target.may_change(code, file_key))

    def code_added(self, added: list[tuple[CodeState, CodeType]]) -> None:
        """New code (first PY_START): a global or attribute watch probes it too when it can change the value."""
        if not self.watches:
            return
        for state, code in added:
            wanted = self._wanted(code, state.file_key)
            if wanted:
                state.data_watches = wanted
                self._arm(state, code)

    def frames_watched(self) -> bool:
        """A local variable is watched: its frame's end (a return, or an exception unwinding it) ends it."""
        return any(watch.target.frame is not None and not watch.ended for watch in self.watches)

    # -- hits -------------------------------------------------------------------------------------

    @staticmethod
    def changes(watches: tuple[DataWatch, ...]) -> list[Change] | None:
        """The watched values that changed since last seen (None: none did). Runs in the LINE and
        PY_RETURN callbacks of watched code, so it needs no frame: a dict lookup (a local: the watched
        frame's locals) and an identity test per watch while nothing changes."""
        found: list[Change] | None = None
        for watch in watches:
            target = watch.target
            namespace = target.namespace
            if namespace is None or target.frame is not None or target.slot is not None:
                new = target.read()
            else:
                new = namespace.get(target.name, MISSING)
            old = watch.last
            if new is old or new is GONE or same(old, new):
                continue
            watch.last = new
            found = [*(found or ()), Change(watch, old, new)]
        return found

    @staticmethod
    def decide(changes: list[Change], frame: FrameType) -> list[Change]:
        """The changes whose condition and hit condition, evaluated in ``frame`` (the one that ran the
        changing line), stop or report an error."""
        decided = [Change(c.watch, c.old, c.new, evaluate_hit(c.watch.breakpoint, frame)) for c in changes]
        return [change for change in decided if change.outcome.stop or change.outcome.error is not None]

    def refresh(self) -> None:
        """The program resumes: what the user changed while it was paused (setVariable, evaluate) is
        the new value seen, not a change the program made."""
        for watch in self.watches:
            if not watch.ended:
                watch.last = watch.target.read()

    def frame_ended(self, frame: FrameType) -> bool:
        """``frame`` returned or was unwound: the watches on its locals end, unverified with a message
        (a ``breakpoint`` event ``changed``), and their probes go. Whether one ended."""
        ended = False
        for watch in self.watches:
            if watch.target.frame is frame and not watch.ended:
                watch.ended = True
                watch.breakpoint.verified = False
                watch.breakpoint.message = f"{watch.target.label} is gone: its frame ended (the watch ended with it)"
                watch.target.frame = None  # the frame and its locals are not kept alive by us
                watch.target.namespace = {}
                self._send_event("breakpoint", {"reason": "changed", "breakpoint": self._dap(watch)})
                ended = True
        if ended:
            self._arm_all()
        return ended

"""The code registry: every code object that ran, weakly held, with what the engine armed on it."""

from __future__ import annotations

import functools
import sys
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import CodeType
from typing import TYPE_CHECKING

from . import codes
from .breakpoints import LineProbe

if TYPE_CHECKING:
    from .data_watches import DataWatch
from .codes import code_key
from .sources import Sources, is_synthetic, path_key

E = sys.monitoring.events


def file_key(filename: str) -> str:
    """The comparison key of a code object's file: the name itself for ``<string>``-like names."""
    return filename if is_synthetic(filename) else path_key(filename)


@dataclass(eq=False, slots=True)
class CodeState:
    """What the engine knows about one code object it has seen.

    Held in ``CodeRegistry.codes`` keyed by ``code_key(code)``. The code itself is held by a weak
    reference whose callback drops the entry: a strong reference would keep every ``exec``'d string's
    code alive forever, and the callback runs before the key can be reused, so a key never names the
    wrong code.
    """

    ref: weakref.ref[CodeType]
    # the file_key of the code's file: the key of its breakpoints in BreakpointTable
    file_key: str
    lines: frozenset[int] | None = None
    # maps each line armed for DEBUGGER_ID's LINE -> the probes of the breakpoints bound there (empty
    # for a line armed only for a function breakpoint's entry): a hit finds them in one lookup
    probes: dict[int, tuple[LineProbe, ...]] = field(default_factory=dict)
    # offsets where an armed line restarts inside its own multi-line statement
    # (docs/sys-monitoring/multiline_statement.py)
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
    # data breakpoints whose value this code can change: the aux id's local LINE and PY_RETURN compare it
    data_watches: tuple[DataWatch, ...] = ()

    def wanted_events(self) -> int:
        """The DEBUGGER_ID local events this code needs now."""
        events = E.LINE if self.probes or self.line_watchers else 0
        events |= E.CALL if self.call_watchers else 0
        return events | (E.PY_RETURN if self.return_watchers else 0)

    def line_starts(self, code: CodeType) -> frozenset[int]:
        if self.lines is None:
            self.lines = codes.line_starts(code)
        return self.lines


class CodeRegistry:
    """Every code object seen (first sight through the engine's PY_START, or found at start-up), by
    identity, and by file. Our own code is never registered: no state, no probe, no stop.

    Needs no sys.monitoring: a test registers code objects it compiled itself.
    """

    def __init__(self, sources: Sources) -> None:
        self._sources = sources
        # maps code_key(code) -> CodeState for every code object seen (weakly held, see CodeState);
        # read in every callback, never replaced (the engine holds it too)
        self.codes: dict[int, CodeState] = {}
        # maps file key -> code_key of the code objects of that file
        self._by_file: dict[str, set[int]] = {}

    def register_tree(self, root: CodeType) -> list[tuple[CodeState, CodeType]]:
        """Index ``root`` and its nested code; returns the entries new to the registry. The caller
        holds the engine's lock.

        Runs once per new code object tree (first sight), so it is kept lean: a known code object's
        subtree is skipped whole (trees are always registered whole).
        """
        known = self.codes
        added: list[tuple[CodeState, CodeType]] = []
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
            state = CodeState(weakref.ref(code, functools.partial(self._forget, code_id, key)), key)
            known[code_id] = state
            self._by_file.setdefault(key, set()).add(code_id)
            if self._sources.is_compiled_name(filename):
                self._sources.bind_nested(code, parent)
            added.append((state, code))
            for const in code.co_consts:
                if type(const) is CodeType:
                    stack.append((const, code))
        return added

    def _forget(self, code_id: int, key: str, _ref: object) -> None:
        """Weakref callback of a dead code object. Runs at any moment on any thread: no lock taken."""
        self.codes.pop(code_id, None)
        ids = self._by_file.get(key)
        if ids is not None:
            ids.discard(code_id)

    def state(self, code: CodeType) -> CodeState | None:
        return self.codes.get(code_key(code))

    def of_file(self, key: str) -> list[tuple[CodeState, CodeType]]:
        """The live code objects of one file (by file_key), with their states."""
        result = []
        for code_id in list(self._by_file.get(key, ())):
            state = self.codes.get(code_id)
            code = state.ref() if state is not None else None
            if state is not None and code is not None:
                result.append((state, code))
        return result

    def file_code(self, code: CodeType) -> list[CodeType]:
        """The known code objects of the file ``code`` belongs to (goto names the function of a line)."""
        state = self.state(code)
        return [other for _state, other in self.of_file(state.file_key)] if state is not None else []

    def live(self) -> Iterable[tuple[CodeState, CodeType]]:
        """Every registered code object still alive, with its state."""
        for state in list(self.codes.values()):
            code = state.ref()
            if code is not None:
                yield state, code

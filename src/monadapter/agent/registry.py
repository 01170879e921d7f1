"""The code registry: every code object that ran, weakly held, with what the engine armed on it."""

from __future__ import annotations

import sys
from _weakref import ref  # weakref's own type: the weakref module would add ~0.09 MB to every debuggee (benchmarks A2)
from collections.abc import Callable, Iterable
from itertools import chain
from operator import attrgetter, call
from types import CodeType

from . import codes
from .codes import code_key, path_key
from .sources import Sources, is_synthetic

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from .breakpoints import LineProbe
    from .data_watches import DataWatch

E = sys.monitoring.events


def file_key(filename: str) -> str:
    """The comparison key of a code object's file: the name itself for ``<string>``-like names."""
    return filename if is_synthetic(filename) else path_key(filename)


#: How many references a file's noted code may hold before note first drops those whose code died.
_PRUNE_FLOOR = 64
_consts = attrgetter("co_consts")
#: set on the code of functions (and lambdas, generators...), not on module or class bodies
CO_OPTIMIZED = 0x1

#: The probes of a code object with none: shared, never mutated (a state's probes are replaced whole).
NO_PROBES: dict[int, tuple[LineProbe, ...]] = {}
#: The skipped offsets of a code object with none, shared: ``frozenset()`` makes a new 216-byte set
#: each call (no empty singleton since 3.10), which was 40 % of a registry entry (benchmarks A2).
NO_OFFSETS: frozenset[int] = frozenset()


class CodeState(ref):  # type: ignore[type-arg]
    """What the engine knows about one code object it has seen: a weak reference to the code
    (``state()`` is the code, or None once it died) carrying the engine's facts about it.

    Held in ``CodeRegistry.codes`` keyed by ``code_key(code)``. The reference is weak and its
    callback drops the entry: a strong one would keep every ``exec``'d string's code alive forever,
    and the callback runs before the key can be reused, so a key never names the wrong code. One
    object per code object, the reference itself, with no ``functools.partial`` for the callback
    and no dict of its own (benchmarks A2 and X1: every code object of the process has one).
    """

    __slots__ = (
        "code_id",
        "file_key",
        "lines",
        "probes",
        "skip",
        "start_probe",
        "entry",
        "entry_point",
        "line_watchers",
        "return_watchers",
        "call_watchers",
        "data_watches",
    )
    # the code's key in CodeRegistry.codes (code_key), for the callback that drops it
    code_id: int
    # the file_key of the code's file: the key of its breakpoints in BreakpointTable
    file_key: str
    lines: frozenset[int] | None
    # maps each line armed for DEBUGGER_ID's LINE -> the probes of the breakpoints bound there (empty
    # for a line armed only for a function breakpoint's entry): a hit finds them in one lookup
    probes: dict[int, tuple[LineProbe, ...]]
    # offsets where an armed line restarts inside its own multi-line statement
    # (docs/sys-monitoring/multiline_statement.py)
    skip: frozenset[int]
    # local PY_START set on the aux id for cpython#155992
    start_probe: bool
    # probes of the function breakpoints on entry to this code, and the (offset, line) of its first LINE
    entry: tuple[LineProbe, ...]
    entry_point: tuple[int, int] | None
    # step plans that need every LINE of this code (over) or its PY_RETURN (over, out)
    line_watchers: int
    return_watchers: int
    # step plans aimed at one call of this code (stepIn with a targetId) need its CALL events
    call_watchers: int
    # data breakpoints whose value this code can change: the aux id's local LINE and PY_RETURN compare it
    data_watches: tuple[DataWatch, ...]

    @classmethod
    def new(
        cls, code: CodeType, file_key: str, code_id: int = 0, forget: Callable[[CodeState], None] | None = None
    ) -> CodeState:
        """The state of ``code`` (of the file ``file_key``), nothing armed; ``forget`` is called with it
        once the code died. Weakref's own constructor and plain slot stores: a Python ``__init__``
        (with ``super()``) made a code object's registration several times dearer (X1)."""
        state = cls(code, forget)
        state.code_id = code_id
        state.file_key = file_key
        state.lines = None
        state.probes = NO_PROBES
        state.skip = NO_OFFSETS
        state.start_probe = False
        state.entry = ()
        state.entry_point = None
        state.line_watchers = state.return_watchers = state.call_watchers = 0
        state.data_watches = ()
        return state

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
    identity, and by file: registered (a CodeState) where something may arm it, else only noted (a
    weak reference by file, registered when its file's code or all code is asked for). Our own code
    is never registered: no state, no probe, no stop.

    Needs no sys.monitoring: a test registers code objects it compiled itself.
    """

    def __init__(self, sources: Sources) -> None:
        self._sources = sources
        # maps code_key(code) -> CodeState for every code object seen (weakly held, see CodeState);
        # read in every callback, never replaced (the engine holds it too)
        self.codes: dict[int, CodeState] = {}
        # maps file key -> code_key of the code objects of that file
        self._by_file: dict[str, set[int]] = {}
        # every state's weakref callback: one bound method for all of them
        self._forget_dead = self._forget
        # maps file key -> weak references to code that has no state yet: code that existed when the
        # session started (add_existing) and code first run in a file nothing armed (note)
        self._dormant: dict[str, list[ref[CodeType]]] = {}
        # maps file key -> the length past which note drops the file's references whose code died
        self._prune_at: dict[str, int] = {}
        # maps a code object's file name -> its file_key, for the files note was asked about
        self._keys: dict[str, str] = {}
        # the files code existed in when the session started, until that code is noted (add_existing),
        # and what finds it again
        self._existing_files: set[str] = set()
        self._find_existing: Callable[[], Iterable[CodeType]] | None = None

    def add_existing(self, find: Callable[[], Iterable[CodeType]]) -> None:
        """Take note of the code that exists when the session starts (``find``: ``codes.existing_code``,
        a walk of gc and the thread stacks), nearly all of it the standard library's, which mostly
        never runs and is never asked for. Only the files it is in are kept now; the code is found
        again and noted, by file, each as a plain weak reference (~85 bytes), when one of those files'
        code (``of_file``) or all code (``live``) is first asked for: a reference per code object
        from the start was ~0.1 MB of a plain program's debuggee (~1,200 code objects, 3.13,
        benchmarks A2). Its states are made when it first runs (first sight, as any code) or when its
        file is asked for. The caller holds the engine's lock."""
        self._find_existing = find
        self._existing_files = {key for key, _code in self._by_files(find(), None)}

    def _note_existing(self) -> None:
        """Note the code of the files add_existing found code in, found again now (their code that
        died since is gone; code of other files has been noted or registered at its first sight)."""
        find, files = self._find_existing, self._existing_files
        self._find_existing, self._existing_files = None, set()
        if find is None:
            return
        for key, code in self._by_files(find(), files):
            refs = self._dormant.get(key)
            if refs is None:
                refs = self._dormant[key] = []
            # a code object met again (the functions of one closure share it) adds the same
            # reference: python keeps one callback-less weak reference per object
            refs.append(ref(code))

    @staticmethod
    def _by_files(code_objects: Iterable[CodeType], files: set[str] | None) -> Iterable[tuple[str, CodeType]]:
        """(file key, code) of each code object not ours, of one of ``files`` (None: any)."""
        keys: dict[str, str] = {}
        for code in code_objects:
            filename = code.co_filename
            key = keys.get(filename)
            if key is None:
                key = keys[filename] = "" if codes.is_own_file(filename) else file_key(filename)
            if key and (files is None or key in files):
                yield key, code

    def key_of(self, filename: str) -> str:
        """The file_key of a code object's file name, "" for our own files (``codes.is_own_file``
        resolves the same path), remembered per file on disk: it resolves the path (realpath: a system
        call per directory), once most of a module's first-sight cost. Safe without the engine's lock."""
        key = self._keys.get(filename)
        if key is None:
            key = file_key(filename)
            if key.startswith(codes.OWN_DIR):
                key = ""
            if not is_synthetic(filename):
                self._keys[filename] = key
        return key

    def note(self, code: CodeType, key: str) -> None:
        """Note ``code`` of the file ``key`` on first sight, as ``add_existing`` notes the code that
        exists at start: a weak reference, its state made only when that file's code or all code is
        asked for (a breakpoint set there later, a function or data breakpoint). A file nothing is armed
        in (most of what a program imports) costs no state per code object (benchmarks S9: ~10k code
        objects on the way to the first stop). ``<module>`` code dies once it ran (the import drops
        it), and so do its class bodies: the code they hold is noted now, while it can be reached; a
        function's code lives on with the function and holds its own nested code (``_wake`` walks it),
        and nested code that never ran and can no longer be reached notes itself when it first runs
        (PY_START). The caller holds the engine's lock."""
        refs = self._dormant.get(key)
        if refs is None:
            refs = self._dormant[key] = []
        refs.append(ref(code))
        if code.co_name == "<module>":
            level = [code]
            while level:
                found = [const for const in chain.from_iterable(map(_consts, level)) if type(const) is CodeType]
                refs.extend(map(ref, found))
                # a class body dies once run, as the module's code: its methods are noted now; a function's
                # own code lives on with it and holds its nested code (_wake walks it)
                level = [nested for nested in found if not nested.co_flags & CO_OPTIMIZED]
        if len(refs) > self._prune_at.get(key, _PRUNE_FLOOR):
            # the code of a reloaded module, or run under a file's name again, dies: drop it (a reference
            # calls in C; a code object is true). Each code object is noted at most twice (its module's
            # walk, its own first PY_START), so the list stays within twice the live code plus the floor
            refs[:] = filter(call, refs)
            self._prune_at[key] = 2 * len(refs) + _PRUNE_FLOOR

    def _wake(self, key: str | None = None) -> None:
        """Register the code noted (add_existing, note) of the file ``key`` (None: of every file)."""
        if self._find_existing is not None and (key is None or key in self._existing_files):
            self._note_existing()
        if not self._dormant:
            return
        if key is None:
            found = [ref for refs in self._dormant.values() for ref in refs]
            self._dormant.clear()
            self._prune_at.clear()
        else:
            found = self._dormant.pop(key, [])
            self._prune_at.pop(key, None)
        for reference in found:
            code = reference()
            if code is not None:
                self.register_tree(code)

    def register_tree(self, root: CodeType) -> list[tuple[CodeState, CodeType]]:
        """Index ``root`` and its nested code; returns the entries new to the registry. The caller
        holds the engine's lock.

        Runs once per new code object tree (first sight), so it is kept lean: a known code object's
        subtree is skipped whole (trees are always registered whole).
        """
        known = self.codes
        added: list[tuple[CodeState, CodeType]] = []
        stack: list[tuple[CodeType, CodeType | None]] = [(root, None)]
        # the file of the last code seen: a tree's code shares one file, and file_key resolves the
        # path (realpath: system calls), once most of the cost of a code object here (X1)
        last_name: str | None = None
        key, ids, compiled = "", set[int](), False
        while stack:
            code, parent = stack.pop()
            code_id = code_key(code)
            if code_id in known:
                continue
            filename = code.co_filename
            if filename is not last_name:
                if codes.is_own_file(filename):
                    continue
                last_name, key = filename, file_key(filename)
                ids = self._by_file.get(key) or self._by_file.setdefault(key, set())
                compiled = self._sources.is_compiled_name(filename)
            state = CodeState.new(code, key, code_id, self._forget_dead)
            known[code_id] = state
            ids.add(code_id)
            if compiled:
                self._sources.bind_nested(code, parent)
            added.append((state, code))
            for const in code.co_consts:
                if type(const) is CodeType:
                    stack.append((const, code))
        return added

    def _forget(self, state: CodeState) -> None:
        """Weakref callback of a dead code object. Runs at any moment on any thread: no lock taken."""
        self.codes.pop(state.code_id, None)
        ids = self._by_file.get(state.file_key)
        if ids is not None:
            ids.discard(state.code_id)

    def state(self, code: CodeType) -> CodeState | None:
        return self.codes.get(code_key(code))

    def of_file(self, key: str) -> list[tuple[CodeState, CodeType]]:
        """The live code objects of one file (by file_key), with their states."""
        self._wake(key)
        return self.registered_of_file(key)

    def registered_of_file(self, key: str) -> list[tuple[CodeState, CodeType]]:
        """The registered live code objects of one file (by file_key), with their states: all of its
        code that can have been armed (its noted code stays so)."""
        result = []
        for code_id in list(self._by_file.get(key, ())):
            state = self.codes.get(code_id)
            code = state() if state is not None else None
            if state is not None and code is not None:
                result.append((state, code))
        return result

    def file_code(self, code: CodeType) -> list[CodeType]:
        """The known code objects of the file ``code`` belongs to (goto names the function of a line)."""
        if codes.is_own_file(code.co_filename):
            return []
        state = self.state(code)
        key = state.file_key if state is not None else file_key(code.co_filename)
        return [other for _state, other in self.of_file(key)]

    def live(self) -> Iterable[tuple[CodeState, CodeType]]:
        """Every code object still alive, with its state (the code that existed at start registered
        first: see add_existing)."""
        self._wake()
        return self.registered()

    def registered(self) -> Iterable[tuple[CodeState, CodeType]]:
        """Every registered code object still alive, with its state: all that can have been armed."""
        for state in list(self.codes.values()):
            code = state()
            if code is not None:
                yield state, code

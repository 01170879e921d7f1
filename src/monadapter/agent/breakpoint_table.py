"""The breakpoint table: the client's source and function breakpoints, bound to lines, and the probes
they put on each code object."""

from __future__ import annotations

from collections.abc import Callable
from types import CodeType

from . import codes
from .records import Record
from .registry import CodeRegistry, CodeState, file_key
from .sources import Sources

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

    from .breakpoints import Breakpoint, FunctionBreakpoint, LineProbe
    from .sourcemap import SourceMap

#: How the table's probes reach sys.monitoring: ``arm(state, code, events_before, rearm)`` after
#: ``state.probes`` changed (wiring.Tools.apply_probes); a test passes a function that records the calls.
Arm = Callable[[CodeState, CodeType, int, bool], None]


class FileBreakpoints(Record):
    """The breakpoints of one file (or one run-time source) as last set by the client."""

    __slots__ = ("path", "breakpoints", "by_line", "source_map", "loaded", "source_object")

    def __init__(self, path: str, breakpoints: list[Breakpoint], *, source_object: str | bytes | None = None) -> None:
        self.path = path
        self.breakpoints = breakpoints
        # maps bound line -> breakpoints on it (only usable, located ones)
        self.by_line: dict[int, list[Breakpoint]] = {}
        self.source_map: SourceMap | None = None
        # whether code of this file has been seen; until then only a file on disk has verified breakpoints
        self.loaded = False
        # for breakpoints set by sourceReference: only code compiled from this exact text matches
        self.source_object = source_object


class BreakpointTable:
    """setBreakpoints and setFunctionBreakpoints: binds each breakpoint to a line of its file's text,
    verifies it once code of the file has run, and decides the LINE probes of every code object.

    Callers hold the engine's lock. Needs no sys.monitoring: ``arm`` is the only way out.
    """

    def __init__(
        self, registry: CodeRegistry, sources: Sources, send_event: Callable[[str, dict[str, Any]], None], arm: Arm
    ) -> None:
        self._registry = registry
        self._sources = sources
        self._send_event = send_event
        self._arm_code = arm
        # maps file key -> the client's breakpoints for it
        self.files: dict[str, FileBreakpoints] = {}
        # function breakpoints (setFunctionBreakpoints), matched against every code object seen
        self._functions: list[FunctionBreakpoint] = []
        self._next_id = 1

    # -- requests ---------------------------------------------------------------------------------

    def set_breakpoints(self, source: dict[str, Any], specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace the breakpoints of one source and return their DAP ``Breakpoint`` objects.

        The source is a path (on disk or a name code was compiled under, like ``/virtual/x.py``) or a
        ``sourceReference`` we handed out. Lines are relocated against the file's text. A breakpoint on a
        line with code of a file on disk is verified at once; one under a name only run-time code may
        use stays unverified until such code runs (then a ``breakpoint`` event).

        Raises:
            ValueError: neither a path nor a known sourceReference.
        """
        key, path, source_object = self._resolve_source(source)
        if not specs:
            # none (editors send an empty list for every open file at start): no text is read or
            # compiled, and the file's code stays only noted; code armed for the file's earlier
            # breakpoints is registered already and is disarmed (benchmarks A2 and S1)
            if self.files.pop(key, None) is not None:
                for state, code in self._registry.registered_of_file(key):
                    self._rearm(state, code)
            return []
        from .breakpoints import Breakpoint  # with the first breakpoint set: not at start (benchmarks A2)

        book = FileBreakpoints(path, [], source_object=source_object)
        for spec in specs:
            book.breakpoints.append(Breakpoint.from_request(self.new_id(), spec))
        book.loaded = bool(self._registry.of_file(key))
        self.files[key] = book
        self._locate(key, book)
        self._arm_file(key)
        source_dict = self._dap_source(book)
        return [breakpoint_.to_dap(source_dict) for breakpoint_ in book.breakpoints]

    def set_function_breakpoints(self, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace the function breakpoints; each stops on entry to every function of that name,
        already loaded or loaded later (a ``breakpoint`` event verifies it then)."""
        if specs:
            from .breakpoints import FunctionBreakpoint  # with the first function breakpoint (benchmarks A2)

            self._functions = [FunctionBreakpoint.from_request(self.new_id(), spec) for spec in specs]
        else:
            self._functions = []
        # none set (editors send an empty list at every start): only registered code can hold an entry
        # probe, and the code only noted (CodeRegistry.note) stays so
        found = self._registry.live() if self._functions else self._registry.registered()
        for state, code in found:
            had_entry = bool(state.entry)
            if self._match_functions(state, code) or had_entry:
                self._rearm(state, code)
        return [self._function_dap(function) for function in self._functions]

    def breakpoint_locations(self, source: dict[str, Any], line: int, end_line: int | None) -> list[dict[str, int]]:
        """Lines between ``line`` and ``end_line`` (inclusive; ``line`` alone when absent) where a
        breakpoint binds as is."""
        key, path, source_object = self._resolve_source(source)
        source_map, _failure = self._source_map(key, path, source_object, from_code=True)
        last = end_line if end_line is not None else line
        lines = source_map.lines if source_map is not None else ()
        return [{"line": valid} for valid in sorted(lines) if line <= valid <= last]

    def clear(self) -> None:
        """Forget every source and function breakpoint (the engine stops: none may outlive its session)."""
        self.files.clear()
        self._functions = []

    def all(self) -> list[Breakpoint]:
        """Every source and function breakpoint set now."""
        return [
            *(b for book in self.files.values() for b in book.breakpoints),
            *(f.breakpoint for f in self._functions),
        ]

    def new_id(self) -> int:
        """A breakpoint id not used before in this session (data breakpoints take theirs here too)."""
        self._next_id += 1
        return self._next_id - 1

    # -- new code ---------------------------------------------------------------------------------

    def wants(self, key: str) -> bool:
        """Whether code first seen in the file ``key`` needs its state now (code_added): the file has
        breakpoints, or function breakpoints may name it. Other code is only noted (CodeRegistry.note)."""
        return bool(self._functions) or key in self.files

    def code_added(self, added: list[tuple[CodeState, CodeType]]) -> None:
        """Code just registered (CodeRegistry.register_tree): arm its function breakpoints and its
        file's breakpoints, verifying those that waited for the file's first code."""
        new_files: set[str] = set()
        for state, code in added:
            new_files.add(state.file_key)
            if self._functions and self._match_functions(state, code) and state.file_key not in self.files:
                self._rearm(state, code)
        for key in new_files:
            book = self.files.get(key)
            if book is None:
                continue
            if not book.loaded:
                self._bind_pending(key, book)
            self._arm_file(key)

    # -- arming -----------------------------------------------------------------------------------

    def _arm_file(self, key: str) -> None:
        """Bring every known code object of one file in line with its breakpoints."""
        for state, code in self._registry.of_file(key):
            self._rearm(state, code)

    def _rearm(self, state: CodeState, code: CodeType) -> None:
        """Set the probes of one code object for its file's breakpoint lines and its function breakpoints.

        A line added needs the per-code re-arm (``arm`` with ``rearm`` True), which revives our DISABLEd
        lines of this code only, never another tool's (docs/sys-monitoring/rearm_per_code.py). A line
        removed needs nothing: it returns DISABLE the next time it fires.
        """
        book = self.files.get(state.file_key)
        if book is not None and book.source_object is not None:
            if self._sources.source_object(code) is not book.source_object:
                book = None  # same name, other text: not the source these breakpoints are in
        by_line = book.by_line if book is not None else {}
        starts = state.line_starts(code) if by_line else frozenset()
        probes = {line: _line_probes(breakpoints) for line, breakpoints in by_line.items() if line in starts}
        if state.entry and state.entry_point is not None:
            probes.setdefault(state.entry_point[1], ())
        previous = state.probes
        if probes.keys() == previous.keys():
            state.probes = probes  # same lines, maybe other breakpoints on them
            return
        source_map = book.source_map if book is not None else None
        skip: set[int] = set()
        for line in probes:
            head_end = source_map.heads.end(line) if source_map is not None else None
            if head_end is not None:
                skip |= codes.continuation_offsets(code, line, head_end)
        state.skip = frozenset(skip)
        before = state.wanted_events()
        state.probes = probes
        self._arm_code(state, code, before, bool(probes.keys() - previous.keys()))

    # -- function breakpoints ---------------------------------------------------------------------

    def _match_functions(self, state: CodeState, code: CodeType) -> bool:
        """Attach the function breakpoints naming ``code`` to its state (verifying them on first match).
        Returns whether any matched."""
        matching = tuple(function for function in self._functions if function.matches(code))
        state.entry = _line_probes([function.breakpoint for function in matching]) if matching else ()
        if not matching:
            return False
        state.entry_point = codes.entry_point(code)
        for function in matching:
            if not function.breakpoint.verified and state.entry_point is not None:
                function.breakpoint.verified = True
                function.breakpoint.message = None
                function.breakpoint.line = state.entry_point[1]
                function.source = self._sources.source_for(code)
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

    # -- binding to lines -------------------------------------------------------------------------

    def _resolve_source(self, source: dict[str, Any]) -> tuple[str, str, str | bytes | None]:
        """(file key, display path or name, source object for sourceReference breakpoints).

        Raises:
            ValueError: neither a path nor a known sourceReference.
        """
        reference = source.get("sourceReference")
        if isinstance(reference, int) and reference > 0:
            entry = self._sources.reference(reference)
            if entry is None:
                raise ValueError(f"unknown sourceReference {reference}")
            name, text = entry
            return file_key(name), name, text
        path = source.get("path")
        if not isinstance(path, str) or not path:
            raise ValueError("setBreakpoints needs source.path or source.sourceReference")
        path = self._sources.program_path(path)  # pathMappings: the program's name for the client's file
        return file_key(path), path, None

    def _dap_source(self, book: FileBreakpoints) -> dict[str, Any]:
        if book.source_object is not None:
            return {"name": book.path, "sourceReference": self._sources.reference_of(book.path, book.source_object)}
        shown = self._sources.client_path(book.path)
        return {"name": shown.replace("\\", "/").rsplit("/", 1)[-1], "path": shown}

    def _source_map(
        self, key: str, path: str, source_object: str | bytes | None, *, from_code: bool
    ) -> tuple[SourceMap | None, str | None]:
        """The lines of a file from the best text we have (disk, run-time capture, linecache), else
        (``from_code``) from its loaded code; with the reason when the text does not compile."""
        from .sourcemap import SourceMap  # at the first breakpoint set: not loaded into every debuggee (A2)

        text = self._sources.decode(source_object) if source_object is not None else self._sources.text_of_file(path)
        source_map: SourceMap | None = None
        failure: str | None = None
        if text is not None:
            try:
                on_disk = source_object is None and self._sources.is_file_on_disk(path)
                source_map = SourceMap.from_text(text, path, on_disk=on_disk)
            except (SyntaxError, ValueError) as exc:
                failure = f"{path} does not compile ({exc}); breakpoints bind to the lines of its loaded code"
        if source_map is None and from_code:
            source_map = SourceMap.from_code([code for _state, code in self._registry.of_file(key)])
        return source_map, failure

    def _locate(self, key: str, book: FileBreakpoints) -> None:
        """Relocate and verify the breakpoints of ``book`` against the lines of its file."""
        source_map, failure = self._source_map(key, book.path, book.source_object, from_code=book.loaded)
        on_disk = failure is None and book.source_object is None and self._sources.is_file_on_disk(book.path)
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


def _line_probes(breakpoints: list[Breakpoint]) -> tuple[LineProbe, ...]:
    """A probe for each breakpoint. agent/breakpoints.py is loaded by the request that set them
    (set_breakpoints, set_function_breakpoints): here it is a look-up in our table, no import lock,
    also inside a callback (``code_added``)."""
    from .breakpoints import LineProbe

    return tuple(map(LineProbe, breakpoints))

"""SourceMap: the lines of a file's text where a breakpoint can bind, and where a statement's head ends.

Both come from the text (the file may have changed since its code loaded), and neither may cost a
parse of the whole file at every ``setBreakpoints``: a 100k-line module took ~1 s of ``ast.parse``
and of ``compile`` of that tree (benchmarks X4), a 1,000-function module ~20 ms (X1).

* The lines are the line starts of the code objects ``compile`` makes of the text, with no syntax
  tree kept; the compile is also what tells whether the text compiles at all (verification). For a
  file whose bytecode cache is the one ``import`` would load, the cache's code is read instead.
* A statement head that spans several lines (``x = f(\\n 1)``, ``while a and\\n b:``) matters only
  on a line that gets a probe or where a step starts. It is found then, for that line: by parsing the
  text of the ``def`` or ``class`` statement that holds the line, cut out of the file; the whole file
  is parsed (once) only for a line outside every function and class.
"""

from __future__ import annotations

import functools
import os
from _thread import allocate_lock, get_ident
from collections.abc import Callable, Iterator
from types import CodeType

from . import PausedImportError, codes

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    import ast
    import warnings

#: How many defs or classes one text's heads are found in, each parsed alone, before the whole text is.
_PIECES = 32


class SourceMap:
    """What a breakpoint needs to know about one file's text.

    ``lines`` holds every line where some code object of the file starts a line (the lines a LINE
    event can fire on); ``line_count`` the number of lines of the text; ``heads`` where the head of
    a statement that spans several lines ends (:class:`StatementHeads`).
    """

    __slots__ = ("lines", "heads", "_text", "_line_count")

    def __init__(self, lines: frozenset[int], heads: StatementHeads, text: str | None, line_count: int = 0) -> None:
        """``line_count`` counts when there is no ``text`` (lines from loaded code)."""
        self.lines = lines
        self.heads = heads
        self._text = text
        self._line_count = line_count

    @property
    def line_count(self) -> int:
        """Counted when first asked: only a breakpoint past the last line with code needs it (a
        100k-line text takes ~3 ms to split)."""
        if self._text is not None:
            self._line_count, self._text = len(self._text.splitlines()), None
        return self._line_count

    @classmethod
    def from_text(cls, text: str, filename: str, *, on_disk: bool = False) -> SourceMap:
        """Compile ``text`` (never run it) and collect the line starts of all nested code objects.

        ``on_disk``: the text was just read from the file ``filename``; the code in its bytecode
        cache stands in for the compile when the import system would load it (:func:`_cached_code`).
        The same text is mapped once (:func:`_map_text`): a file's breakpoints are located when they
        are set and again when its code loads, and stepping reads its statement heads.

        Raises:
            SyntaxError, ValueError: the text does not compile.
        """
        return _map_text(text, filename, on_disk)

    @classmethod
    def from_code(cls, roots: list[CodeType]) -> SourceMap:
        """The fallback when no text is available: valid lines from the loaded code objects only (and
        no statement heads)."""
        lines: set[int] = set()
        for root in roots:
            for code in codes.walk(root):
                lines |= codes.line_starts(code)
        return cls(frozenset(lines), StatementHeads(None, []), None, max(lines, default=0))

    def relocate(self, line: int) -> int | None:
        """The line a breakpoint requested on ``line`` really binds to: the line itself if code starts
        there, else the next line that has code (a blank line, a comment, the inside of a multi-line
        statement). None when no code follows."""
        if line in self.lines:
            return line
        later = [candidate for candidate in self.lines if candidate > line]
        return min(later) if later else None


class StatementHeads:
    """Where the head of a statement that spans several lines ends, in one text, found line by line
    as needed (docs/sys-monitoring/multiline_statement.py shows why we need it). Apart from the
    lines so that stepping keeps only this of a file it steps in."""

    __slots__ = ("_text", "_scopes", "_parsed")

    def __init__(self, text: str | None, scopes: list[int]) -> None:
        """``scopes``: the first lines of the text's defs and classes (a decorator's or the keyword's),
        in order; no text, no heads."""
        self._text = text
        self._scopes = scopes
        # (first line, last line, heads) of each piece of the text parsed so far (the whole text: 1, inf)
        self._parsed: list[tuple[int, float, dict[int, int]]] = []

    def end(self, line: int) -> int | None:
        """The last line of the head of the statement(s) starting on ``line`` when that head spans
        several lines (``x = f(\\n 1)`` on line 1: 2; a compound statement's head stops where its
        body starts), else None: what :func:`statement_heads` of the whole text says."""
        for first, last, heads in self._parsed:
            if first <= line <= last:
                return heads.get(line)
        if self._text is None:
            return None
        try:
            self._parsed.append(self._parse_around(self._text, line))
        except PausedImportError:  # a thread we hold paused (or this one) is importing ast or bisect:
            return None  # unknown until it goes on (a step's or a probe's callback must not wait for it)
        return self._parsed[-1][2].get(line)

    def _parse_around(self, text: str, line: int) -> tuple[int, float, dict[int, int]]:
        """Parse the innermost def or class statement that holds ``line``, or the whole text when none
        does, a piece cannot be cut out cleanly, or enough pieces were parsed already (each cut
        splits the whole text into lines: a thousand breakpoints in as many functions of a 100k-line
        file would cost more than one parse of it): (its first line, its last line, its heads)."""
        import ast  # only when a probe or a step needs a head (benchmarks A2)
        import bisect

        if len(self._parsed) >= _PIECES:
            return 1, float("inf"), statement_heads(quietly(ast.parse, text).body)
        text_lines: list[str] = []
        outer_than = float("inf")  # a def that ends before ``line`` lies inside any def that holds it
        for first in reversed(self._scopes[: bisect.bisect_right(self._scopes, line)]):
            if not text_lines:
                text_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            indent = _scope_indent(text_lines[first - 1])
            if indent is None or indent >= outer_than:
                continue
            parsed = _parse_statement(text_lines, first, indent)
            if parsed is None:
                break
            node, offset = parsed
            last = (node.end_lineno or node.lineno) + offset
            if line <= last:
                return first, last, statement_heads([node], offset)
            if indent == 0:
                break
            outer_than = indent
        return 1, float("inf"), statement_heads(quietly(ast.parse, text).body)


@functools.lru_cache(maxsize=8)
def _map_text(text: str, filename: str, on_disk: bool) -> SourceMap:
    top = _cached_code(filename) if on_disk else None
    if top is None:
        top = quietly(compile, text, filename, "exec", dont_inherit=True)
    lines: set[int] = set()
    scopes: set[int] = set()
    for code in codes.walk(top):
        lines |= codes.line_starts(code)
        if not code.co_name.startswith("<"):  # not the module, a lambda, a genexpr...: maybe a def or class
            scopes.add(code.co_firstlineno)
    return SourceMap(frozenset(lines), StatementHeads(text, sorted(scopes)), text)


def _cached_code(filename: str) -> CodeType | None:
    """The code the import system would load for the file ``filename`` from its bytecode cache
    (``__pycache__``, or under ``sys.pycache_prefix``), checked as it checks it: this Python's magic
    number, and the file's modification time (whole seconds) and size as the cache recorded them.
    That is the code ``compile`` makes of the file's text, read instead of made: 0.2 ms instead of
    12 for a 1,000-function module (X1), 3 ms instead of 400 for a 100k-line one (X4). None when
    there is no such cache (``PYTHONDONTWRITEBYTECODE``, a file never imported), it is out of date,
    or it is hash-based (rare: compiling is always right).
    """
    import _frozen_importlib_external as bootstrap  # the import system's own (always loaded)
    import marshal

    try:
        with open(bootstrap.cache_from_source(filename), "rb") as handle:
            data = handle.read()
        stat = os.stat(filename)
        expected = (int(stat.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little") + (stat.st_size & 0xFFFFFFFF).to_bytes(
            4, "little"
        )
        if data[:4] != bootstrap.MAGIC_NUMBER or data[4:8] != bytes(4) or data[8:16] != expected:
            return None
        code = marshal.loads(memoryview(data)[16:])
    except Exception:  # no cache, unreadable, corrupt: compile instead
        return None
    return code if isinstance(code, CodeType) else None


def _scope_indent(text_line: str) -> int | None:
    """The indentation of a line that may start a def or class statement (its width as the tokenizer
    counts it, tabs to 8), None when the line cannot start one."""
    stripped = text_line.lstrip(" \t")
    if not stripped.startswith("@") and stripped.split(None, 1)[:1] not in (["def"], ["class"], ["async"]):
        return None
    return _width(text_line, stripped)


def _piece_end(text_lines: list[str], first: int, indent: int) -> int:
    """The last line of the def or class statement starting on line ``first`` at ``indent``, if the
    text is cut where it can: before the next line indented no deeper that is not blank, a comment,
    the closing bracket of a line before (no logical line starts with one: ``) -> int:`` under a
    def's parameters, one a line) nor, before the ``def`` or ``class`` line, a decorator."""
    decorated = text_lines[first - 1].lstrip(" \t").startswith("@")
    end = first
    while end < len(text_lines):
        stripped = text_lines[end].lstrip(" \t")
        if stripped and stripped[0] not in "#)]}" and _width(text_lines[end], stripped) <= indent:
            if not decorated:
                break
            decorated = stripped.startswith("@")  # the def or class line ends the decorators
        end += 1
    return end


def _width(text_line: str, stripped: str) -> int:
    return len(text_line[: len(text_line) - len(stripped)].expandtabs(8))


def _parse_statement(text_lines: list[str], first: int, indent: int) -> tuple[ast.stmt, int] | None:
    """Parse the def or class statement that starts on line ``first`` at ``indent``, cut out of the
    text (:func:`_piece_end`).

    The piece starts where a statement starts, so its tokens are the file's own; a cut inside a
    string, brackets or a continued line leaves it unparsable, and then (as when it is anything but
    one def or class starting on ``first``) it is refused: None. An indented piece is parsed as the
    body of an ``if 1:`` (it cannot stand alone). Returns the statement and what its line numbers
    are off by.
    """
    import ast

    end = _piece_end(text_lines, first, indent)
    piece = "\n".join(text_lines[first - 1 : end]) + "\n"
    offset = first - 1
    if indent:
        piece, offset = "if 1:\n" + piece, first - 2
    try:
        body = quietly(ast.parse, piece).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if indent:
        body = body[0].body if len(body) == 1 and isinstance(body[0], ast.If) else []
    node = body[0] if len(body) == 1 else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return None
    if min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)]) + offset != first:
        return None
    return node, offset


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement of ``body`` and of the bodies nested in it (not the expressions: ast.walk
    visits those too, three times as many nodes in ordinary code). A statement's ``body``,
    ``orelse`` and ``finalbody`` hold statements; its ``handlers`` and ``cases`` hold except
    handlers and match cases, whose ``body`` does."""
    for node in body:
        yield node
        for field in ("body", "orelse", "finalbody"):
            yield from _statements(getattr(node, field, []))
        for field in ("handlers", "cases"):
            for child in getattr(node, field, []):
                yield from _statements(child.body)


def statement_heads(body: list[ast.stmt], offset: int = 0) -> dict[int, int]:
    """Maps the first line of every statement of ``body`` (nested ones too) whose head spans several
    lines to its head's last line, every line number moved by ``offset``."""
    heads: dict[int, int] = {}
    for node in _statements(body):
        inner = getattr(node, "body", None)
        # a compound statement's head stops where its body starts
        end = inner[0].lineno - 1 if inner else (node.end_lineno or node.lineno)
        if end > node.lineno:
            heads[node.lineno + offset] = max(end + offset, heads.get(node.lineno + offset, 0))
    return heads


#: Threads compiling or parsing a program's text for us now (:func:`quietly`).
_QUIET: set[int] = set()
_hook_lock = allocate_lock()
_hooked = False


def quietly[T](parse: Callable[..., T], *args: object, **options: object) -> T:
    """``parse(*args, **options)``, our compile or ``ast.parse`` of the program's text, with the warnings
    it raises (``SyntaxWarning: invalid escape sequence``, ``"is" with a literal``) not shown: python
    shows them itself when it compiles that text, so ours would show each one twice, or once more
    than a plain run when the code loads from its bytecode cache (a program's stderr would differ
    under the debugger). Only this thread's warnings are held back, while it parses: no program code
    runs then, so each one is ours. Under ``-W error`` a warning is still an error, as for python."""
    _hook_warnings()
    ident = get_ident()
    _QUIET.add(ident)
    try:
        return parse(*args, **options)
    finally:
        _QUIET.discard(ident)


def _hook_warnings() -> None:
    """Pass what ``warnings`` shows through :func:`_shown` once: the one place a warning of the
    compiler or the parser goes that names no module to filter on (``warnings._showwarnmsg``, which
    the C warning code calls). ``warnings`` is imported for it when the program has not (3.13's
    ``threading`` imports it); when a thread we hold paused is importing it, not this time."""
    global _hooked
    with _hook_lock:
        if _hooked:
            return
        try:
            import warnings
        except PausedImportError:
            return
        warnings._showwarnmsg = _shown(warnings._showwarnmsg)  # type: ignore[attr-defined]
        _hooked = True


def _shown(show: Callable[[warnings.WarningMessage], None]) -> Callable[[warnings.WarningMessage], None]:
    """``show``, but for the threads in :data:`_QUIET`."""

    def _showwarnmsg(message: warnings.WarningMessage) -> None:
        if get_ident() not in _QUIET:
            show(message)

    return _showwarnmsg

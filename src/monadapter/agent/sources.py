"""Where code comes from: path matching, source text (on disk or compiled at run time) and sourceReferences."""

from __future__ import annotations

import codecs
import os
import re
import sys
import threading
from _weakref import ref  # weakref's own type, without the weakref module (benchmarks A2)
from types import CodeType

from .codes import code_key, path_key

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

    from .pathmap import PathMapper

#: PEP 263's encoding declaration, on one of a source's first two lines.
_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
#: A line that lets the declaration come on the next one: blank, or only a comment.
_BLANK_OR_COMMENT = re.compile(rb"^[ \t\f]*(?:[#\r\n]|$)")


def is_synthetic(filename: str) -> bool:
    """``<string>``, ``<stdin>``, ``<frozen ...>``: a name that was never a file."""
    return filename.startswith("<") and filename.endswith(">")


class Sources:
    """Source text for every code object we may show, and the DAP ``Source`` of a code object.

    Text of code compiled at run time (``exec(src)``, ``eval``, ``compile(src, "/virtual/x.py", ...)``)
    is captured by an audit hook: the "compile" event carries the source and the file name, the
    "exec" event the code object about to run. We keep only a reference to the source object (no copy)
    for file names that are not files on disk; nested code objects are bound to their parent's text
    when the engine first walks them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # maps path_key -> the path exactly as the client sent it (reported back in frames)
        self._client_paths: dict[str, str] = {}
        # maps a file name that is not on disk -> the source (str or bytes) of its latest compile
        self._latest: dict[str, str | bytes] = {}
        # maps code_key(code) -> (weak ref keeping the entry honest, source) for run-time compiled code
        self._bound: dict[int, tuple[ref[CodeType], str | bytes]] = {}
        # maps sourceReference -> (name, source); and (name, source) -> sourceReference
        self._references: dict[int, tuple[str, str | bytes]] = {}
        self._reference_of: dict[tuple[str, str | bytes], int] = {}
        self._capturing = False
        self._hook_installed = False
        #: the launch or attach ``pathMappings``; None without them (identity: agent/pathmap.py is then
        #: not loaded, benchmarks A2)
        self.paths: PathMapper | None = None

    # -- capture ------------------------------------------------------------------------------

    def start_capture(self) -> None:
        """Install the audit hook once (audit hooks cannot be removed: ``stop_capture`` mutes it)."""
        self._capturing = True
        if not self._hook_installed:
            # A function, not the bound method: for each event python looks the hook up for
            # ``__cantrace__``, and on a bound method that miss raises and swallows an AttributeError,
            # tripling the hook's cost. And the event filter is in the hook itself, so the events we
            # do not want (``sys._getframe``, ``frame.f_code``... in every callback of ours) cost
            # one call and two string compares, not two calls.
            audit = self._audit

            def hook(event: str, args: tuple[Any, ...]) -> None:
                if event == "compile" or event == "exec":
                    audit(event, args)

            sys.addaudithook(hook)
            self._hook_installed = True

    def stop_capture(self) -> None:
        self._capturing = False

    def _audit(self, event: str, args: tuple[Any, ...]) -> None:
        """Runs for every "compile" and "exec" audit event of the process, so it does the least it can:
        for "compile" of a non-file a dict store; for "exec" a dict lookup."""
        if not self._capturing:
            return
        try:
            if event == "compile":
                source, filename = args
                if isinstance(filename, str) and isinstance(source, (str, bytes)):
                    if is_synthetic(filename) or not os.path.exists(filename):
                        self._latest[filename] = source
            elif event == "exec":
                code = args[0]
                if isinstance(code, CodeType):
                    source = self._latest.get(code.co_filename)
                    if source is not None:
                        self._bind(code, source)
        except Exception:  # an audit hook that raises aborts the user's operation: never do that
            pass

    def _bind(self, code: CodeType, source: str | bytes) -> None:
        key = code_key(code)
        self._bound[key] = (ref(code, lambda _ref, key=key: self._bound.pop(key, None)), source)  # type: ignore[misc]

    def bind_nested(self, code: CodeType, parent: CodeType | None) -> None:
        """Give a code object met for the first time the text of its parent, or the latest text
        compiled under its file name (run-time code only; files on disk need nothing)."""
        if code_key(code) in self._bound:
            return
        entry = self._bound.get(code_key(parent)) if parent is not None else None
        source = entry[1] if entry is not None else self._latest.get(code.co_filename)
        if source is not None:
            self._bind(code, source)

    # -- text ---------------------------------------------------------------------------------

    @staticmethod
    def is_file_on_disk(filename: str) -> bool:
        """Whether ``filename`` names a file on disk (whose text ``text_of_file`` reads), not a
        ``<string>``-like name nor one only run-time code was compiled under."""
        return not is_synthetic(filename) and os.path.isfile(filename)

    def text_of_file(self, filename: str) -> str | None:
        """Text of a file on disk, of run-time code compiled under that name, or known to linecache."""
        if self.is_file_on_disk(filename):
            try:
                with open(filename, "rb") as handle:
                    return _decode(handle.read())
            except OSError:
                return None
        source = self._latest.get(filename)
        if source is None:
            for known, candidate in list(self._latest.items()):
                if not is_synthetic(known) and path_key(known) == path_key(filename):
                    source = candidate
                    break
        if source is not None:
            return _decode(source)
        lines = _linecache_lines(filename)
        return "".join(lines) if lines else None

    def is_compiled_name(self, filename: str) -> bool:
        """Whether code was compiled at run time under this name (and it is not a file on disk)."""
        return filename in self._latest

    def source_object(self, code: CodeType) -> str | bytes | None:
        """The very source object a run-time code object was compiled from (identity matters: it is
        how breakpoints set by sourceReference find their code)."""
        entry = self._bound.get(code_key(code))
        return entry[1] if entry is not None else self._latest.get(code.co_filename)

    @staticmethod
    def decode(source: object) -> str | None:
        return _decode(source) if isinstance(source, (str, bytes)) else None

    # -- DAP Source ---------------------------------------------------------------------------

    def program_path(self, path: str) -> str:
        """The program's path for a path the client sent (``pathMappings``); the client's spelling is
        remembered, so the program's file is shown to it as it named it."""
        program = self._to_program(path) or path
        self._client_paths[path_key(program)] = path
        return program

    def _to_program(self, client_path: str) -> str | None:
        return self.paths.to_program(client_path) if self.paths is not None else None

    def client_path(self, filename: str) -> str:
        """The path to show for a file: the client's own spelling if it sent one, else the absolute
        path (mapped to the client's side by ``pathMappings``)."""
        if is_synthetic(filename):
            return filename
        known = self._client_paths.get(path_key(filename))
        if known is not None:
            return known
        absolute = os.path.abspath(filename)
        return (self.paths.to_client(absolute) if self.paths is not None else None) or absolute

    @staticmethod
    def on_disk(code: CodeType) -> bool:
        """Whether the Source of ``code`` is a file on disk, named by path: :meth:`source_for` then reads
        nothing but the name (no loader's ``get_source``, which ``linecache`` may call, runs)."""
        filename = code.co_filename
        return not is_synthetic(filename) and os.path.isfile(filename)

    def file_source(self, filename: str) -> dict[str, Any]:
        """The DAP ``Source`` of a file on disk (see :meth:`on_disk`): its name and path."""
        path = self.client_path(filename)
        return {"name": os.path.basename(path), "path": path}

    def source_for(self, code: CodeType) -> dict[str, Any]:
        """The DAP ``Source`` of a code object.

        A file on disk is named by path. Anything else gets a ``sourceReference`` whose text the
        ``source`` request returns; a path-like name (``/virtual/x.py``) keeps its ``path`` too so
        breakpoints the client set on that path line up with frames.
        """
        filename = code.co_filename
        if self.on_disk(code):
            return self.file_source(filename)
        source = self.source_object(code)
        if source is None:
            lines = _linecache_lines(filename)
            source = "".join(lines) if lines else ""
        source_dict: dict[str, Any] = {"name": filename, "sourceReference": self.reference_of(filename, source)}
        if not is_synthetic(filename):
            source_dict["name"] = os.path.basename(filename)
            source_dict["path"] = self.client_path(filename)
        return source_dict

    def reference(self, reference: int) -> tuple[str, str | bytes] | None:
        """(name, source) of a sourceReference we handed out."""
        return self._references.get(reference)

    def reference_of(self, name: str, source: str | bytes) -> int:
        with self._lock:
            reference = self._reference_of.get((name, source))
            if reference is None:
                reference = len(self._references) + 1
                self._references[reference] = (name, source)
                self._reference_of[(name, source)] = reference
            return reference

    def content(self, arguments: dict[str, Any]) -> str:
        """Answer a ``source`` request: by sourceReference, else by path.

        Raises:
            LookupError: nothing is known for that reference or path (the message says which).
        """
        source: dict[str, Any] = arguments["source"] if isinstance(arguments.get("source"), dict) else {}
        reference = source.get("sourceReference") or arguments.get("sourceReference")
        if isinstance(reference, int) and reference > 0:
            entry = self.reference(reference)
            if entry is None:
                raise LookupError(f"unknown sourceReference {reference}")
            name, text = entry
            if not text:
                raise LookupError(f"no source text is available for {name}")
            return _decode(text)
        path = source.get("path")
        if isinstance(path, str) and path:
            text_or_none = self.text_of_file(self._to_program(path) or path)
            if text_or_none is None:
                raise LookupError(f"no source text is available for {path}")
            return text_or_none
        raise LookupError("the source request names neither a sourceReference nor a path")


def _decode(source: str | bytes) -> str:
    if isinstance(source, str):
        return source
    try:
        return source.decode(source_encoding(source), errors="replace")
    except LookupError:  # declared a codec that is no text encoding (rot13): python would refuse the file
        return source.decode("utf-8", errors="replace")


def source_encoding(source: bytes) -> str:
    """The encoding python reads the source ``source`` in (PEP 263: a UTF-8 BOM, else a coding
    declaration on the first line or, after a blank or comment line, on the second; else UTF-8), as
    ``tokenize.detect_encoding`` finds it. Not with tokenize itself: importing it costs a debuggee
    ~0.2 MB (3.13, benchmarks A2), and imported while the program has replaced ``builtins.open``
    it would bind that replacement as the ``open`` of the program's own ``tokenize.open`` for good.
    An unknown or conflicting declaration reads as UTF-8 (with replacements), as a text shown to the
    client is best read anyway."""
    if source.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for line in source.split(b"\n", 2)[:2]:
        declared = _CODING.match(line)
        if declared is not None:
            try:
                return codecs.lookup(declared.group(1).decode("ascii")).name
            except (LookupError, UnicodeDecodeError):
                return "utf-8"
        if _BLANK_OR_COMMENT.match(line) is None:
            break
    return "utf-8"


def pin_tokenize() -> None:
    """Import ``tokenize``, if nobody did, with python's own ``open``: before any import of ours that may
    load it first (``traceback``'s ``linecache`` reads files with ``tokenize.open``; ``dataclasses``
    loads ``inspect``, which imports it), as no debuggee loads it at start (~0.2 MB on 3.13,
    benchmarks A2). ``tokenize`` binds ``builtins.open`` when imported: imported first by us while
    the program has replaced it (``mock.patch``), our tracebacks would call the program's
    replacement for every file they show, and so would the program's own ``tokenize.open`` for
    good. So the ``open`` it binds is set back to python's own (this module's builtins are the
    agent's copy), as an import before the program ran bound it. One the program imported itself is
    left as it is."""
    if "tokenize" in sys.modules:
        return
    import tokenize

    if getattr(tokenize, "_builtin_open", open) is not open:
        tokenize._builtin_open = open  # type: ignore[attr-defined]


def _linecache_lines(filename: str) -> list[str]:
    """The lines ``linecache`` holds for a name that is no file on disk (what a program or a library,
    IPython's cells, doctest, put there), if the program loaded ``linecache`` at all: if it did not,
    nobody filled its cache, and importing it would cost every debuggee its import (benchmarks A2)."""
    linecache = sys.modules.get("linecache")
    getlines = getattr(linecache, "getlines", None)
    try:
        lines = getlines(filename) if getlines is not None else []
    except Exception:  # the program's module, maybe replaced or half torn down: only a text is lost
        return []
    return lines if isinstance(lines, list) else []

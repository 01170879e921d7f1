"""Facts about code objects: their line starts, nested code, and how to find the ones that already exist."""

from __future__ import annotations

import functools
import gc
import os
import site
import sys
import types
from collections.abc import Iterator
from stat import S_ISLNK
from types import CodeType, FrameType

#: ``dis.opmap["RESUME"]`` and ``["CACHE"]`` without ``dis`` (~0.2 MB in every debuggee, benchmarks A2):
#: a function without cells starts with its RESUME, and CACHE is 0 (3.11+; test_sysmon_facts checks both).
_RESUME_OPCODE = (lambda: None).__code__.co_code[0]
_CACHE_OPCODE = 0
_CO_OPTIMIZED = 0x1  # inspect.CO_OPTIMIZED: the code keeps its locals in fast slots (a function body)
#: The identity key of a code object for our registries. ``object.__hash__`` is the address-based
#: hash (a bit rotation of the address: distinct for distinct live objects), like ``id()``, but
#: ``id()`` raises the audit event "builtins.id": with our audit hook installed (agent/sources.py)
#: every audited call costs ~0.2 µs more, and the registries are read in every callback.
code_key = object.__hash__
#: Directory of the monadapter package (as a comparison key): code there is ours and never stops.
OWN_DIR = os.path.normcase(os.path.dirname(os.path.dirname(os.path.realpath(__file__)))) + os.sep


@functools.lru_cache(maxsize=4096)
def is_own_file(filename: str) -> bool:
    """Whether a code object's file lies in the monadapter package (our files are never stopped in).
    Cached: it runs in callbacks, and for each module a stop announces (:func:`path_key`, not
    realpath's ``lstat`` per directory: ~270 files at benchmarks S9's stop, ~8 ms)."""
    if filename.startswith("<"):
        return False
    return path_key(filename).startswith(OWN_DIR)


@functools.lru_cache(maxsize=4096)
def path_key(path: str) -> str:
    """The form of ``path`` used only to *compare* paths: symlinks and ``..`` resolved, case folded
    where the OS folds it. Never shown to the client, which gets back the path it sent.

    An absolute path to a file that is no symlink is its directory's real path (remembered per
    directory) and its name: one ``lstat`` instead of realpath's one per directory (each module's first
    code costs this once, benchmarks S9: ~50k instructions per file before)."""
    directory, name = os.path.split(path)
    if os.name == "posix" and name not in ("", ".", "..") and os.path.isabs(path):
        try:
            link = S_ISLNK(os.lstat(path).st_mode)
        except (OSError, ValueError):
            link = True  # realpath decides what a missing or odd name resolves to
        if not link:
            return os.path.normcase(os.path.join(_real_directory(directory), name))
    return os.path.normcase(os.path.realpath(path))


@functools.lru_cache(maxsize=1024)
def _real_directory(directory: str) -> str:
    return os.path.realpath(directory)


def _library_roots() -> tuple[str, ...]:
    """Comparison keys of the standard library and site-packages directories of this interpreter:
    sysconfig's ``stdlib``, ``platstdlib``, ``purelib`` and ``platlib`` without sysconfig (it and its
    ``_sysconfigdata`` would add ~0.3 MB to every debuggee, benchmarks A2; test_parts_breakpoints
    checks they are all here): the directory of the standard library's ``types``, ``site``'s package
    directories, and (POSIX) ``platstdlib`` under ``sys.exec_prefix``, a virtual environment's own."""
    roots = {os.path.dirname(types.__file__), *site.getsitepackages()}
    if os.name == "posix":
        roots.add(os.path.join(sys.exec_prefix, sys.platlibdir, f"python{sys.version_info[0]}.{sys.version_info[1]}"))
    if site.ENABLE_USER_SITE and site.USER_SITE:
        roots.add(site.USER_SITE)
    return tuple(os.path.normcase(os.path.realpath(root)) + os.sep for root in roots)


_LIBRARY_ROOTS = _library_roots()


@functools.lru_cache(maxsize=4096)
def is_library_file(filename: str) -> bool:
    """Whether a code object's file is library code (stdlib, site-packages, frozen modules), which
    justMyCode steps never stop in."""
    if filename.startswith("<"):
        return filename.startswith("<frozen ")
    return path_key(filename).startswith(_LIBRARY_ROOTS)


def is_function_frame(frame: FrameType) -> bool:
    """True when the frame keeps its locals in fast slots (a function body, not module or class code).
    Here, not in frame_locals.py (which imports ``contextlib``): a stop's scopes need it (agent/stack.py)."""
    return bool(frame.f_code.co_flags & _CO_OPTIMIZED)


def walk(code: CodeType) -> Iterator[CodeType]:
    """``code`` and every code object nested in it (defs, lambdas, class bodies, genexprs), depth first."""
    stack = [code]
    while stack:
        current = stack.pop()
        yield current
        stack += [const for const in current.co_consts if type(const) is CodeType]  # (X4: 100k constants)


def line_starts(code: CodeType) -> frozenset[int]:
    """The lines of ``code`` on which a LINE event can fire.

    The prologue of a function (RESUME, and RETURN_GENERATOR for generators) sits on the ``def`` line
    but never fires LINE; that line counts only if real code shares it (a one-line ``def``).
    """
    prologue_end = _prologue_end(code)
    lines: set[int] = set()
    for _start, end, line in code.co_lines():
        if line is not None and end > prologue_end:
            lines.add(line)
    return frozenset(lines)


def _prologue_end(code: CodeType) -> int:
    """Offset just past the first RESUME and its inline cache (3.15 gives RESUME one; 0 for code without one)."""
    raw = code.co_code
    for offset in range(0, len(raw), 2):
        if raw[offset] == _RESUME_OPCODE:
            end = offset + 2
            while end < len(raw) and raw[end] == _CACHE_OPCODE:
                end += 2
            return end
    return 0


def shared_first_line(code: CodeType) -> int | None:
    """The line of the first instruction after the prologue when the prologue sits on it too (a
    one-line ``def`` or ``lambda``): on 3.13 its LINE is not emitted unless PY_START is enabled on the
    code too (cpython#155992). None when the body starts on a line of its own."""
    prologue_end = _prologue_end(code)
    prologue_lines: set[int] = set()
    for start, end, line in code.co_lines():
        if line is None:
            continue
        if end > prologue_end:
            return line if line in prologue_lines or start < prologue_end else None
        prologue_lines.add(line)
    return None


def entry_point(code: CodeType) -> tuple[int, int] | None:
    """(offset, line) of the first LINE event a call of ``code`` fires: where a function breakpoint
    stops. None for code without lines."""
    prologue_end = _prologue_end(code)
    for start, end, line in code.co_lines():
        if line is not None and end > prologue_end:
            return max(start, prologue_end), line
    return None


def continuation_offsets(code: CodeType, line: int, head_end: int) -> frozenset[int]:
    """Offsets where ``line`` starts again after the other lines of its own statement head ran.

    ``x = f(\\n 1,\\n 2)`` fires LINE 1, 2, 3 and then 1 again for the call
    (docs/sys-monitoring/multiline_statement.py). The second LINE 1 starts at an offset whose previous line range lies in ``(line, head_end]``,
    after a range of ``line`` itself since the code last left the head's lines. Without that earlier
    range, the statement's first line has no code before its inner lines (``x = (\\n f(1)\\n)``,
    ``items = [\\n f(1),\\n]``, ``for y in [\\n 1]:``): its LINE comes once, last, and is the hit. A
    ``while`` header repeated at the loop end follows its body instead, and still counts as a hit.
    """
    offsets: set[int] = set()
    previous: int | None = None
    started = False  # a range of ``line`` came since the last range outside the head
    for start, _end, current in code.co_lines():
        if current is None:
            continue
        if current == line:
            if started and previous is not None and line < previous <= head_end:
                offsets.add(start)
            started = True
        elif not line < current <= head_end:
            started = False
        previous = current
    return frozenset(offsets)


def existing_code() -> Iterator[CodeType]:
    """Every code object reachable right now: functions, generators, coroutines and async generators
    known to gc, and the code of every frame on every thread's stack (docs/sys-monitoring/code_identity.py).

    Code objects are not gc-tracked, so they are reached through their owners. Nested code is not
    expanded here: callers walk what they need with ``walk``.
    """
    for obj in gc.get_objects():
        # exact types (none of these can be subclassed): isinstance would read a foreign object's
        # __class__, running the program's __getattribute__ (which may raise, or have effects)
        kind = type(obj)
        if kind is types.FunctionType:
            yield obj.__code__
        elif kind is types.GeneratorType:
            yield obj.gi_code
        elif kind is types.CoroutineType:
            yield obj.cr_code
        elif kind is types.AsyncGeneratorType:
            yield obj.ag_code
    for frame in list(sys._current_frames().values()):
        current: types.FrameType | None = frame
        while current is not None:
            yield current.f_code
            current = current.f_back

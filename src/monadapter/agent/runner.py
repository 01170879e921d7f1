"""Runs the debuggee's program, module or code string the way plain ``python`` would.

Standard library only. ``sys.argv``, ``sys.path[0]``, the ``__main__`` module and its globals
(``__file__``, ``__name__``, ``__spec__``, ``__loader__``...) end up as ``python PROGRAM ARGS``,
``python -m MODULE ARGS`` and ``python -c CODE ARGS`` set them, because a program that behaves
differently under the debugger is a program that cannot be debugged.

The interpreter already made the ``__main__`` module; :func:`run` reuses that module object (as
python does) after resetting its globals to what a fresh ``python -c`` run has.
"""

from __future__ import annotations

import _io  # io.open_code itself: 3.14 and 3.15 load no io module at start (benchmarks A2)
import _signal  # type: ignore[import-not-found]  # signal's C module: signal.py makes enum classes in every debuggee (benchmarks A2)
import os
import sys
import types
import zipimport
from _frozen_importlib import BuiltinImporter  # importlib.machinery's, without loading importlib
from _frozen_importlib_external import SourceFileLoader
from collections.abc import Callable

from .records import Value

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Literal

#: The exit code of a program that ended with an uncaught exception, as under plain python.
UNCAUGHT_EXIT_CODE = 1
#: What :func:`run` returns after an uncaught KeyboardInterrupt: python then ends the process
#: by SIGINT once everything else is done, and so must the launcher.
INTERRUPTED: int = -_signal.SIGINT


class Target(Value):
    """What to run: ``kind`` is ``program`` (a path), ``module`` (a dotted name) or ``code`` (source text)."""

    __slots__ = ("kind", "value", "args")

    def __init__(self, kind: Literal["program", "module", "code"], value: str, args: list[str] | None = None) -> None:
        self.kind = kind
        self.value = value
        self.args: list[str] = [] if args is None else args


class TargetNotFound(Exception):
    """Raised when the module to run cannot be found; the message is what python prints then."""


def run(
    target: Target,
    starting: Callable[[types.CodeType], None] | None = None,
    ending: Callable[[], None] | None = None,
) -> int:
    """Run ``target`` in ``__main__`` and return its exit code.

    ``starting`` is called with the main code object right before it runs (the debugger's
    stopOnEntry hook); ``ending`` while an exception (SystemExit too) that escaped the program is
    being handled, before anything reports it (the debugger's uncaught-exception stop). An
    uncaught exception is printed through ``sys.excepthook`` with the traceback starting at the
    user's code, and gives exit code 1. ``SystemExit`` propagates
    so that python itself turns it into the exit code (and prints a non-integer code).
    An uncaught ``KeyboardInterrupt`` returns :data:`INTERRUPTED`.
    """
    main_globals = _clean_main_globals()
    try:
        code, mod_spec = _prepare(target, main_globals)
    except TargetNotFound as exc:
        print(f"{sys.executable}: {exc}", file=sys.stderr)
        return UNCAUGHT_EXIT_CODE
    except Exception as exc:  # the program does not compile, or its package fails to import
        # python shows where the syntax is wrong, no traceback; an import starts below our lookup
        exc.__traceback__ = None if isinstance(exc, SyntaxError) else _below_the_runner(exc.__traceback__)
        sys.excepthook(type(exc), exc, exc.__traceback__)
        return UNCAUGHT_EXIT_CODE
    if starting is not None:
        starting(code)
    try:
        if mod_spec is None:
            exec(code, main_globals)
        else:
            import runpy  # loaded by now (_module_code): python -m loads it too, python FILE does not

            runpy._run_code(code, main_globals, None, "__main__", mod_spec)  # type: ignore[attr-defined]
    except SystemExit:
        if ending is not None:
            ending()
        raise
    except BaseException as exc:
        if ending is not None:
            ending()
        # on the exception itself, too: 3.13's default excepthook prints exc.__traceback__
        exc.__traceback__ = _user_traceback(exc.__traceback__, code)
        sys.excepthook(type(exc), exc, exc.__traceback__)
        return INTERRUPTED if isinstance(exc, KeyboardInterrupt) else UNCAUGHT_EXIT_CODE
    return 0


def _clean_main_globals() -> dict[str, object]:
    """Return ``__main__``'s globals as ``python -c`` leaves them before running any code.

    The launcher ran from the start script (its names to drop) or as ``-m
    monadapter.agent`` (runpy's ``__file__``, ``__spec__``... to reset). Interpreter-made
    entries such as ``__builtins__`` and ``__annotations__`` stay as they are.
    """
    main_globals = sys.modules["__main__"].__dict__
    for name in [name for name in main_globals if not (name.startswith("__") and name.endswith("__"))]:
        del main_globals[name]
    for name in ("__file__", "__cached__"):
        main_globals.pop(name, None)
    main_globals.update(__doc__=None, __package__=None, __spec__=None, __loader__=BuiltinImporter)
    return main_globals


def _prepare(target: Target, main_globals: dict[str, object]) -> tuple[types.CodeType, object | None]:
    """Set argv, sys.path[0] and the globals; return the code to run and its module spec (or None)."""
    if target.kind == "code":
        sys.argv = ["-c", *target.args]
        _set_path0("")
        return compile(target.value, "<string>", "exec", dont_inherit=True), None
    if target.kind == "module":
        sys.argv = ["-m", *target.args]  # python shows "-m" while it looks the module up
        _set_path0(os.getcwd())
        code, spec = _module_code(target.value)
        sys.argv[0] = spec.origin  # type: ignore[attr-defined]  # as runpy._run_module_as_main(alter_argv=True) does
        return code, spec
    sys.argv = [target.value, *target.args]
    if os.path.isdir(target.value) or _is_zip(target.value):
        # python DIR / python ZIP: the directory or archive goes on sys.path and its __main__ runs
        _set_path0(target.value)
        return _module_code("__main__")
    path = os.path.abspath(target.value)
    _set_path0(os.path.dirname(os.path.realpath(path)))
    with _io.open_code(path) as source:
        code = compile(source.read(), path, "exec", dont_inherit=True)
    main_globals.update(__file__=path, __loader__=SourceFileLoader("__main__", path))
    if sys.version_info < (3, 15):  # 3.15's python no longer sets __cached__ for the script it runs
        main_globals["__cached__"] = None
    return code, None


def _module_code(name: str) -> tuple[types.CodeType, object]:
    """Find module ``name`` and its code as ``python -m`` does (with runpy, which python -m loads too)."""
    import runpy

    if name == "__main__":
        _, spec, code = runpy._get_main_module_details(TargetNotFound)  # type: ignore[attr-defined]
    else:
        _, spec, code = runpy._get_module_details(name, TargetNotFound)  # type: ignore[attr-defined]
    return code, spec


def _is_zip(path: str) -> bool:
    """Whether python would run ``path`` as a zip archive (zipimport is loaded already; zipfile is not)."""
    try:
        zipimport.zipimporter(path)
    except zipimport.ZipImportError:
        return False
    return True


def _set_path0(entry: str) -> None:
    """Put ``entry`` where python puts the script's directory, unless -P/PYTHONSAFEPATH is on."""
    if not sys.flags.safe_path:
        sys.path[0] = entry


def _below_the_runner(tb: types.TracebackType | None) -> types.TracebackType | None:
    """Skip the runner's frames at the top of a traceback: the program's traceback starts where
    python's own would (runpy's frames, then the program's), never in monadapter."""
    while tb is not None and tb.tb_frame.f_code.co_filename == _prepare.__code__.co_filename:
        tb = tb.tb_next
    return tb


def _user_traceback(tb: types.TracebackType | None, code: types.CodeType) -> types.TracebackType | None:
    """Skip the runner's (and runpy's) frames so the traceback starts in the user's code."""
    user = tb
    while user is not None and user.tb_frame.f_code is not code:
        user = user.tb_next
    return user if user is not None else tb

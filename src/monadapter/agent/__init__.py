"""The agent: what runs inside the debuggee (standard library only, Python 3.12+).

Two things set this package apart from an ordinary one, both so that the program cannot tell it is
being debugged.

Builtins. The program may replace builtins while it runs (``mock.patch("builtins.open")``, a
counting ``isinstance``): our code must neither call its replacements (it would see calls it never
made, or our callbacks would fail on its mocks) nor depend on them. So every module of this package
runs on a copy of the builtins taken when the package is imported, before the program runs: the
loader of our submodules puts that copy in a module's globals as ``__builtins__`` before its code
runs, and the functions it defines take their builtins from there. (Standard-library code we call
keeps the program's builtins: json, traceback and the like are the program's modules too.)

Modules. The program must not find ours in ``sys.modules`` (README, "Guarantees"). Every import
statement in our modules goes through :func:`_import` (``__import__`` in that copy), which takes our
modules from :data:`MODULES` and loads a missing one itself, under importlib's lock for its name
(threads importing it at once wait for one load, as with ``import``). Until :func:`hide` is called
(the adapter never calls it) a module loaded so is also left in ``sys.modules``, as ``import``
leaves it. Each entry point calls :func:`hide` before the program runs: our modules are taken out of
``sys.modules``, and one loaded later is put there only while its code runs (``dataclasses`` looks
a class's module up there). Whoever imports one of ours by its name later, as the program calling
``monadapter.breakpoint()`` or pickle do, gets the very module the agent runs (:class:`_LiveFinder`),
never a second copy with a state of its own.

Late imports of modules not ours never wait for an import lock a thread we hold paused owns
(:func:`_import_other`, agent/importlocks.py).
"""

from __future__ import annotations

import _frozen_importlib  # importlib's own code, in every process (the ``importlib`` package is not)
import _frozen_importlib_external
import builtins
import sys
from _frozen_importlib import module_from_spec, spec_from_loader
from _frozen_importlib_external import SOURCE_SUFFIXES, FileFinder, SourceFileLoader
from _thread import get_ident
from collections.abc import Collection, Sequence
from types import FunctionType, ModuleType

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

_DeadlockError: type[Exception] = _frozen_importlib._DeadlockError  # type: ignore[attr-defined]
_get_module_lock = _frozen_importlib._get_module_lock  # type: ignore[attr-defined]
_get_supported_file_loaders = _frozen_importlib_external._get_supported_file_loaders  # type: ignore[attr-defined]

#: The builtins our functions use, whatever the program does to the ``builtins`` module later.
BUILTINS: dict[str, object] = dict(vars(builtins))
#: Every ``monadapter`` module the agent uses, by name, whether or not ``sys.modules`` holds it.
MODULES: dict[str, ModuleType] = {}
#: The import the program had when the agent came: what our imports of anything else go through.
_program_import = BUILTINS["__import__"]
#: Names of our modules whose code is running now (being loaded).
_initializing: set[str] = set()
#: Whether :func:`hide` was called: our modules stay out of ``sys.modules`` from then on.
_hidden = False
#: Threads whose imports must not wait for a thread we hold paused (agent/importlocks.py): one running
#: an import of ours of a module not ours, or a request on a paused thread (the program's code an
#: ``evaluate`` runs there: ``PausedJobs.on_thread``).
LATE_IMPORTERS: set[int] = set()
#: Thread id -> its entry in importlib's ``_blocking_on`` while we hold it paused (importlocks.note_paused).
PAUSED_THREADS: dict[int, list[Any]] = {}
#: Whether python gives each annotated function a second one, ``__annotate__`` (3.14+): see drop_annotate.
_ANNOTATE_FUNCTIONS = sys.version_info >= (3, 14)


class PausedImportError(ImportError):
    """An import of ours would wait for a thread we hold paused (agent/importlocks.py)."""


def _import_other(
    name: str,
    globals: dict[str, Any] | None,
    locals: object,
    fromlist: Sequence[str] | None,
    level: int,
    absolute: str,
) -> ModuleType:
    """The program's import of ``name`` for our code: never waits for a thread we hold paused
    (agent/importlocks.py); a loaded module as is (no lock is taken then)."""
    module = sys.modules.get(absolute)
    if (
        module is not None
        and not getattr(getattr(module, "__spec__", None), "_initializing", False)
        and (not fromlist or not hasattr(module, "__path__") or all(hasattr(module, item) for item in fromlist))
    ):  # loaded, and so is what is imported from a package (a loaded submodule is its attribute)
        return _program_import(name, globals, locals, fromlist, level)  # type: ignore[operator]
    ident = get_ident()
    outermost = ident not in LATE_IMPORTERS
    if outermost:
        LATE_IMPORTERS.add(ident)
    try:
        module = _program_import(name, globals, locals, fromlist, level)  # type: ignore[operator]
    except _DeadlockError:
        load(f"{__name__}.importlocks").raise_if_paused_held()
        raise  # a concurrent circular import no pause of ours is part of
    finally:
        if outermost:
            LATE_IMPORTERS.discard(ident)
    if PAUSED_THREADS:  # else nothing to check: importlocks.py is not loaded at start
        load(f"{__name__}.importlocks").raise_if_partly_run(absolute)
    return module


def paused_import_text(exc: BaseException) -> str | None:
    """Why ``exc`` came, when the program's code a request ran imported a module a thread we hold
    paused is importing: importlib's deadlock error (an import that would have waited for that
    thread: the request's thread is in :data:`LATE_IMPORTERS`), or the AttributeError or ImportError
    of the partly run module importlib hands back then, as for a circular import. None otherwise."""
    if not PAUSED_THREADS:
        return None
    importlocks = load(f"{__name__}.importlocks")
    module = getattr(exc, "obj", None) if isinstance(exc, AttributeError) else None
    try:
        if isinstance(exc, _DeadlockError):
            importlocks.raise_if_paused_held()
        elif isinstance(module, ModuleType):
            importlocks.raise_if_partly_run(module.__name__)
        elif isinstance(exc, ImportError) and isinstance(exc.name, str):
            importlocks.raise_if_partly_run(exc.name)
    except PausedImportError as paused:
        return f"{paused} ({type(exc).__name__}: {exc})"
    return None


def _ours(name: str) -> bool:
    return name == "monadapter" or name.startswith("monadapter.")


class _PinnedBuiltinsLoader(SourceFileLoader):
    """Loads a module of this package with :data:`BUILTINS` as its ``__builtins__``, noting it in
    :data:`MODULES` (however it was imported: :func:`_import`, or ``import`` by an entry point)."""

    def exec_module(self, module: ModuleType) -> None:
        name = module.__name__
        vars(module)["__builtins__"] = BUILTINS
        MODULES.setdefault(name, module)
        _initializing.add(name)
        try:
            super().exec_module(module)
        except BaseException:
            if MODULES.get(name) is module:
                del MODULES[name]
            raise
        finally:
            _initializing.discard(name)
        if _ANNOTATE_FUNCTIONS:
            drop_annotate(vars(module))


def drop_annotate(namespace: dict[str, Any]) -> None:
    """Drop the ``__annotate__`` functions of the functions and methods a module of ours defined.

    On 3.14+ an annotated ``def`` makes two functions, its own and ``__annotate__``, which returns
    its annotations (PEP 649; as strings under ``from __future__ import annotations``), each with a
    code object of its own: 450 of the 1,060 code objects of the agent's modules at start, ~0.2 MB
    of every debuggee (benchmarks A2). Ours are there for mypy alone and nothing reads them at run
    time (their ``__annotations__`` is then empty). Once the module ran, its code object, which
    holds theirs as constants, is gone, so dropping the functions frees the code too. Only what the
    module defined is touched: functions whose globals are ``namespace``, and the methods of classes
    whose ``__module__`` is the module's (never an imported function or class, the program's or the
    standard library's). Functions defined inside functions, and those other decorators than
    ``staticmethod``, ``classmethod`` and ``property`` wrap, keep theirs (a few)."""
    module_name = namespace["__name__"]
    for value in namespace.values():
        if issubclass(type(value), type):  # type(): isinstance would read a foreign object's __class__
            if vars(value).get("__module__") == module_name:
                _drop_class_annotate(value, namespace)
        else:
            _drop_function_annotate(value, namespace)


def _drop_class_annotate(cls: type, namespace: dict[str, Any]) -> None:
    nested = f"{cls.__qualname__}."
    for value in vars(cls).values():
        if issubclass(type(value), type):
            if vars(value).get("__module__") == namespace["__name__"] and value.__qualname__.startswith(nested):
                _drop_class_annotate(value, namespace)
        elif type(value) is property:
            for accessor in (value.fget, value.fset, value.fdel):
                _drop_function_annotate(accessor, namespace)
        else:
            _drop_function_annotate(value.__func__ if type(value) in (staticmethod, classmethod) else value, namespace)


def _drop_function_annotate(value: object, namespace: dict[str, Any]) -> None:
    if type(value) is FunctionType and value.__globals__ is namespace:
        value.__annotate__ = None  # type: ignore[attr-defined]  # 3.14+ (typeshed for 3.12 lacks it)


class _LiveLoader:
    """Gives an importer the module the agent already runs (see :class:`_LiveFinder`)."""

    @staticmethod
    def create_module(spec: Any) -> ModuleType:
        return MODULES[spec.name]

    @staticmethod
    def exec_module(module: ModuleType) -> None:
        pass  # it ran once already: running its code again would reset its state


_LIVE_LOADER: Any = _LiveLoader()


class _LiveFinder(FileFinder):
    """The path finder of our package directories: a module the agent loaded is found as that very
    module, so that an ``import`` after :func:`hide` (the program's, pickle's) makes no second copy."""

    def find_spec(self, fullname: str, target: ModuleType | None = None) -> Any:
        module = MODULES.get(fullname)
        if module is not None:
            return spec_from_loader(fullname, _LIVE_LOADER, is_package=hasattr(module, "__path__"))
        return super().find_spec(fullname, target)


def load(name: str) -> ModuleType:
    """Our module ``name`` (``monadapter.agent.X``), loaded first if need be; never a second copy.

    A module another thread is loading is waited for, under importlib's own lock for that name (so
    the wait takes part in importlib's deadlock detection: in a cycle the module is used as it is,
    partly run, as ``import`` does); one this thread is loading (a circular import) is used as it is.
    """
    module = MODULES.get(name)
    if module is not None and name not in _initializing:
        return module
    lock = _get_module_lock(name)
    try:
        lock.acquire()
    except _DeadlockError:
        if name in MODULES:
            return MODULES[name]
        raise
    try:
        module = MODULES.get(name)
        return module if module is not None else _load_new(name)
    finally:
        lock.release()


def _load_new(name: str) -> ModuleType:
    """Find and run a submodule of this package that no one loaded yet (see :func:`load`)."""
    package_name, _, child = name.rpartition(".")
    spec = _FINDERS[0].find_spec(name) if package_name == __name__ else None  # no subpackage of ours is loaded so
    if spec is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    module = module_from_spec(spec)
    spec._initializing = True  # as importlib marks it: an ``import`` that finds it meanwhile waits for it
    sys.modules[name] = module  # while it runs, at least: dataclasses looks a class's module up there
    try:
        spec.loader.exec_module(module)
    except BaseException:
        if sys.modules.get(name) is module:
            del sys.modules[name]
        raise
    finally:
        spec._initializing = False
    if _hidden and sys.modules.get(name) is module:
        del sys.modules[name]
    setattr(MODULES[package_name], child, module)
    return module


def _import(
    name: str,
    globals: dict[str, Any] | None = None,
    locals: object = None,
    fromlist: Sequence[str] | None = (),
    level: int = 0,
) -> ModuleType:
    """``__import__`` for our modules' code: ours from :func:`load`, anything else as the program would."""
    absolute = _absolute(name, globals, level) if level else name
    if not _ours(absolute) or (absolute not in MODULES and not absolute.startswith(f"{__name__}.")):
        return _import_other(name, globals, locals, fromlist, level, absolute)
    module = load(absolute)
    if fromlist:
        for item in fromlist:
            if item != "*" and not hasattr(module, item) and hasattr(module, "__path__"):
                load(f"{absolute}.{item}")
        return module
    if level == 0:
        return MODULES[absolute.partition(".")[0]]
    return MODULES[absolute[: len(absolute) - len(name) + len(name.partition(".")[0])]]


def _absolute(name: str, globals: dict[str, Any] | None, level: int) -> str:
    """The absolute name of a relative import in one of our modules (whose ``__package__`` is set)."""
    package = (globals or {}).get("__package__") or ""
    base = package.rsplit(".", level - 1)[0]
    return f"{base}.{name}" if name else base


def hide(keep: Collection[str] = ()) -> None:
    """Take our modules out of ``sys.modules`` (all but ``keep``), and keep them out from now on.

    Called by each entry point before the program runs: the launcher, ``--listen``, the bootstrap of
    child processes and of an attach by process id, and ``monadapter.listen`` (which keeps
    ``monadapter``, the program's own import).
    """
    global _hidden
    _hidden = True
    for name in list(sys.modules):
        if name in MODULES and name not in keep:  # a copy too: a second attach by process id imports
            sys.modules.pop(name, None)  # monadapter anew (the agent package is then found as itself)


BUILTINS["__import__"] = _import
MODULES[__name__] = sys.modules[__name__]
MODULES["monadapter"] = sys.modules["monadapter"]
#: Our finders: of this package's directory (which pins builtins), and of the directory above.
_FINDERS = [_LiveFinder(directory, (_PinnedBuiltinsLoader, SOURCE_SUFFIXES)) for directory in __path__]
for _finder in _FINDERS:
    sys.path_importer_cache[_finder.path] = _finder
for _directory in getattr(MODULES["monadapter"], "__path__", ()):
    sys.path_importer_cache[_directory] = _LiveFinder(_directory, *_get_supported_file_loaders())
if _ANNOTATE_FUNCTIONS:
    drop_annotate(globals())

"""Loaded modules and sources: the ``modules`` and ``loadedSources`` requests and the ``module``/``loadedSource`` events.

How new code is noticed, and why this way: the engine's global PY_START already fires once for every code
object the first time it runs, to index it (and then DISABLEs itself for that code). A module's ``<module>``
code is among them, so the engine hands each first-seen ``<module>`` code to :meth:`LoadedCode.module_code_started`
and the only cost added to code that is not module code is one string comparison on first sight. An import
has put its module into ``sys.modules`` before that code starts, so the modules added since the last look
are found there: ``sys.modules`` keeps insertion order, so they are the last ``n`` keys when it grew by ``n``
(a reversed ``islice``, cost proportional to the new modules only). Extension modules run no Python code; they
are picked up at the next Python module start (or the next ``modules`` request). Diffing ``sys.modules`` at each
stop instead would cost nothing while running, but the events would only come at stops.
Measured on 3.13 (``scripts/measure_module_events.py``): see its docstring.

Module attributes are read from the module's ``__dict__`` through ModuleType's own member, never with
``getattr`` (a lazy module's ``__getattribute__`` would import it; PEP 562 ``__getattr__`` would run).
Versions come from ``__version__`` when it is a string, else from the ``NAME-VERSION.dist-info`` directory next
to a top-level package (one ``listdir`` per directory, cached): nothing is imported, no metadata file is read.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Callable, Mapping
from itertools import islice
from types import CodeType, ModuleType
from typing import Any

from . import codes
from .sources import Sources, is_synthetic

#: How many distinct run-time sources (exec/eval/compile text) are announced and listed: the text of each
#: is kept for the ``source`` request, so a program that evals a million different strings must not keep
#: them all.
MAX_RUNTIME_SOURCES = 1000
#: ``NAME-VERSION.dist-info`` / ``.egg-info`` directory names.
_DIST_INFO = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+?)(?:-py[^-]*)?\.(?:dist|egg)-info$")
_MODULE_DICT = ModuleType.__dict__["__dict__"]


def module_dict(module: object) -> dict[str, Any]:
    """A module's globals, read without running any of its code ({} for anything that is not a module)."""
    if not issubclass(type(module), ModuleType):
        return {}
    namespace = _MODULE_DICT.__get__(module, ModuleType)
    return namespace if type(namespace) is dict else {}


def _text(namespace: Mapping[str, Any], name: str) -> str | None:
    value = namespace.get(name)
    return value if type(value) is str else None


def _normalized(name: str) -> str:
    """A distribution or import name compared the way packaging compares names (PEP 503)."""
    return re.sub(r"[-_.]+", "_", name).lower()


class LoadedCode:
    """What the program has loaded: modules by name, source files, and run-time compiled sources.

    ``module_code_started`` runs on whichever thread imports or execs (inside the engine's PY_START
    callback); the requests run on the I/O thread. One lock keeps the bookkeeping consistent.
    """

    def __init__(self, sources: Sources, send_event: Callable[[str, dict[str, Any]], None]) -> None:
        self._sources = sources
        self._send_event = send_event
        self._lock = threading.Lock()
        # modules present when debugging started get no event: the client lists them with ``modules``
        self._known_modules: set[str] = set(sys.modules)
        self._modules_seen = len(sys.modules)
        # maps the normcase'd path -> the path of each file announced by a loadedSource event (module files
        # and files run by exec)
        self._announced_files: dict[str, str] = {}
        # DAP Sources of run-time compiled code, by sourceReference, in the order first seen
        self._runtime: dict[int, dict[str, Any]] = {}
        # maps a directory -> {normalized distribution name: version} from its *.dist-info entries
        self._versions_by_dir: dict[str, dict[str, str]] = {}

    # -- the engine's hook ------------------------------------------------------------------------

    def module_code_started(self, code: CodeType) -> None:
        """First sight of a ``<module>`` code object: an import, ``exec`` or ``eval``. Announces the modules
        that appeared in ``sys.modules`` and the source the code comes from. Never raises."""
        filename = code.co_filename
        try:
            if codes.is_own_file(filename):
                return
            if self._sources.is_compiled_name(filename):
                self._announce_runtime(code)
                return
            for name, module in self._new_modules():
                self._send_event("module", {"reason": "new", "module": self._describe(name, module)})
                path = _text(module_dict(module), "__file__")
                if path is not None and path.endswith(".py"):
                    self._announce_file(path)
            if not is_synthetic(filename):
                self._announce_file(filename)
        except Exception:  # a bug here must not break the user's import; the request lists it anyway
            pass

    def _new_modules(self) -> list[tuple[str, object]]:
        """Modules added to ``sys.modules`` since the last look (the newest keys: see the module docstring)."""
        modules = sys.modules
        with self._lock:
            grown = len(modules) - self._modules_seen
            self._modules_seen = len(modules)
            if grown <= 0:
                return []
            try:
                newest = list(islice(reversed(modules), grown))
            except RuntimeError:  # changed size meanwhile: the next look finds them
                return []
            fresh = [name for name in reversed(newest) if name not in self._known_modules]
            self._known_modules.update(fresh)
        found = []
        for name in fresh:
            module = modules.get(name)
            if issubclass(type(module), ModuleType) and not self._is_own(module):
                found.append((name, module))
        return found

    def _announce_file(self, path: str) -> None:
        key = os.path.normcase(path)
        with self._lock:
            if key in self._announced_files:
                return
            self._announced_files[key] = path
        self._send_event("loadedSource", {"reason": "new", "source": self._file_source(path)})

    def _announce_runtime(self, code: CodeType) -> None:
        source = self._sources.source_for(code)
        reference = source.get("sourceReference")
        with self._lock:
            if not isinstance(reference, int) or reference in self._runtime:
                return
            if len(self._runtime) >= MAX_RUNTIME_SOURCES:
                return
            self._runtime[reference] = source
        self._send_event("loadedSource", {"reason": "new", "source": source})

    # -- requests ---------------------------------------------------------------------------------

    def modules(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Answer ``modules``: every module in ``sys.modules`` (ours left out) in import order, paged by
        ``startModule``/``moduleCount``.

        Raises:
            ValueError: a paging argument is not a non-negative integer.
        """
        start, count = (arguments.get(name) or 0 for name in ("startModule", "moduleCount"))
        if type(start) is not int or type(count) is not int or start < 0 or count < 0:
            raise ValueError(f"startModule and moduleCount must be non-negative integers, got {start!r} and {count!r}")
        listed = [(name, module) for name, module in self._snapshot() if not self._is_own(module)]
        page = listed[start : start + count if count else None]
        return {"modules": [self._describe(name, module) for name, module in page], "totalModules": len(listed)}

    def loaded_sources(self) -> dict[str, Any]:
        """Answer ``loadedSources``: the ``.py`` file of every loaded module, files run by ``exec``, and the
        run-time compiled sources seen (served by ``sourceReference``)."""
        paths: dict[str, str] = {}
        for _name, module in self._snapshot():
            path = _text(module_dict(module), "__file__")
            if path is not None and path.endswith(".py") and not codes.is_own_file(path):
                paths.setdefault(os.path.normcase(path), path)
        with self._lock:
            extra_files = [path for key, path in self._announced_files.items() if key not in paths]
            runtime = list(self._runtime.values())
        sources = [self._file_source(path) for path in [*paths.values(), *extra_files]]
        return {"sources": sources + runtime}

    # -- describing -------------------------------------------------------------------------------

    @staticmethod
    def _snapshot() -> list[tuple[str, object]]:
        """(name, module) of every real module in ``sys.modules`` right now."""
        while True:
            try:
                items = list(sys.modules.items())
                break
            except RuntimeError:  # another thread imported during the copy
                continue
        return [(name, module) for name, module in items if issubclass(type(module), ModuleType)]

    @staticmethod
    def _is_own(module: object) -> bool:
        path = _text(module_dict(module), "__file__")
        return path is not None and codes.is_own_file(path)

    def _file_source(self, path: str) -> dict[str, Any]:
        shown = self._sources.client_path(path)
        return {"name": os.path.basename(shown), "path": shown}

    def _describe(self, name: str, module: object) -> dict[str, Any]:
        """The DAP ``Module`` of one module: its name is its id (unique in ``sys.modules``)."""
        namespace = module_dict(module)
        described: dict[str, Any] = {"id": name, "name": name}
        path = _text(namespace, "__file__")
        if path is not None:
            described["path"] = path
        version = _text(namespace, "__version__") or (self._distribution_version(name, path) if path else None)
        if version is not None:
            described["version"] = version
        return described

    def _distribution_version(self, name: str, path: str) -> str | None:
        """The version of the installed distribution named like top-level module ``name``, from the
        ``NAME-VERSION.dist-info`` directory beside it (``pkg/__init__.py`` or ``mod.py`` / ``mod.so``)."""
        if "." in name:
            return None
        parent = os.path.dirname(path)
        if os.path.basename(path).startswith("__init__."):
            parent = os.path.dirname(parent)
        with self._lock:
            versions = self._versions_by_dir.get(parent)
        if versions is None:
            versions = {}
            try:
                entries = os.listdir(parent)
            except OSError:
                entries = []
            for entry in entries:
                match = _DIST_INFO.match(entry)
                if match is not None:
                    versions.setdefault(_normalized(match["name"]), match["version"])
            with self._lock:
                self._versions_by_dir[parent] = versions
        return versions.get(_normalized(name))


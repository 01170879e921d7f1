"""Loaded modules and sources: the ``modules`` and ``loadedSources`` requests and the ``module``/``loadedSource`` events.

How new code is noticed, and why this way: the engine's global PY_START already fires once for every code
object the first time it runs, to index it. A module's ``<module>`` code is among them, so the engine hands
each first-seen ``<module>`` code (imports, ``exec``, ``eval``) to :meth:`LoadedCode.module_code_started`, which
only notes it: the cost added to an import is one string comparison and a set insertion, and code that is not
module code pays one string comparison on first sight. The announcing (``sys.modules`` diffed against the
modules known, ``module`` and ``loadedSource`` events) happens right before each ``stopped`` event and before
answering ``modules``/``loadedSources``: a program that runs without stopping sends none of these events and
runs at full speed, and the client has them when it shows a stop (debugpy too reports modules lazily, as the
frames of a stop show them). Extension modules, which run no Python code, are found by the same diff.
Measured with ``scripts/bench_module_events.py``: see its docstring.

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
from types import CodeType, ModuleType

from . import codes
from .sources import Sources, is_synthetic

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

    #: An event's name and body.
    Event = tuple[str, dict[str, Any]]

#: How many distinct run-time sources (exec/eval/compile text) are announced and listed: the text of each
#: is kept for the ``source`` request, so a program that evals a million different strings must not keep
#: them all.
MAX_RUNTIME_SOURCES = 1000
#: ``NAME-VERSION.dist-info`` / ``.egg-info`` directory names.
_DIST_INFO = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+?)(?:-py[^-]*)?\.(?:dist|egg)-info$")
_MODULE_DICT: Any = ModuleType.__dict__["__dict__"]  # type: ignore[index]


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

    def __init__(self, sources: Sources, send_events: Callable[[list[Event]], None]) -> None:
        """``send_events`` sends events in one write, in order (``Channel.send_events``)."""
        self._sources = sources
        self._send_events = send_events
        self._lock = threading.Lock()
        # modules present when debugging started get no event: the client lists them with ``modules``
        self._known_modules: set[str] = set(sys.modules)
        # file names of ``<module>`` code seen since the last announcement (imports and exec'd files)
        self._pending_files: dict[str, None] = {}
        # maps the normcase'd path -> the path of each file announced by a loadedSource event
        self._announced_files: dict[str, str] = {}
        # run-time compiled ``<module>`` code not announced yet, and (name, text) of all such code seen
        self._pending_runtime: list[CodeType] = []
        self._runtime_seen: set[tuple[str, str | bytes]] = set()
        # DAP Sources of run-time compiled code, by sourceReference, in the order first seen
        self._runtime: dict[int, dict[str, Any]] = {}
        # maps a directory -> {normalized distribution name: version} from its *.dist-info entries
        self._versions_by_dir: dict[str, dict[str, str]] = {}

    # -- noticing ---------------------------------------------------------------------------------

    def module_code_started(self, code: CodeType) -> None:
        """The engine's hook, on first sight of a ``<module>`` code object (an import, ``exec`` or ``eval``),
        on the thread running it: only remember it (the announcement waits for the next stop). Never raises."""
        filename = code.co_filename
        try:
            if not self._sources.is_compiled_name(filename):
                with self._lock:
                    self._pending_files[filename] = None
                return
            text = self._sources.source_object(code)
            key = (filename, text) if text is not None else None
            with self._lock:
                if key is None or key in self._runtime_seen or len(self._runtime_seen) >= MAX_RUNTIME_SOURCES:
                    return
                self._runtime_seen.add(key)
                self._pending_runtime.append(code)
        except Exception:  # a bug here must not break the user's import; the requests list it anyway
            pass

    def send_event(self, event: str, body: dict[str, Any]) -> None:
        """The engine's way to send events: before a ``stopped`` event, what loaded since the last stop is
        announced, so the client knows the modules and sources of the stop it is about to show. They go
        in one write with it: after 100 imports, one event a write made the adapter read, relay and the
        client take them one by one (benchmarks S9: ~450 events, ~270 k adapter instructions each)."""
        self._send_events([*self._announcements(), (event, body)] if event == "stopped" else [(event, body)])

    def announce(self) -> None:
        """Send ``module`` events for modules added to ``sys.modules`` and ``loadedSource`` events for source
        files and run-time sources seen since the last call."""
        events = self._announcements()
        if events:
            self._send_events(events)

    def _announcements(self) -> list[Event]:
        """The ``module`` and ``loadedSource`` events of what loaded since the last call."""
        with self._lock:
            files, self._pending_files = self._pending_files, {}
            compiled, self._pending_runtime = self._pending_runtime, []
            fresh = self._fresh_modules()
            self._known_modules.update(name for name, _module in fresh)
        events: list[Event] = []
        for name, module in fresh:
            if self._is_own(module):
                continue
            events.append(("module", {"reason": "new", "module": self._describe(name, module)}))
            path = _text(module_dict(module), "__file__")
            if path is not None and path.endswith(".py"):
                self._announce_file(path, events)
        for filename in files:
            if not is_synthetic(filename) and not codes.is_own_file(filename):
                self._announce_file(filename, events)
        for code in compiled:
            source = self._sources.source_for(code)
            with self._lock:
                self._runtime[source["sourceReference"]] = source
            events.append(("loadedSource", {"reason": "new", "source": source}))
        return events

    def _announce_file(self, path: str, events: list[Event]) -> None:
        key = os.path.normcase(path)
        with self._lock:
            if key in self._announced_files:
                return
            self._announced_files[key] = path
        events.append(("loadedSource", {"reason": "new", "source": self._file_source(path)}))

    # -- requests ---------------------------------------------------------------------------------

    def modules(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Answer ``modules``: every module in ``sys.modules`` (ours left out) in import order, paged by
        ``startModule``/``moduleCount``.

        Raises:
            ValueError: a paging argument is not a non-negative integer.
        """
        self.announce()
        start, count = (arguments.get(name) or 0 for name in ("startModule", "moduleCount"))
        if type(start) is not int or type(count) is not int or start < 0 or count < 0:
            raise ValueError(f"startModule and moduleCount must be non-negative integers, got {start!r} and {count!r}")
        listed = [(name, module) for name, module in self._snapshot() if not self._is_own(module)]
        page = listed[start : start + count if count else None]
        return {"modules": [self._describe(name, module) for name, module in page], "totalModules": len(listed)}

    def loaded_sources(self) -> dict[str, Any]:
        """Answer ``loadedSources``: the ``.py`` file of every loaded module, files run by ``exec``, and the
        run-time compiled sources seen (served by ``sourceReference``)."""
        self.announce()
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

    def _fresh_modules(self) -> list[tuple[str, object]]:
        """(name, module) of the real modules in ``sys.modules`` not announced yet, in import order.
        The names are compared as sets first, in C: at most stops nothing was imported, and walking
        ``sys.modules`` in Python cost ~170k instructions per stop (benchmarks S10). ``keys() <=``
        builds no set (``keys() -`` copied every name: half the cost again). Caller holds the lock."""
        try:
            if sys.modules.keys() <= self._known_modules:
                return []
        except RuntimeError:  # another thread imported during the comparison: look at each one
            pass
        return [(name, module) for name, module in self._snapshot() if name not in self._known_modules]

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

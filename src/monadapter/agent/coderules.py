"""debugpy's ``rules``: the user's own say on which code is theirs, before justMyCode's default.

``rules`` is a list of ``{"path": GLOB, "include": BOOL}`` or ``{"module": GLOB, "include": BOOL}``;
the first rule that matches a file decides: ``include: true`` makes it user code (steps stop there,
the ``raised``/``userUnhandled`` filters count it as the user's, its frames are not marked as
library code), ``include: false`` makes it library code. A file no rule matches is decided by
justMyCode as before (the standard library and site-packages are library code). Our own files are
never user code, whatever a rule says.

* ``path``: a glob over the absolute file name, matched one path component at a time (``*``, ``?``,
  ``[...]`` within a component, ``**`` for any number of components); relative to the program's
  working directory when not absolute. A path without wildcards names that file, or everything
  under it when it is a directory (debugpy does the same).
* ``module``: a glob over the dotted name of the module the file was imported as (``__main__`` for
  the program); it matches the module and its submodules (``requests`` covers ``requests.api``).

Standard library only: runs in the debuggee.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from .records import Value

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any


class RulesError(ValueError):
    """A ``rules`` value that is not a list of rules; the message says what is wrong."""


class Rule(Value):
    """One rule: a path glob (split into components) or a module glob, and what a match means."""

    __slots__ = ("include", "path", "module")

    def __init__(self, include: bool, path: tuple[str, ...] | None = None, module: str | None = None) -> None:
        self.include = include
        self.path = path
        self.module = module

    def matches(self, filename: str, module: str | None) -> bool:
        if self.path is not None:
            return _match_components(self.path, _components(filename))
        from fnmatch import fnmatchcase  # loaded by Rules.parse: a lookup in sys.modules, no lock

        return module is not None and any(fnmatchcase(name, self.module or "") for name in _module_and_parents(module))


class Rules:
    """The rules of a launch or attach, in order; :meth:`verdict` says what the first match decides."""

    def __init__(self, rules: Sequence[Rule] = ()) -> None:
        self.rules = tuple(rules)

    @classmethod
    def parse(cls, raw: Any, cwd: str) -> Rules:
        """Read debugpy's ``rules`` value (None: no rules); raises RulesError naming the bad entry."""
        if raw is None:
            return cls()
        if not isinstance(raw, list):
            raise RulesError(f"rules must be a list of {{path|module, include}} objects, got {raw!r}")
        if raw:
            # here, on the I/O thread, so that the callbacks that match rules find them loaded; not in
            # a session without rules (benchmarks A2)
            import fnmatch  # noqa: F401

            from . import static  # noqa: F401
        return cls([_parse_rule(entry, cwd) for entry in raw])

    def verdict(self, filename: str) -> bool | None:
        """True: ``filename`` is user code; False: it is library code; None: no rule matches."""
        if not self.rules:
            return None
        path = os.path.normcase(os.path.abspath(filename))
        module = _module_of(filename) if any(rule.module is not None for rule in self.rules) else None
        for rule in self.rules:
            if rule.matches(path, module):
                return rule.include
        return None


def _parse_rule(entry: Any, cwd: str) -> Rule:
    if not isinstance(entry, dict) or not isinstance(entry.get("include"), bool):
        raise RulesError(f"each rule needs 'include': true or false, got {entry!r}")
    path, module = entry.get("path"), entry.get("module")
    value = path if path is not None else module
    if (path is None) == (module is None) or not isinstance(value, str) or not value:
        raise RulesError(f"each rule needs exactly one of 'path' or 'module' (a non-empty string), got {entry!r}")
    if module is not None:
        return Rule(entry["include"], module=module)
    assert isinstance(path, str)  # checked above: value is path when module is None
    full = os.path.normcase(os.path.abspath(os.path.join(cwd, os.path.expanduser(path))))
    if not any(magic in path for magic in "*?[") and os.path.isdir(full):
        full = os.path.join(full, "**")
    return Rule(entry["include"], path=_components(full))


def _components(path: str) -> tuple[str, ...]:
    return tuple(part for part in path.replace(os.sep, "/").split("/") if part)


def _match_components(pattern: Sequence[str], parts: Sequence[str]) -> bool:
    """Whether ``parts`` (a path's components) match ``pattern``'s, ``**`` standing for any number."""
    if not pattern:
        return not parts
    head = pattern[0]
    if head == "**":
        return any(_match_components(pattern[1:], parts[start:]) for start in range(len(parts) + 1))
    from fnmatch import fnmatchcase  # loaded by Rules.parse: a lookup in sys.modules, no lock

    return bool(parts) and fnmatchcase(parts[0], head) and _match_components(pattern[1:], parts[1:])


def _module_and_parents(module: str) -> list[str]:
    """``a.b.c`` -> ``["a.b.c", "a.b", "a"]``: a rule for a package covers its submodules."""
    parts = module.split(".")
    return [".".join(parts[:end]) for end in range(len(parts), 0, -1)]


def _module_of(filename: str) -> str | None:
    """The name of the loaded module whose file ``filename`` is (read from module dicts: no module
    ``__getattr__`` runs), None when no module has it (run-time code, a file not imported)."""
    from .static import instance_dict  # loaded by Rules.parse: our table's entry, no lock

    wanted = os.path.normcase(os.path.abspath(filename))
    for name, module in list(sys.modules.items()):
        file = instance_dict(module).get("__file__")
        if isinstance(file, str) and os.path.normcase(os.path.abspath(file)) == wanted:
            return name
    return None

"""The agent: what runs inside the debuggee (standard library only, Python 3.12+).

The program may replace builtins while it runs (``mock.patch("builtins.open")``, a counting
``isinstance``): our code must neither call its replacements (it would see calls it never made,
or our callbacks would fail on its mocks) nor depend on them. So every module of this package runs
on a copy of the builtins taken when the package is imported, before the program runs: the
loader of our submodules puts that copy in a module's globals as ``__builtins__`` before its code
runs, and the functions it defines take their builtins from there. (Standard-library code we call
keeps the program's builtins: json, traceback and the like are the program's modules too.)
"""

from __future__ import annotations

import builtins
import sys
from importlib.machinery import SOURCE_SUFFIXES, FileFinder, SourceFileLoader
from types import ModuleType

#: The builtins our functions use, whatever the program does to the ``builtins`` module later.
BUILTINS: dict[str, object] = dict(vars(builtins))


class _PinnedBuiltinsLoader(SourceFileLoader):
    """Loads a module of this package with :data:`BUILTINS` as its ``__builtins__``."""

    def exec_module(self, module: ModuleType) -> None:
        vars(module)["__builtins__"] = BUILTINS
        super().exec_module(module)


for _directory in __path__:
    sys.path_importer_cache[_directory] = FileFinder(_directory, (_PinnedBuiltinsLoader, SOURCE_SUFFIXES))

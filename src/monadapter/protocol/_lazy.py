"""``_generated.py`` loaded class by class: a model is defined the first time it is asked for.

Creating a pydantic model class costs about 0.3 ms even with ``defer_build`` (pydantic collects
its fields and inspects its namespace): some 70 ms for the 229 classes of ``_generated.py``, a
third of the adapter's start before this module. A session uses a few dozen of them, the first
``initialize`` four. So the module object that stands for ``monadapter.protocol._generated`` in
``sys.modules`` is a :class:`LazyModels`: it reads the file's text once, splits it at its
top-level classes, and executes a class's own definition, after the classes it names, the first
time the class is looked up. The file stays the one source of the models (mypy, the generator's
``--check`` and readers see it as it is) and each class exists once, in that module, compiled
with its line numbers in the file so tracebacks point at the right lines.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

#: A top-level class statement of the generated file, and its name.
_CLASS = re.compile(r"^class (\w+)\(", re.MULTILINE)
#: The first top-level line that is not a class: ``__all__ = [...]`` ends the class definitions.
_TAIL = re.compile(r"^__all__ = ", re.MULTILINE)
#: Docstrings, which name other models in prose ("... the `Source` of ..."): not dependencies.
_DOCSTRING = re.compile(r'"""[\s\S]*?"""')
_IDENTIFIER = re.compile(r"\b[A-Z]\w*")
#: The command literal of a request model (only request models have one).
_COMMAND = re.compile(r'^    command: Literal\["([^"]+)"\]$', re.MULTILINE)


class LazyModels(types.ModuleType):
    """The generated models' module; an attribute that names a model defines it on first access."""

    def __init__(self, name: str, path: Path) -> None:
        super().__init__(name)
        source = path.read_text(encoding="utf-8")
        starts = [match.start() for match in _CLASS.finditer(source)]
        tail = _TAIL.search(source)
        if not starts or tail is None:
            raise ImportError(f"{path} does not look like the generated DAP models", name=name, path=str(path))
        self.__file__ = str(path)
        self._path = str(path)
        self._chunks: dict[str, tuple[int, str]] = {}
        line = source.count("\n", 0, starts[0])
        for start, end in zip(starts, [*starts[1:], tail.start()], strict=True):
            chunk = source[start:end]
            (model,) = _CLASS.match(chunk).groups()  # type: ignore[union-attr]  # every chunk starts so
            self._chunks[model] = (line, chunk)
            line += chunk.count("\n")
        self._defining: set[str] = set()
        self._exec(0, source[: starts[0]])  # the docstring and the imports
        self._exec(line, source[tail.start() :])  # __all__

    def request_commands(self) -> dict[str, str]:
        """command -> name of its request model, read from the models' ``command`` literals."""
        found: dict[str, str] = {}
        for model, (_, chunk) in self._chunks.items():
            match = _COMMAND.search(chunk)
            if match is not None:
                found[match.group(1)] = model
        return found

    def __getattr__(self, name: str) -> Any:
        """Define the model ``name`` (and first the models its definition uses)."""
        if name not in self.__dict__.get("_chunks", ()):
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        self._define(name)
        return self.__dict__[name]

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self._chunks})

    def _define(self, name: str) -> None:
        if name in self.__dict__ or name in self._defining:
            return  # defined, or being defined: only a model's own quoted name refers back to it
        self._defining.add(name)
        try:
            line, chunk = self._chunks[name]
            for used in sorted(set(_IDENTIFIER.findall(_DOCSTRING.sub("", chunk))) - {name}):
                if used in self._chunks:
                    self._define(used)
            self._exec(line, chunk)
        finally:
            self._defining.discard(name)

    def _exec(self, line: int, text: str) -> None:
        exec(compile("\n" * line + text, self._path, "exec"), self.__dict__)


def install(name: str, path: Path) -> LazyModels:
    """Put a :class:`LazyModels` for ``path`` in ``sys.modules`` as ``name`` (once) and return it."""
    module = sys.modules.get(name)
    if not isinstance(module, LazyModels):
        module = LazyModels(name, path)
        sys.modules[name] = module
    return module

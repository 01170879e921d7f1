"""Bases of the agent's small data classes, in place of ``dataclasses``.

Importing ``dataclasses`` loads ``inspect`` and through it ``ast``, ``dis`` and ``tokenize``: ~1.5 MB
in every debuggee, for a dozen classes (benchmarks A2). A class here names its fields in
``__slots__`` and writes its own ``__init__``; these bases give what the decorator did besides.
"""

from __future__ import annotations


class Record:
    """``__repr__`` from the fields (the ``__slots__`` of the class and its bases), as a dataclass's."""

    __slots__ = ()

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in _field_names(type(self)))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _field_names(type(self)))
        return f"{type(self).__qualname__}({shown})"


class Value(Record):
    """A record compared and hashed by its fields (a frozen dataclass): two of the same class with
    equal fields are equal."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())


def _field_names(cls: type) -> tuple[str, ...]:
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        slots = vars(klass).get("__slots__", ())
        names.extend(name for name in ((slots,) if isinstance(slots, str) else slots) if name != "__weakref__")
    return tuple(names)

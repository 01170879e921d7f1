"""What a value has to list as children, read without running the program's code: its kind of container and
length, its attributes from ``__dict__`` and ``__slots__``, its class's properties, a scope's variables.

Attributes are read from ``__dict__`` and slots directly, never with ``getattr``, so reading them never
runs a property (the expander lists properties as lazy entries, see variable_refs.PropertyRef). Types are
asked with ``type(value)``: ``isinstance`` would read ``value.__class__``, running a custom
``__getattribute__``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from types import MemberDescriptorType

from monadapter.agent.static import TYPE_DICT, TYPE_MRO, class_lookup, class_name, first_definitions, instance_dict
from monadapter.agent.variable_refs import ScopeRef, Synthetic

TYPE_CHECKING = False  # typing is for mypy only: a stop's scopes read with this module (agent/stack.py)
if TYPE_CHECKING:
    from typing import Any, Literal

_TEXT_TYPES = (str, bytes, bytearray, memoryview, range)


def container_kind(value: Any) -> Literal["mapping", "sequence", "set"] | None:
    """Return how ``value``'s items are listed, or None when it has no items to show (text counts as scalar).

    Decided on ``type(value)``: ``isinstance`` would read ``value.__class__``, running a custom
    ``__getattribute__``.
    """
    return container_kind_of_type(type(value))


def container_kind_of_type(kind: type) -> Literal["mapping", "sequence", "set"] | None:
    """Return the :func:`container_kind` of the instances of ``kind``."""
    if issubclass(kind, (*_TEXT_TYPES, type)):
        return None
    if issubclass(kind, Mapping):
        return "mapping"
    if issubclass(kind, Sequence):
        return "sequence"
    if issubclass(kind, Set):
        return "set"
    return None


def item_count(value: Any, kind: str | None) -> int:
    """Return the number of indexed children; a ``__len__`` that fails counts as none."""
    if kind is None:
        return 0
    try:
        return len(value)
    except Exception:
        return 0


def attributes(value: Any) -> list[tuple[str, Any]]:
    """Return ``value``'s attributes from its ``__dict__`` and ``__slots__`` without running properties.

    Two kinds of value get the attributes people look for although they live elsewhere: a named tuple's
    fields (read by index) and an exception's ``args`` (a C-level attribute).
    """
    kind = type(value)
    if kind is Synthetic:
        return value.members()
    members: list[tuple[str, Any]] = []
    fields = class_lookup(kind, "_fields") if issubclass(kind, tuple) else None
    if isinstance(fields, tuple) and all(type(field) is str for field in fields):
        members.extend(
            (field, tuple.__getitem__(value, index)) for index, field in enumerate(fields) if index < len(value)
        )
    if issubclass(kind, BaseException):
        members.append(("args", BaseException.args.__get__(value)))  # type: ignore[attr-defined]
    namespace = TYPE_DICT.__get__(value) if issubclass(kind, type) else instance_dict(value)
    members.extend((name, item) for name, item in namespace.items() if type(name) is str)
    for name, descriptor in slot_descriptors(type(value)):
        try:
            members.append((name, descriptor.__get__(value, type(value))))
        except AttributeError:  # a slot that was never assigned
            continue
    return members


def slot_descriptors(cls: type) -> tuple[tuple[str, MemberDescriptorType], ...]:
    """Return (attribute name, member descriptor) for every ``__slots__`` entry of ``cls`` and its bases."""
    found = []
    for klass in TYPE_MRO.__get__(cls):
        namespace = TYPE_DICT.__get__(klass)
        slots = namespace.get("__slots__", ())
        for slot in (slots,) if isinstance(slots, str) else slots:
            if slot in ("__dict__", "__weakref__"):
                continue
            name = mangle_prefix(klass) + slot if slot.startswith("__") and not slot.endswith("__") else slot
            descriptor = namespace.get(name)
            if type(descriptor) is MemberDescriptorType:
                found.append((name, descriptor))
    return tuple(found)


def class_properties(cls: type) -> list[tuple[str, property]]:
    """Return (name, property) for the properties of ``cls`` and its bases that no earlier class shadows.

    Read from the class namespaces with the C descriptors of ``type``: finding a property runs no code.
    """
    return [(name, member) for name, member in first_definitions(cls) if issubclass(type(member), property)]


def scope_members(ref: ScopeRef) -> list[tuple[str, Any]]:
    """Return the (name, value) pairs of a frame scope, in definition order."""
    namespace = ref.frame.f_locals if ref.which == "locals" else ref.frame.f_globals
    return [(name, value) for name, value in namespace.items() if isinstance(name, str)]


def mangle_prefix(klass: type) -> str:
    """Return what Python puts before a ``__name`` written in the body of ``klass``: ``_Class``."""
    return f"_{class_name(klass).lstrip('_')}"

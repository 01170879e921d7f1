"""Attribute lookups that run none of the program's code: only the C descriptors of ``type``.

``getattr``, ``inspect.getattr_static`` and even ``type(obj).__getattribute__`` can run a class's or
metaclass's ``__getattribute__``, a property or a ``__dict__`` defined in Python. Hovers and
completions must never change the program, so they read classes through these helpers instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import GetSetDescriptorType, MemberDescriptorType
from typing import Any

# The C descriptors behind ``cls.__dict__``, ``cls.__mro__`` and ``cls.__qualname__``: calling them
# runs no user code, whatever the metaclass defines.
TYPE_DICT = type.__dict__["__dict__"]
TYPE_MRO = type.__dict__["__mro__"]
_TYPE_QUALNAME = type.__dict__["__qualname__"]
_TYPE_NAME = type.__dict__["__name__"]

#: What :func:`class_lookup` returns when no class of the MRO defines the name.
MISSING = object()


def class_lookup(klass: type, name: str) -> Any:
    """The attribute ``name`` as the first class of ``klass.__mro__`` defining it holds it, or MISSING."""
    for base in TYPE_MRO.__get__(klass):
        namespace = TYPE_DICT.__get__(base)
        if name in namespace:
            return namespace[name]
    return MISSING


def qualname(klass: type) -> str:
    """``klass.__qualname__`` read without the metaclass."""
    return str(_TYPE_QUALNAME.__get__(klass))


def class_name(klass: type) -> str:
    """``klass.__name__`` read without the metaclass."""
    return str(_TYPE_NAME.__get__(klass))


def instance_dict(owner: Any) -> Mapping[str, Any]:
    """``owner.__dict__`` when a C slot or member of its type provides it; {} when a class defines ``__dict__``
    itself (a property there would run) or the object has none."""
    descriptor = class_lookup(type(owner), "__dict__")
    if type(descriptor) not in (GetSetDescriptorType, MemberDescriptorType):
        return {}
    try:
        namespace = descriptor.__get__(owner, type(owner))
    except Exception:
        return {}
    return namespace if type(namespace) is dict else {}

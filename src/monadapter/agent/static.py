"""Attribute lookups that run none of the program's code: only the C descriptors of ``type``.

``getattr``, ``inspect.getattr_static`` and even ``type(obj).__getattribute__`` can run a class's or
metaclass's ``__getattribute__``, a property or a ``__dict__`` defined in Python. Hovers and
completions must never change the program, so they read classes through these helpers instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import (
    BuiltinFunctionType,
    ClassMethodDescriptorType,
    FunctionType,
    GetSetDescriptorType,
    MemberDescriptorType,
    MethodDescriptorType,
    MethodType,
    MethodWrapperType,
    ModuleType,
    WrapperDescriptorType,
)

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any, Literal

    ValueKind = Literal["module", "class", "function", "method", "property", "data"]

# The C descriptors behind ``cls.__dict__``, ``cls.__mro__`` and ``cls.__qualname__``: calling them
# runs no user code, whatever the metaclass defines.
TYPE_DICT = type.__dict__["__dict__"]
TYPE_MRO = type.__dict__["__mro__"]
_TYPE_QUALNAME = type.__dict__["__qualname__"]
_TYPE_NAME = type.__dict__["__name__"]
_TYPE_FLAGS = type.__dict__["__flags__"]
#: Py_TPFLAGS_IMMUTABLETYPE: the class's attributes cannot be set or deleted (the built-in types,
#: and extension types that ask for it).
_IMMUTABLE = 1 << 8

#: What a value is, for completions (``type``) and variables (``presentationHint.kind``): kind_of_type.
_FUNCTION_TYPES = (FunctionType, BuiltinFunctionType)
_METHOD_TYPES = (
    MethodType,
    MethodWrapperType,
    MethodDescriptorType,
    WrapperDescriptorType,
    ClassMethodDescriptorType,
    classmethod,
    staticmethod,
)
_PROPERTY_TYPES = (property, GetSetDescriptorType, MemberDescriptorType)


def kind_of_type(kind: type) -> ValueKind:
    """What values of the class ``kind`` are: the one classification behind completion types and
    variables' presentation kinds. Decided on the class alone (``isinstance`` may read a
    ``__class__`` property)."""
    if issubclass(kind, ModuleType):
        return "module"
    if issubclass(kind, type):
        return "class"
    if issubclass(kind, _FUNCTION_TYPES):
        return "function"
    if issubclass(kind, _METHOD_TYPES):
        return "method"
    if issubclass(kind, _PROPERTY_TYPES):
        return "property"
    return "data"


#: What :func:`class_lookup` returns when no class of the MRO defines the name.
MISSING = object()


def class_lookup(klass: type, name: str) -> Any:
    """The attribute ``name`` as the first class of ``klass.__mro__`` defining it holds it, or MISSING."""
    for base in TYPE_MRO.__get__(klass):
        namespace = TYPE_DICT.__get__(base)
        if name in namespace:
            return namespace[name]
    return MISSING


def is_immutable(klass: type) -> bool:
    """Whether nothing about ``klass`` can change: it and every class of its MRO refuse new
    attributes (``int``, ``list``, ``dict``...; a subclass written in Python never does)."""
    return all(_TYPE_FLAGS.__get__(base) & _IMMUTABLE for base in TYPE_MRO.__get__(klass))


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


#: Class attribute types whose ``__get__`` is C that calls nothing of the program's: binding one gives
#: what ``instance.name`` gives (a bound method, a C getter's value).
_C_BINDERS = frozenset(
    {
        FunctionType,
        WrapperDescriptorType,
        MethodDescriptorType,
        ClassMethodDescriptorType,
        GetSetDescriptorType,
        MemberDescriptorType,
    }
)
#: Special names whose C getters may run program code (3.14's annotate functions evaluate annotations).
_RUNS_CODE = frozenset({"__annotations__", "__annotate__"})


def is_dunder(name: str) -> bool:
    """True for special names such as ``__init__``, which Python neither mangles nor treats as private."""
    return name.startswith("__") and name.endswith("__") and len(name) > 4


def first_definitions(klass: type) -> Iterator[tuple[str, Any]]:
    """(name, class attribute) for each name ``klass`` and its bases define, the first definition of each
    in the MRO (the one ``klass.name`` finds), read with the C descriptors of ``type``: no code runs."""
    seen: set[str] = set()
    for base in TYPE_MRO.__get__(klass):
        for name, attribute in TYPE_DICT.__get__(base).items():
            if type(name) is str and name not in seen:
                seen.add(name)
                yield name, attribute


def class_specials(klass: type) -> tuple[tuple[str, Any], ...]:
    """(name, class attribute) of the special names ``klass`` and its bases define, the first definition
    of each, as debugpy's "special variables" list them (``__class__``, ``__doc__``, ``__init__``...).

    Left out: those only code could read (a property: listed lazily elsewhere; a descriptor written in
    Python; the annotations getters).
    """
    return tuple(
        (name, attribute)
        for name, attribute in first_definitions(klass)
        if is_dunder(name)
        and name not in _RUNS_CODE
        and (binds_in_c(type(attribute)) or class_lookup(type(attribute), "__get__") is MISSING)
    )


def binds_in_c(kind: type) -> bool:
    """Whether binding a class attribute of type ``kind`` (``instance.name``) runs C alone, calling
    nothing of the program's. Exact types: a subclass (of ``classmethod``, say) may define its own
    ``__get__``."""
    return kind in _C_BINDERS or kind is staticmethod or kind is classmethod


def bind_special(attribute: Any, owner: Any) -> Any:
    """``owner.NAME`` for a class attribute from :func:`class_specials`, through C only; raises what the
    C getter raises (AttributeError for an unset ``__abstractmethods__``)."""
    kind = type(attribute)
    if kind in _C_BINDERS:
        return kind.__get__(attribute, owner, type(owner))
    if kind is staticmethod:
        return attribute.__func__
    if kind is classmethod:
        return MethodType(attribute.__func__, type(owner))
    return attribute

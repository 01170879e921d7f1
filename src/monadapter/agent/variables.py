"""What a variablesReference expands to, the DAP ``Variable`` entries of its children, and writes to them.

A reference names either a scope of a frame (:class:`ScopeRef`) or a value (:class:`ValueRef`). Children
come in two kinds, as DAP pages them: *indexed* ones (list and tuple items, dict entries, set members,
fetched lazily with ``itertools.islice`` so the first page of a 100k list costs the same as a short one)
and *named* ones (attributes from ``__dict__`` and ``__slots__``, scope variables, the ``len()`` entry and
the "special/function/class variables" groups, grouped like debugpy's ``variablePresentation``).
Attributes are read from ``__dict__`` and slots directly, never with ``getattr``, so expanding an object
never runs a property: properties are listed as *lazy* entries (DAP ``presentationHint.lazy``) whose
reference (:class:`PropertyRef`) runs the getter only when the client expands it.
"""

from __future__ import annotations

import ast
import json
import keyword
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence, Set
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from json.encoder import encode_basestring
from types import (
    FrameType,
    MemberDescriptorType,
)
from typing import Any, Literal

from monadapter.agent import plain_items
from monadapter.agent.formatting import REPR_LIMIT, describe_exception, display, type_name
from monadapter.agent.handles import Handles, InspectError
from monadapter.agent.static import (
    MISSING,
    TYPE_DICT,
    TYPE_MRO,
    bind_special,
    class_lookup,
    class_name,
    class_specials,
    first_definitions,
    instance_dict,
    is_dunder,
    kind_of_type,
    qualname,
)
from monadapter.agent.wire import RawJSON

#: Title of each group node, by the category name used in ``variablePresentation``.
GROUP_TITLES = {
    "special": "special variables",
    "function": "function variables",
    "class": "class variables",
    "protected": "protected variables",
}
#: Name of the synthetic child that shows a container's length.
LEN_NAME = "len()"
#: Prefix of the synthetic entries that show a return value in the Locals scope.
RETURN_PREFIX = "(return) "

_TEXT_TYPES = (str, bytes, bytearray, memoryview, range)
_IS_PY313 = sys.version_info >= (3, 13)
_MISSING = object()
_PROPERTY_FSET = property.__dict__["fset"]  # a subclass of property may override ``fset``: read the C member
_CO_OPTIMIZED = 0x1  # inspect.CO_OPTIMIZED: the code keeps its locals in fast slots (a function body)

Placement = Literal["group", "inline", "hide"]


class Synthetic:
    """A value the debugger makes up to show (the asyncio tasks scope): its children are ``children``
    (or what it returns, read only when the entry is opened), its value shown is ``summary``, and it
    lists no special variables."""

    __slots__ = ("children", "summary")

    def __init__(self, summary: str, children: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
        self.summary = summary
        self.children = children

    def members(self) -> list[tuple[str, Any]]:
        children = self.children
        return list((children() if callable(children) else children).items())

    def __repr__(self) -> str:
        return self.summary


@dataclass(frozen=True, eq=False)
class ScopeRef:
    """The Locals or Globals scope of a frame, or one group inside it."""

    frame: FrameType
    which: Literal["locals", "globals"]
    return_value: tuple[str, Any] | None = None
    group: str | None = None


@dataclass(frozen=True, eq=False)
class ValueRef:
    """A value whose children can be listed; ``frame`` is where setVariable evaluates new values."""

    frame: FrameType | None
    value: Any
    evaluate_name: str | None
    group: str | None = None


@dataclass(frozen=True, eq=False)
class PropertyRef:
    """A property of ``owner`` not yet read: expanding it runs the getter (the lazy entry's only child)."""

    frame: FrameType | None
    owner: Any
    name: str
    descriptor: property
    evaluate_name: str | None


@dataclass(frozen=True, eq=False)
class Unread:
    """Stands for a property among an object's members, so that listing them runs no getter."""

    descriptor: property


Ref = ScopeRef | ValueRef | PropertyRef


@dataclass(frozen=True)
class Presentation:
    """Where each category of named children goes: debugpy's ``variablePresentation`` launch option."""

    special: Placement = "group"
    function: Placement = "group"
    klass: Placement = "group"
    protected: Placement = "inline"

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Presentation:
        """Read ``variablePresentation`` ({all, special, function, class, protected}: group|inline|hide)."""
        raw = options.get("variablePresentation")
        if not isinstance(raw, Mapping):
            return cls()
        valid = ("group", "inline", "hide")

        def pick(key: str, default: Placement) -> Placement:
            value = raw.get(key, raw.get("all", default))
            return value if value in valid else default

        return cls(
            special=pick("special", "group"),
            function=pick("function", "group"),
            klass=pick("class", "group"),
            protected=pick("protected", "inline"),
        )

    def place(self, name: str, value: Any) -> tuple[Placement, str]:
        """Return where a named child goes and its category."""
        if is_dunder(name):
            return self.special, "special"
        kind = presentation_kind(value)
        if kind == "method":
            return self.function, "function"
        if kind == "class":
            return self.klass, "class"
        if name.startswith("_"):
            return self.protected, "protected"
        return "inline", ""


def presentation_kind(value: Any) -> Literal["method", "class", "data"]:
    """The DAP ``presentationHint.kind`` of a value, decided on ``type(value)`` alone."""
    return _presentation_of_type(type(value))


def _presentation_of_type(kind: type) -> Literal["method", "class", "data"]:
    """static.kind_of_type as DAP's presentation kinds: functions and methods are "method"."""
    found = kind_of_type(kind)
    if found in ("function", "method"):
        return "method"
    return "class" if found == "class" else "data"


def visibility(name: str, owner: type | None) -> Literal["private", "protected"] | None:
    """Return the DAP ``visibility`` of attribute ``name`` of an instance (or subclass) of ``owner``.

    ``private`` for names Python mangles: ``__x`` and its stored form ``_Class__x`` for a class of
    ``owner``'s MRO; ``protected`` for other ``_x`` names (debugpy's "protected" category); None otherwise.
    """
    if not name.startswith("_") or is_dunder(name):
        return None
    if name.startswith("__"):
        return "private"
    if owner is not None and "__" in name[2:]:
        if any(name.startswith(mangle_prefix(klass) + "__") for klass in TYPE_MRO.__get__(owner)):
            return "private"
    return "protected"


def mangle_prefix(klass: type) -> str:
    """Return what Python puts before a ``__name`` written in the body of ``klass``: ``_Class``."""
    return f"_{class_name(klass).lstrip('_')}"


# --- reading values -------------------------------------------------------------------------------------


def container_kind(value: Any) -> Literal["mapping", "sequence", "set"] | None:
    """Return how ``value``'s items are listed, or None when it has no items to show (text counts as scalar).

    Decided on ``type(value)``: ``isinstance`` would read ``value.__class__``, running a custom
    ``__getattribute__``.
    """
    return _container_kind_of_type(type(value))


def _container_kind_of_type(kind: type) -> Literal["mapping", "sequence", "set"] | None:
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
    for name, descriptor in _slot_descriptors(type(value)):
        try:
            members.append((name, descriptor.__get__(value, type(value))))
        except AttributeError:  # a slot that was never assigned
            continue
    return members


def _slot_descriptors(cls: type) -> tuple[tuple[str, MemberDescriptorType], ...]:
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


def postfix_base(expression: str) -> str:
    """Return ``expression`` ready to take ``[i]`` or ``.name`` after it, parenthesised when it needs it."""
    return expression if _is_primary(expression) else f"({expression})"


@lru_cache(maxsize=4096)
def _is_primary(expression: str) -> bool:
    try:
        body = ast.parse(expression, mode="eval").body
    except SyntaxError:
        return False
    return isinstance(body, (ast.Name, ast.Attribute, ast.Subscript, ast.Call))


def attribute_expression(parent: str | None, name: str) -> str | None:
    """Return the expression that reads attribute ``name`` of the value written ``parent``."""
    if parent is None:
        return None
    if name.isidentifier() and not keyword.iskeyword(name):
        return f"{postfix_base(parent)}.{name}"
    return f"getattr({parent}, {name!r})"


def key_literal(key: Any) -> str | None:
    """Return source text that evaluates to ``key``, or None when the key has no literal form."""
    kind = type(key)
    if kind is int:
        try:
            return repr(key)
        except ValueError:  # more digits than str() converts (sys.get_int_max_str_digits): no literal
            return None
    if kind in (str, bytes, bool) or key is None:
        return repr(key)
    if kind is float and key == key and key not in (float("inf"), float("-inf")):
        return repr(key)
    if kind is tuple:
        parts = [key_literal(item) for item in key]
        if all(part is not None for part in parts):
            return f"({', '.join(parts)}{',' if len(parts) == 1 else ''})"  # type: ignore[arg-type]
    return None


# --- frame namespaces -------------------------------------------------------------------------------------


def is_function_frame(frame: FrameType) -> bool:
    """True when the frame keeps its locals in fast slots (a function body, not module or class code)."""
    return bool(frame.f_code.co_flags & _CO_OPTIMIZED)


def fast_local_names(frame: FrameType) -> set[str]:
    """Return the names that are real local variables (including cells) of a function frame."""
    code = frame.f_code
    return set(code.co_varnames) | set(code.co_cellvars) | set(code.co_freevars)


@contextmanager
def writable_locals(frame: FrameType) -> Iterator[MutableMapping[str, Any]]:
    """Yield ``frame``'s locals mapping; on exit, names bound or rebound in it reach the running frame.

    On 3.13 ``f_locals`` is a write-through proxy (module and class frames give their real dict), so
    there is nothing to do. On 3.12 a function frame's ``f_locals`` is a snapshot dict: the names that
    changed in it are copied back into the fast slots (cells too) with ``PyFrame_LocalsToFast(frame, 0)``
    (docs/sys-monitoring/locals_write.py). Only the changed names are written: the snapshot is taken again just
    before the copy, so a cell that code run meanwhile changed (a called closure's ``nonlocal``) keeps its
    new value instead of the stale one from the first snapshot. A deleted name is not unbound: 3.12 cannot
    do that (callers refuse ``del`` of a function local up front).
    """
    namespace = frame.f_locals  # read once: on 3.12 another read would copy the old values over our writes
    if _IS_PY313 or not is_function_frame(frame):
        yield namespace
        return
    before = dict(namespace)
    try:
        yield namespace
    finally:
        changed = {name: value for name, value in namespace.items() if before.get(name, _MISSING) is not value}
        if changed:
            fresh = frame.f_locals  # the same dict object, refilled from the fast slots
            fresh.update(changed)
            _locals_to_fast()(frame, 0)


@lru_cache(maxsize=1)
def _locals_to_fast() -> Callable[[FrameType, int], None]:
    import ctypes  # only needed on 3.12, and only once a local is written

    function = ctypes.pythonapi.PyFrame_LocalsToFast
    function.argtypes = [ctypes.py_object, ctypes.c_int]
    function.restype = None
    return function


def write_name(
    frame: FrameType, name: str, value: Any, *, which: Literal["locals", "globals", "auto"] = "auto"
) -> None:
    """Bind ``name`` to ``value`` in the paused ``frame`` so that the program sees it when it resumes.

    ``auto`` follows assignment in the frame's own code: a function frame writes its local (or cell)
    variable when ``name`` is one, else the module global; module and class code write their namespace.
    """
    if which == "globals" or (which == "auto" and is_function_frame(frame) and name not in fast_local_names(frame)):
        frame.f_globals[name] = value
        return
    with writable_locals(frame) as namespace:
        namespace[name] = value


# --- the children of a reference ---------------------------------------------------------------------------

#: A DAP ``Variable``: a dict, or (an item of a childless class) its JSON text already, or the encoded JSON
#: text of a run of them (plain_items).
Entry = dict[str, Any] | str | bytes
Segment = tuple[int, Callable[[int, int], list[Entry]]]
#: Items of a page named, written and encoded together: a run's text (~40 KB of plain entries) comes from
#: memory the allocator has at hand, where a 1.4 MB page written whole was fresh memory every time, each
#: of its pages a fault (~800 per 10k-entry request; benchmarks S11)
_RUN_ITEMS = 256
#: How a dict Entry becomes JSON text: what json.dumps(ensure_ascii=False) with wire.py's separators writes.
_ENTRY_TO_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


@dataclass(frozen=True, slots=True)
class TypeFacts:
    """What listing a value needs to know about its class: found once per class and request, not per value."""

    klass: type  # held so that the identity hash the facts are cached under cannot be reused meanwhile
    name: str
    kind: Literal["method", "class", "data"]
    container: Literal["mapping", "sequence", "set"] | None
    properties: list[tuple[str, property]]
    #: no instance can have children: not a container, a class or an exception, no ``__dict__``, slots or
    #: properties (an ``int``, a ``str``...), so its Variable needs no member scan and no reference
    childless: bool
    #: the JSON text of the fields a childless item's Variable shares with every item of this class
    json_type: str
    json_hint: str
    #: the special names an expanded instance lists (its "special variables"): none for containers,
    #: which list their items, nor for childless classes
    specials: tuple[tuple[str, Any], ...]

    @classmethod
    def of(cls, klass: type) -> TypeFacts:
        """Read the facts of ``klass`` with the C descriptors of ``type`` (no program code runs)."""
        properties = class_properties(klass)
        container = _container_kind_of_type(klass)
        childless = (
            container is None
            and not issubclass(klass, (type, BaseException))
            and class_lookup(klass, "__dict__") is MISSING
            and not _slot_descriptors(klass)
            and not properties
        )
        name, kind = qualname(klass), _presentation_of_type(klass)
        json_type = f',"type":{encode_basestring(name)},"variablesReference":0'
        json_hint = f',"presentationHint":{_ENTRY_TO_JSON({"kind": kind})}}}'
        specials = class_specials(klass) if container is None and not childless and klass is not Synthetic else ()
        return cls(klass, name, kind, container, properties, childless, json_type, json_hint, specials)


class Expander:
    """Builds DAP ``Variable`` entries for one request, registering child references for one thread."""

    def __init__(self, handles: Handles, thread_id: int, presentation: Presentation, *, hex_ints: bool) -> None:
        self.handles = handles
        self.thread_id = thread_id
        self.presentation = presentation
        self.hex_ints = hex_ints
        # identity hash of a class -> its facts. Not the class itself as the key: a metaclass's __hash__
        # would be program code; not id(): with the source-capture audit hook each id() costs ~0.2 us more
        self._types: dict[int, TypeFacts] = {}

    # -- one variable --

    def variable(
        self,
        name: str,
        value: Any,
        evaluate_name: str | None,
        frame: FrameType | None,
        *,
        hint: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Return the DAP ``Variable`` for ``value`` shown as ``name``; ``hint`` defaults to the value's kind."""
        facts = self.facts(type(value))
        entry: dict[str, Any] = {"name": name}
        self._fill(entry, value, facts, evaluate_name, frame)
        if evaluate_name is not None:
            entry["evaluateName"] = evaluate_name
        entry["presentationHint"] = {"kind": facts.kind} if hint is None else hint
        return entry

    def item(self, name: str, value: Any, evaluate_name: str | None, frame: FrameType | None) -> Entry:
        """Return the Variable of an indexed child: for a value of a childless class its JSON text, written
        straight away (what :meth:`variable` gives, without a dict for ``json`` to walk: a 10k-entry page
        then costs half as much), else :meth:`variable`."""
        facts = self.facts(type(value))
        if not facts.childless:
            return self.variable(name, value, evaluate_name, frame)
        shown = encode_basestring(display(value, hex_ints=self.hex_ints))
        evaluate = "" if evaluate_name is None else f',"evaluateName":{encode_basestring(evaluate_name)}'
        return f'{{"name":{encode_basestring(name)},"value":{shown}{facts.json_type}{evaluate}{facts.json_hint}'

    def describe(self, value: Any, evaluate_name: str | None, frame: FrameType | None) -> dict[str, Any]:
        """Return the value, type, variablesReference and child counts shared by Variable and evaluate bodies."""
        body: dict[str, Any] = {}
        self._fill(body, value, self.facts(type(value)), evaluate_name, frame)
        return body

    def _fill(
        self, body: dict[str, Any], value: Any, facts: TypeFacts, evaluate_name: str | None, frame: FrameType | None
    ) -> None:
        """Add the value, type, variablesReference and child counts of ``value`` to ``body``.

        A value of a childless type (an ``int``, a ``str``...) skips the member scan and gets no reference:
        the common case when listing a big container.
        """
        body["value"] = display(value, hex_ints=self.hex_ints)
        body["type"] = facts.name
        indexed, named = (0, 0) if facts.childless else self.counts(value)
        if indexed or named:
            ref = ValueRef(frame, value, evaluate_name)
            body["variablesReference"] = self.handles.add(
                self.thread_id, ref, key=("value", id(value), evaluate_name, id(frame))
            )
            if indexed:
                body["indexedVariables"] = indexed
            body["namedVariables"] = named
        else:
            body["variablesReference"] = 0

    def counts(self, value: Any) -> tuple[int, int]:
        """Return (indexed, named) children of ``value``; (0, 0) means it does not expand."""
        container = self.facts(type(value)).container
        indexed = item_count(value, container)
        groups, inline = self.layout(self.members(value))
        named = len(groups) + len(inline)
        if indexed or named:
            named += container is not None  # the len() entry
        return indexed, named

    def facts(self, klass: type) -> TypeFacts:
        """Return the :class:`TypeFacts` of ``klass``, read once per request."""
        key = object.__hash__(klass)
        facts = self._types.get(key)
        if facts is None:
            facts = self._types[key] = TypeFacts.of(klass)
        return facts

    def members(self, value: Any) -> list[tuple[str, Any]]:
        """Return ``value``'s attributes, then its properties (as :class:`Unread`) and the special names of its
        class (``__class__``, ``__doc__``, ``__init__``..., bound as C binds them) that no attribute hides."""
        found = attributes(value)
        facts = self.facts(type(value))
        if facts.properties or facts.specials:
            names = {name for name, _ in found}
            found.extend((name, Unread(descriptor)) for name, descriptor in facts.properties if name not in names)
            names.update(name for name, _ in facts.properties)
            for name, attribute in facts.specials:
                if name not in names:
                    try:
                        found.append((name, bind_special(attribute, value)))
                    except Exception:  # a C getter with nothing to give (an unset __abstractmethods__)
                        continue
        return found

    def layout(self, members: Iterable[tuple[str, Any]]) -> tuple[list[str], list[tuple[str, Any]]]:
        """Split named members into the groups that have members and the members shown inline."""
        groups: list[str] = []
        inline: list[tuple[str, Any]] = []
        for name, value in members:
            placement, category = self.presentation.place(name, value)
            if placement == "inline":
                inline.append((name, value))
            elif placement == "group" and category not in groups:
                groups.append(category)
        groups.sort(key=list(GROUP_TITLES).index)
        return groups, inline

    # -- the children of a reference --

    def children(self, ref: Ref, filter: str | None, start: int, count: int | None) -> RawJSON:
        """Return the ``variables`` response body, as JSON text, with the page ``start``..``start+count`` of
        the children of ``ref`` that pass ``filter``."""
        segments = self._segments(ref, filter)
        pieces = [b'{"variables":[']
        position = 0
        for length, fetch in segments:
            low = max(start - position, 0)
            high = length if count is None else min(length, start + count - position)
            texts: list[str] = []
            for entry in [] if low >= high else fetch(low, high):
                if type(entry) is bytes:  # a run written already (plain_items): sent as it is
                    if texts:
                        pieces += (_encoded(texts), b",")
                        texts = []
                    pieces += (entry, b",")
                else:
                    texts.append(entry if type(entry) is str else _ENTRY_TO_JSON(entry))
            if texts:
                pieces += (_encoded(texts), b",")
            position += length
        if len(pieces) > 1:
            pieces.pop()
        # a piece per run, never joined here: a page can be megabytes (wire.RawJSON)
        return RawJSON(*pieces, b"]}")

    def _segments(self, ref: Ref, filter: str | None) -> list[Segment]:
        """Return the children of ``ref`` as (length, fetch) runs in display order.

        Order: return values, group nodes, items, other named children, ``len()``; with ``filter`` only
        the named or the indexed runs, so the client's ``start`` counts within that kind as DAP says.
        A property's reference has one named child: the value its getter returns now.
        """
        want_named = filter in (None, "named")
        want_indexed = filter in (None, "indexed")
        if isinstance(ref, PropertyRef):
            property_value: Segment = (1, lambda low, high: [self._property_value(ref)])
            return [property_value] if want_named else []
        if isinstance(ref, ScopeRef):
            if not want_named:
                return []
            if ref.group is not None:
                return [self._group_members(ref, scope_members(ref), ref.group)]
            return_entry: Segment = (1, lambda low, high: [self._return_entry(ref)])
            returned = [] if ref.return_value is None else [return_entry]
            return returned + list(self._top_level(ref, scope_members(ref)))
        if ref.group is not None:
            return [self._group_members(ref, self.members(ref.value), ref.group)] if want_named else []
        kind = container_kind(ref.value)
        groups, inline = self._top_level(ref, self.members(ref.value))
        segments: list[Segment] = [groups] if want_named else []
        if want_indexed and kind is not None:
            segments.append(self._indexed_segment(ref, kind))
        if want_named:
            segments.append(inline)
            if kind is not None:
                len_entry: Segment = (1, lambda low, high: [self._len_entry(ref)])
                segments.append(len_entry)
        return segments

    def _member(self, ref: ScopeRef | ValueRef, name: str, value: Any) -> dict[str, Any]:
        """Return the Variable of a scope variable or attribute ``name`` under ``ref``."""
        if isinstance(ref, ScopeRef):
            expression = name if name.isidentifier() else None
            owner = None
        else:
            expression = attribute_expression(ref.evaluate_name, name)
            owner = ref.value if issubclass(type(ref.value), type) else type(ref.value)
        shown = visibility(name, owner)
        if type(value) is Unread and isinstance(ref, ValueRef):
            return self._lazy_entry(ref, name, value.descriptor, expression, shown)
        hint: dict[str, Any] = {"kind": self.facts(type(value)).kind}
        if shown is not None:
            hint["visibility"] = shown
        return self.variable(name, value, expression, ref.frame, hint=hint)

    def _lazy_entry(
        self, ref: ValueRef, name: str, descriptor: property, expression: str | None, shown: str | None
    ) -> dict[str, Any]:
        """Return the entry of a property: no value yet, a reference whose expansion runs the getter."""
        child = PropertyRef(ref.frame, ref.value, name, descriptor, expression)
        hint = _property_hint(descriptor, shown)
        entry = {
            "name": name,
            "value": "(...)",
            # ``ref`` is the registered parent, alive while this stop lasts, so its id is a stable key
            "variablesReference": self.handles.add(self.thread_id, child, key=("property", id(ref), name)),
            "presentationHint": {**hint, "lazy": True},
        }
        if expression is not None:
            entry["evaluateName"] = expression
        return entry

    def _property_value(self, ref: PropertyRef) -> dict[str, Any]:
        """Run the property's getter on the paused thread; a getter that raises shows the error as the value."""
        hint = _property_hint(ref.descriptor, visibility(ref.name, type(ref.owner)))
        try:
            value = ref.descriptor.__get__(ref.owner, type(ref.owner))
        except BaseException as exc:  # even a SystemExit is only the getter's result here
            return {
                "name": ref.name,
                "value": f"<property raised {describe_exception(exc)}>",
                "type": type_name(exc),
                "variablesReference": 0,
                "presentationHint": hint,
            }
        return self.variable(ref.name, value, ref.evaluate_name, ref.frame, hint=hint)

    def _group_members(self, ref: ScopeRef | ValueRef, members: list[tuple[str, Any]], group: str) -> Segment:
        chosen = [(n, v) for n, v in members if self.presentation.place(n, v) == ("group", group)]
        return len(chosen), lambda low, high: [self._member(ref, n, v) for n, v in chosen[low:high]]

    def _top_level(self, ref: ScopeRef | ValueRef, members: list[tuple[str, Any]]) -> tuple[Segment, Segment]:
        """Return the runs of group nodes and of the members shown inline."""
        groups, inline = self.layout(members)
        return (
            (len(groups), lambda low, high: [self._group_entry(ref, g) for g in groups[low:high]]),
            (len(inline), lambda low, high: [self._member(ref, n, v) for n, v in inline[low:high]]),
        )

    def _indexed_segment(self, ref: ValueRef, kind: str) -> Segment:
        value, parent, frame = ref.value, ref.evaluate_name, ref.frame
        base = None if parent is None else postfix_base(parent)
        # an item's evaluateName is ``prefix + name + "]"`` (a dict's: but for a key without a literal)
        if parent is None:
            prefix = None
        else:
            prefix = f"list({parent})[" if kind == "set" else f"{base}["

        def fetch(low: int, high: int) -> list[Entry]:
            keys: list[Any] | None = None
            if kind == "mapping":
                if type(value) is dict:  # its keys and values as they are, without a tuple each
                    keys, items = list(islice(value, low, high)), list(islice(value.values(), low, high))
                else:
                    pairs = list(islice(value.items(), low, high))
                    keys, items = [key for key, _ in pairs], [item for _, item in pairs]
            else:
                items = list(value[low:high] if type(value) in (list, tuple) else islice(value, low, high))
            entries: list[Entry] = []
            for start in range(0, len(items), _RUN_ITEMS):
                end = start + _RUN_ITEMS
                run = items[start:end]
                if keys is None:
                    entries += self._items(run, low + start, prefix, frame)
                else:
                    entries += self._entries(keys[start:end], run, low + start, base, parent, frame)
            return entries

        return item_count(value, kind), fetch

    def _items(self, items: list[Any], first: int, prefix: str | None, frame: FrameType | None) -> list[Entry]:
        """The entries of a run of items of a sequence or set, the first of them at index ``first``."""
        names = list(map(str, range(first, first + len(items))))
        text = self._plain(names, items, prefix)
        if text is not None:
            return [text]
        return [
            self.item(name, item, None if prefix is None else f"{prefix}{name}]", frame)
            for name, item in zip(names, items, strict=True)
        ]

    def _entries(
        self,
        keys: list[Any],
        items: list[Any],
        first: int,
        base: str | None,
        parent: str | None,
        frame: FrameType | None,
    ) -> list[Entry]:
        """The entries of a run of a mapping's keys and items, the first of them at position ``first``."""
        names = plain_items.key_names(keys, self.hex_ints)
        text = None if names is None else self._plain(names, items, None if base is None else f"{base}[")
        if text is not None:
            return [text]
        entries = []
        for index, (key, item) in enumerate(zip(keys, items, strict=True), first):
            literal = key_literal(key)
            # a str key's literal is its repr, which is what display() shows unless it must be cut
            name = (
                literal
                if type(key) is str and literal is not None and len(literal) <= REPR_LIMIT
                else display(key, hex_ints=self.hex_ints)
            )
            entries.append(self.item(name, item, _key_expression(base, parent, literal, index), frame))
        return entries

    def _plain(self, names: list[str], values: list[Any], prefix: str | None) -> bytes | None:
        """The entries of a run whose values are all plain, as encoded JSON text (plain_items.entries); None
        when one is not."""
        text = plain_items.entries(names, values, prefix, self._json_fields, hex_ints=self.hex_ints)
        return None if text is None else _encoded([text])

    def _json_fields(self, kind: type) -> tuple[str, str]:
        facts = self.facts(kind)
        return facts.json_type, facts.json_hint

    def _group_entry(self, ref: ScopeRef | ValueRef, group: str) -> dict[str, Any]:
        if isinstance(ref, ScopeRef):
            child: Ref = ScopeRef(ref.frame, ref.which, None, group)
        else:
            child = ValueRef(ref.frame, ref.value, ref.evaluate_name, group)
        return {
            "name": GROUP_TITLES[group],
            "value": "",
            # ``ref`` is the registered parent, alive while this stop lasts, so its id is a stable key
            "variablesReference": self.handles.add(self.thread_id, child, key=("group", id(ref), group)),
            "presentationHint": {"kind": "virtual"},
        }

    def _len_entry(self, ref: ValueRef) -> dict[str, Any]:
        entry = {
            "name": LEN_NAME,
            "value": display(item_count(ref.value, container_kind(ref.value)), hex_ints=self.hex_ints),
            "type": "int",
            "variablesReference": 0,
            "presentationHint": {"kind": "virtual", "attributes": ["readOnly"]},
        }
        if ref.evaluate_name is not None:
            entry["evaluateName"] = f"len({ref.evaluate_name})"
        return entry

    def _return_entry(self, ref: ScopeRef) -> dict[str, Any]:
        assert ref.return_value is not None
        name, value = ref.return_value
        hint = {"kind": presentation_kind(value), "attributes": ["readOnly"]}
        return self.variable(RETURN_PREFIX + name, value, None, ref.frame, hint=hint)


def _encoded(texts: list[str]) -> bytes:
    """Entries' JSON texts, joined by commas, in UTF-8. A lone surrogate (a __repr__ may return one) can only
    stand inside a JSON string: written as \\udXXX it is the JSON escape of itself, where strict UTF-8 would
    fail the whole answer."""
    return ",".join(texts).encode("utf-8", "backslashreplace")


def _property_hint(descriptor: property, shown: str | None) -> dict[str, Any]:
    """Return the presentationHint of a property: ``readOnly`` without a setter (read from the C slot)."""
    hint: dict[str, Any] = {"kind": "property"}
    if _PROPERTY_FSET.__get__(descriptor) is None:
        hint["attributes"] = ["readOnly"]
    if shown is not None:
        hint["visibility"] = shown
    return hint


def _key_expression(base: str | None, parent: str | None, literal: str | None, index: int) -> str | None:
    """Return the expression of the item whose key is written ``literal`` (None: no literal; found by position)."""
    if base is None:
        return None
    return f"{base}[{literal}]" if literal is not None else f"{base}[list({parent})[{index}]]"


def scope_members(ref: ScopeRef) -> list[tuple[str, Any]]:
    """Return the (name, value) pairs of a frame scope, in definition order."""
    namespace = ref.frame.f_locals if ref.which == "locals" else ref.frame.f_globals
    return [(name, value) for name, value in namespace.items() if isinstance(name, str)]


# --- writes to children -------------------------------------------------------------------------------------


def assign_child(ref: Ref, name: str, value: Any) -> str | None:
    """Set the child shown as ``name`` under ``ref`` to ``value`` (setVariable); return its evaluateName.

    Raises:
        InspectError: the child is synthetic (len(), a group, a return value), unknown, or refuses the write.
    """
    if name == LEN_NAME or name in GROUP_TITLES.values() or name.startswith(RETURN_PREFIX):
        raise InspectError(f"{name!r} is shown by the debugger and cannot be set")
    try:
        if isinstance(ref, PropertyRef):
            if name != ref.name:
                raise InspectError(f"cannot set {name!r}: no such item")
            setattr(ref.owner, name, value)  # runs the property's setter, as the program's assignment would
            return ref.evaluate_name
        if isinstance(ref, ScopeRef):
            namespace = ref.frame.f_locals if ref.which == "locals" else ref.frame.f_globals
            if name not in namespace:
                raise InspectError(f"cannot set {name!r}: no such variable in {ref.which}")
            write_name(ref.frame, name, value, which=ref.which)
            return name
        target, parent = ref.value, ref.evaluate_name
        base = None if parent is None else postfix_base(parent)
        kind = container_kind(target) if ref.group is None else None
        if kind == "mapping":
            for index, key in enumerate(target):
                if display(key) == name or display(key, hex_ints=True) == name:
                    target[key] = value
                    return _key_expression(base, parent, key_literal(key), index)
        if kind == "sequence" and name.isdigit():
            target[int(name)] = value
            return None if base is None else f"{base}[{name}]"
        if kind is None or any(member == name for member, _ in attributes(target)):
            setattr(target, name, value)
            return attribute_expression(parent, name)
    except InspectError:
        raise
    except Exception as exc:
        raise InspectError(f"cannot set {name!r}: {describe_exception(exc)}") from None
    raise InspectError(f"cannot set {name!r}: no such item")

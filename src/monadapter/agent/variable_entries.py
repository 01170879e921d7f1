"""The DAP ``Variable`` of one value: its shown value, type, presentation hint and, when it has children, a
reference and their counts; and what its class says about listing it (:class:`TypeFacts`), read once.

Split from the listing of children (expander.py) because evaluate, setVariable and setExpression answers
need one value's entry and nothing of paging.
"""

from __future__ import annotations

from dataclasses import dataclass
from json.encoder import encode_basestring
from types import FrameType
from typing import Any, Literal

from monadapter.agent.formatting import display
from monadapter.agent.handles import Handles
from monadapter.agent.presentation import Presentation, presentation_of_type
from monadapter.agent.static import MISSING, bind_special, class_lookup, class_specials, is_immutable, qualname
from monadapter.agent.value_members import (
    attributes,
    class_properties,
    container_kind_of_type,
    item_count,
    slot_descriptors,
)
from monadapter.agent.variable_refs import Synthetic, Unread, ValueRef
from monadapter.agent.wire import dumps

#: A DAP ``Variable``: a dict, or (an item of a childless class) its JSON text already, or the encoded JSON
#: text of a run of them (plain_items).
Entry = dict[str, Any] | str | bytes
#: How a dict Entry becomes JSON text: what json.dumps(ensure_ascii=False) with wire.py's separators
#: writes, by wire's one C encoder (``JSONEncoder.encode`` made a new one for every entry).
ENTRY_TO_JSON = dumps


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
        container = container_kind_of_type(klass)
        childless = (
            container is None
            and not issubclass(klass, (type, BaseException))
            and class_lookup(klass, "__dict__") is MISSING
            and not slot_descriptors(klass)
            and not properties
        )
        name, kind = qualname(klass), presentation_of_type(klass)
        json_type = f',"type":{encode_basestring(name)},"variablesReference":0'
        json_hint = f',"presentationHint":{ENTRY_TO_JSON({"kind": kind})}}}'
        specials = class_specials(klass) if container is None and not childless and klass is not Synthetic else ()
        return cls(klass, name, kind, container, properties, childless, json_type, json_hint, specials)


#: identity hash of a class nothing about which can change (static.is_immutable) -> its facts, which
#: hold the class: kept for the process's life, shared by every request and thread.
_LASTING: dict[int, TypeFacts] = {}


def facts_known(klass: type) -> bool:
    """Whether the facts of ``klass`` were read already and are kept for good (so reading them again
    runs nothing)."""
    return object.__hash__(klass) in _LASTING


class VariableWriter:
    """Builds the DAP ``Variable`` of one value for one request, registering its reference for one thread.

    The base of :class:`~monadapter.agent.expander.Expander`, which adds the listing of a reference's
    children; the Inspector's evaluate, setVariable and setExpression answers need only :meth:`describe`.
    """

    def __init__(self, handles: Handles, thread_id: int, presentation: Presentation, *, hex_ints: bool) -> None:
        self.handles = handles
        self.thread_id = thread_id
        self.presentation = presentation
        self.hex_ints = hex_ints
        # identity hash of a class -> its facts. Not the class itself as the key: a metaclass's __hash__
        # would be program code; not id(): with the source-capture audit hook each id() costs ~0.2 us more
        self._types: dict[int, TypeFacts] = {}

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
        groups, inline = self.presentation.layout(self.members(value))
        named = len(groups) + len(inline)
        if indexed or named:
            named += container is not None  # the len() entry
        return indexed, named

    def facts(self, klass: type) -> TypeFacts:
        """Return the :class:`TypeFacts` of ``klass``, read once per request, or once for good when
        nothing about the class can change (``int``, ``list``: reading them was most of the cost of
        a small ``variables`` request, benchmarks S10e)."""
        key = object.__hash__(klass)
        facts = self._types.get(key) or _LASTING.get(key)
        if facts is None:
            facts = self._types[key] = TypeFacts.of(klass)
            if is_immutable(klass):
                _LASTING[key] = facts
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

"""What a variablesReference expands to: the page of its children a ``variables`` request asks for, as JSON text.

A reference names either a scope of a frame or a value (variable_refs.py). Children come in two kinds, as
DAP pages them: *indexed* ones (list and tuple items, dict entries, set members, fetched lazily with
``itertools.islice`` so the first page of a 100k list costs the same as a short one) and *named* ones
(attributes from ``__dict__`` and ``__slots__``, scope variables, the ``len()`` entry and the
"special/function/class variables" groups, grouped like debugpy's ``variablePresentation``).
Expanding an object never runs a property: properties are listed as *lazy* entries (DAP
``presentationHint.lazy``) whose reference (``PropertyRef``) runs the getter only when the client expands it.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from types import FrameType
from typing import Any

from monadapter.agent import plain_items
from monadapter.agent.evaluate_names import attribute_expression, key_expression, key_literal, postfix_base
from monadapter.agent.formatting import REPR_LIMIT, describe_exception, display, type_name
from monadapter.agent.presentation import GROUP_TITLES, LEN_NAME, RETURN_PREFIX, presentation_kind, visibility
from monadapter.agent.value_members import container_kind, item_count, scope_members
from monadapter.agent.variable_entries import ENTRY_TO_JSON, Entry, VariableWriter
from monadapter.agent.variable_refs import PropertyRef, Ref, ScopeRef, Unread, ValueRef
from monadapter.agent.wire import RawJSON

#: A run of children in display order: how many, and what gives those from ``low`` up to ``high``.
Segment = tuple[int, Callable[[int, int], list[Entry]]]
#: Items of a page named, written and encoded together: a run's text (~40 KB of plain entries) comes from
#: memory the allocator has at hand, where a 1.4 MB page written whole was fresh memory every time, each
#: of its pages a fault (~800 per 10k-entry request; benchmarks S11)
_RUN_ITEMS = 256
_PROPERTY_FSET = property.__dict__["fset"]  # a subclass of property may override ``fset``: read the C member


class Expander(VariableWriter):
    """Lists the children of a reference, a page at a time, as DAP ``Variable`` entries for one request,
    registering child references for one thread."""

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
                    texts.append(entry if type(entry) is str else ENTRY_TO_JSON(entry))
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
        groups, inline = self.presentation.layout(members)
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
            entries.append(self.item(name, item, key_expression(base, parent, literal, index), frame))
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

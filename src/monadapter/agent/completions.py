"""Debug-console completions: names, attributes and dict keys found by static lookups, never by running the program's code."""

from __future__ import annotations

import builtins
import keyword
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from types import (
    FrameType,
    ModuleType,
)
from typing import Any

from monadapter.agent.evaluate import hover_value
from monadapter.agent.handles import Handles, InspectError
from monadapter.agent.modules import module_dict
from monadapter.agent.static import TYPE_DICT, TYPE_MRO, instance_dict, kind_of_type

#: Most items one answer holds: a console popup shows a few dozen, and every item costs JSON.
MAX_ITEMS = 1000
#: Most dict keys looked at for ``d[`` (a 10-million-key dict must not stall the paused thread).
MAX_KEYS_SCANNED = 10_000
#: Key types whose ``repr`` is the builtin one (a key of another type could run the program's ``__repr__``).
_PLAIN_KEYS = (str, bytes, int, float, bool, type(None))
#: ``d[``, ``d['ab``, ``d["ab``, ``d[12``: an open subscript whose text so far can only be a key.
_OPEN_KEY = re.compile(r"""\[\s*(?:(?P<quote>['"])[^'"\\]*|(?P<number>-?\d*))$""")

#: What :func:`_static_value` gives for an expression it cannot read without running code.
_UNKNOWN = object()


def complete(frame: FrameType | None, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Answer a ``completions`` request: the items for the token before ``column`` on ``line`` of ``text``.

    With a frame, names are its locals, globals and builtins, and ``a.b.`` / ``d[`` complete attributes and
    keys of the value ``a.b`` / ``d`` read by :func:`hover_value` (static lookups only). Without a frame (the
    program is running) the DAP "global scope" is ``__main__``'s globals, and only names are completed:
    reading a value's attributes needs the paused thread. Positions are in UTF-16 code units and 1-based, as
    the agent sees every position (the client's ``columnsStartAt1`` stays with the adapter).

    Raises:
        InspectError: ``text``, ``column`` or ``line`` has the wrong type.
    """
    text = arguments.get("text")
    column = arguments.get("column")
    line_number = arguments.get("line", 1)
    if not isinstance(text, str):
        raise InspectError(f"text must be a string, got {text!r}")
    if type(column) is not int or type(line_number) is not int:
        raise InspectError(f"column and line must be integers, got {column!r} and {line_number!r}")
    lines = text.split("\n")
    line = lines[min(max(line_number, 1), len(lines)) - 1].rstrip("\r")
    cursor = index_of_utf16(line, column - 1)
    before = line[:cursor]
    items = list(islice(_items(frame, before), MAX_ITEMS))
    return {"targets": items}


def frame_of(handles: Handles, arguments: Mapping[str, Any]) -> FrameType:
    """The paused frame a request's ``frameId`` names.

    Raises:
        InspectError: the id is unknown, or names a variablesReference.
    """
    frame = handles.get(arguments.get("frameId"), what="frameId")
    if type(frame) is not FrameType:
        raise InspectError(f"{arguments.get('frameId')} is a variablesReference, not a frameId")
    return frame


def _items(frame: FrameType | None, before: str) -> Iterator[dict[str, Any]]:
    """The completion items for the text ``before`` the cursor."""
    open_key = _OPEN_KEY.search(before)
    if open_key is not None and frame is not None:
        owner_end = open_key.start()
        container = _static_value(frame, before[_chain_start(before, owner_end) : owner_end])
        if issubclass(type(container), dict):
            typed = before[owner_end + 1 :].lstrip()
            yield from _key_items(container, open_key["quote"], typed, utf16_len(before[: len(before) - len(typed)]))
            return
    word_start = len(before)
    while word_start > 0 and _is_name_char(before[word_start - 1]):
        word_start -= 1
    word = before[word_start:]
    if word[:1].isdigit():
        return
    start = utf16_len(before[:word_start])
    if word_start > 0 and before[word_start - 1] == ".":
        owner_text = before[_chain_start(before, word_start - 1) : word_start - 1]
        if frame is None or not owner_text or owner_text[0].isdigit():
            return
        owner = _static_value(frame, owner_text)
        if owner is not _UNKNOWN:
            yield from _named(attribute_kinds(owner), word, start)
        return
    yield from _named(_name_kinds(frame), word, start)


def _named(kinds: Iterable[tuple[str, str]], word: str, start: int) -> Iterator[dict[str, Any]]:
    """Items for the (name, type) pairs that complete ``word``, sorted, with rlcompleter's rule for
    private names: ``_x`` only once ``_`` is typed, ``__x`` only once ``__`` is."""
    seen: set[str] = set()
    for name, kind in sorted(kinds, key=lambda pair: pair[0]):
        if name in seen or not name.startswith(word) or not _shown(name, word):
            continue
        seen.add(name)
        item: dict[str, Any] = {"label": name, "type": kind}
        if word:
            item["start"] = start + 1
            item["length"] = utf16_len(word)
        yield item


def _shown(name: str, word: str) -> bool:
    if word.startswith("__"):
        return True
    if word.startswith("_"):
        return not name.startswith("__")
    return not name.startswith("_")


# --- what a name or attribute is --------------------------------------------------------------------------


def _name_kinds(frame: FrameType | None) -> Iterator[tuple[str, str]]:
    """(name, type) of every local, global and builtin name visible in ``frame``, and the keywords."""
    if frame is None:
        namespaces: list[Mapping[str, Any]] = [module_dict(sys.modules.get("__main__")), vars(builtins)]
    else:
        namespaces = [frame.f_locals, frame.f_globals, frame.f_builtins]
    for namespace in namespaces:
        for name, value in list(namespace.items()):
            if type(name) is str:
                yield name, completion_type(value, "variable")
    for word in (*keyword.kwlist, *keyword.softkwlist):
        yield word, "keyword"


def completion_type(value: Any, default: str) -> str:
    """The DAP completion type of a value (static.kind_of_type), ``default`` for plain data."""
    kind = kind_of_type(type(value))
    return default if kind == "data" else kind


def attribute_kinds(owner: Any) -> Iterator[tuple[str, str]]:
    """(name, type) of the attributes of ``owner``, read from ``__dict__``s without running its code.

    An object's attributes are those of its instance ``__dict__`` and of every class of ``type(owner).__mro__``;
    a class's are those of its own ``__mro__``; a module's are its globals. ``__getattr__``, ``__dir__`` and
    properties are never called: a property is listed by name, found in its class, with type ``property``.
    """
    if issubclass(type(owner), ModuleType):
        for name, value in list(module_dict(owner).items()):
            if type(name) is str:
                yield name, completion_type(value, "variable")
        return
    if issubclass(type(owner), type):
        classes = TYPE_MRO.__get__(owner)
    else:
        instance = instance_dict(owner)
        for name, value in list(instance.items()):
            if type(name) is str:
                yield name, completion_type(value, "field")
        classes = TYPE_MRO.__get__(type(owner))
    for klass in classes:
        for name, value in list(TYPE_DICT.__get__(klass).items()):
            if type(name) is str:
                kind = completion_type(value, "field")
                yield name, "method" if kind == "function" else kind


# --- dict keys -------------------------------------------------------------------------------------------


def _key_items(container: dict[Any, Any], quote: str | None, typed: str, start: int) -> Iterator[dict[str, Any]]:
    """Items completing the key typed after ``[`` of a dict (subclasses included: their keys are read by
    ``dict.keys``, in C, so an overridden ``keys`` or ``__iter__`` never runs). A quote typed asks for string
    keys; otherwise every key with a builtin ``repr`` is offered."""
    labels: list[str] = []
    for key in islice(dict.keys(container), MAX_KEYS_SCANNED):
        if type(key) not in _PLAIN_KEYS or (quote and type(key) is not str):
            continue
        try:
            label = quoted(key, quote) if type(key) is str else repr(key)
        except ValueError:  # an int past sys.get_int_max_str_digits()
            continue
        if label.startswith(typed):
            labels.append(label)
    for label in sorted(labels):
        item: dict[str, Any] = {"label": label, "type": "value"}
        if typed:
            item["start"] = start + 1
            item["length"] = utf16_len(typed)
        yield item


def quoted(key: str, quote: str | None) -> str:
    """``key`` as a string literal in the quote the user typed (``repr``'s choice when none was)."""
    literal = repr(key)
    if not quote or literal[0] == quote:
        return literal
    body = literal[1:-1]
    if literal[0] == "'":
        body = body.replace("\\'", "'")
    return quote + body.replace(quote, "\\" + quote) + quote


# --- finding the text to complete ------------------------------------------------------------------------


def _static_value(frame: FrameType, expression: str) -> Any:
    """The value of the expression before ``.`` or ``[``, or ``_UNKNOWN`` when it can't be had without
    running code (a call, a property, a custom ``__getattribute__``) or does not exist."""
    if not expression:
        return _UNKNOWN
    try:
        return hover_value(frame, expression)
    except Exception:  # InspectError, or a lookup that broke on a strange object: nothing to complete
        return _UNKNOWN


def _chain_start(text: str, end: int) -> int:
    """Where the expression ``a.b[0].c`` that ends at ``end`` starts: names, dots and balanced ``[...]``."""
    index = end
    while index > 0:
        char = text[index - 1]
        if _is_name_char(char) or char == ".":
            index -= 1
        elif char == "]":
            depth = 0
            while index > 0:
                index -= 1
                depth += {"]": 1, "[": -1}.get(text[index], 0)
                if depth == 0:
                    break
            if depth:
                return end
        else:
            break
    return index


def _is_name_char(char: str) -> bool:
    return char == "_" or char.isalnum()


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of DAP columns."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def index_of_utf16(text: str, units: int) -> int:
    """The index in ``text`` of the position ``units`` UTF-16 code units in (clamped to the text)."""
    count = 0
    for index, char in enumerate(text):
        if count >= units:
            return index
        count += 2 if ord(char) > 0xFFFF else 1
    return len(text)

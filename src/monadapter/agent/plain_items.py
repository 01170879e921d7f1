"""The ``variables`` entries of a page of items whose values are all plain (an ``int``, a ``str``...), written
as JSON text a column at a time by C code.

A 10k-entry dict of such values is what an editor's "expand" of a big container mostly meets (benchmarks
S11). Written one entry at a time, each entry cost ~15 k instructions of Python calls (repr, three
escapes, an f-string); here the Python loop is gone: the names and shown values are made by ``map``, each
column is checked for what JSON must escape once (and escaped once when it needs it), and the entries are
laid out in one list by slice assignment and joined once. The text is the same, byte for byte, as the
entry-by-entry writer's (variable_entries.VariableWriter.item).

Every text placed in a column is the ``repr`` of a built-in value (or :func:`display`'s cut of one):
``repr`` writes every non-printable character, control characters included, as an escape. So such a text
holds no character JSON escapes other than ``"`` and ``\\``, and never :data:`_SEPARATOR`.
"""

from __future__ import annotations

from json.encoder import encode_basestring

from monadapter.agent.formatting import REPR_LIMIT, display

TYPE_CHECKING = False  # typing is for mypy only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

#: Exact classes whose instances have no children and whose ``repr`` is C code that runs nothing of the
#: program's (a subclass may define ``__repr__``: not plain).
PLAIN_CLASSES = frozenset({int, float, complex, bool, str, bytes, type(None)})
#: Exact key classes whose literal in an evaluateName (evaluate_names.key_literal) is their ``repr``.
_LITERAL_KEYS = frozenset({str, bytes, int, bool, type(None)})
#: Joins a column's texts to be escaped at once: DEL is not printable, so no ``repr`` holds it, and
#: JSON leaves it as it is.
_SEPARATOR = "\x7f"


def key_names(keys: list[Any], hex_ints: bool) -> list[str] | None:
    """The names of dict entries with ``keys``, each also the key's literal in an evaluateName, when every
    key is of a class in :data:`_LITERAL_KEYS` and its ``repr`` is short enough to be shown whole; else None
    (the entry-by-entry writer names them)."""
    kinds = set(map(type, keys))
    if not kinds <= _LITERAL_KEYS or (hex_ints and int in kinds):  # a hex name is not the literal
        return None
    try:
        names = list(map(repr, keys))
    except ValueError:  # an int of more digits than str() converts (sys.get_int_max_str_digits)
        return None
    return names if not names or max(map(len, names)) <= REPR_LIMIT else None


def entries(
    names: list[str],
    values: list[Any],
    prefix: str | None,
    fields: Callable[[type], tuple[str, str]],
    *,
    hex_ints: bool,
) -> str | None:
    """The JSON text of the Variables of ``values`` shown as ``names`` (texts as the module says), separated
    by commas; the evaluateName of each is ``prefix + name + "]"`` (none without ``prefix``). None when a
    value is not of a :data:`PLAIN_CLASSES` class. ``fields(kind)``: the JSON text of the fields a Variable
    of class ``kind`` has after its value and after its evaluateName (``TypeFacts.json_type``/``json_hint``).
    """
    if not values:
        return ""
    kinds = set(map(type, values))
    if not kinds <= PLAIN_CLASSES:
        return None
    shown = _shown(values, hex_ints and int in kinds)
    head = ',{"name":"'
    if prefix is not None:
        middle = ',"evaluateName":' + encode_basestring(prefix)[:-1]
    layout: list[str | list[str]] = [head, _escaped(names), '","value":"', _escaped(shown), '"']
    if len(kinds) == 1:
        after_value, after_name = fields(kinds.pop())
        layout += [after_value] if prefix is None else [after_value + middle, layout[1], ']"']
        layout.append(after_name)
    else:
        by_kind = {kind: fields(kind) for kind in kinds}
        each = [by_kind[kind] for kind in map(type, values)]
        layout.append([value_fields for value_fields, _ in each])
        if prefix is not None:
            layout += [middle, layout[1], ']"']
        layout.append([name_fields for _, name_fields in each])
    return _interleave(len(values), layout)


def _shown(values: list[Any], hex_ints: bool) -> list[str]:
    """What :func:`display` shows of each plain value: its ``repr``, in C, unless one is cut or in hex."""
    if not hex_ints:
        try:
            shown = list(map(repr, values))
        except ValueError:  # display() shows the error of an int too long to write
            pass
        else:
            if max(map(len, shown)) <= REPR_LIMIT:
                return shown
    return [display(value, hex_ints=hex_ints) for value in values]


def _escaped(texts: list[str]) -> list[str]:
    """``texts`` as they stand inside JSON strings: escaped together, only when one holds ``"`` or ``\\``."""
    joined = _SEPARATOR.join(texts)
    if '"' not in joined and "\\" not in joined:
        return texts
    return encode_basestring(joined)[1:-1].split(_SEPARATOR)


def _interleave(rows: int, layout: list[str | list[str]]) -> str:
    """Join ``rows`` rows, each the pieces of ``layout`` in order: a text the same in every row, or a column
    (a list with one text per row); the first piece is a text, whose first character the first row leaves
    out (the comma between rows). One list is filled by slice assignment and joined once."""
    pieces: list[str | list[str]] = []
    for piece in layout:
        if type(piece) is str and pieces and type(pieces[-1]) is str:
            pieces[-1] += piece
        else:
            pieces.append(piece)
    width = len(pieces)
    row = [piece if type(piece) is str else "" for piece in pieces]
    out = row * rows
    for index, piece in enumerate(pieces):
        if type(piece) is not str:
            out[index::width] = piece
    out[0] = out[0][1:]
    return "".join(out)

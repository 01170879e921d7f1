"""How values are shown to the client: a bounded repr that never raises, with optional hex integers."""

from __future__ import annotations

from monadapter.agent import paused_import_text
from monadapter.agent.static import qualname

TYPE_CHECKING = False  # typing is for mypy only: a stop's stack is shown with this module (agent/stack.py)
if TYPE_CHECKING:
    from typing import Any

#: Longest value string sent for a variable, a watch or a hover; longer ones end in "...".
REPR_LIMIT = 512
#: Nesting depth past which the container formatter writes "..." instead of descending.
MAX_DEPTH = 64

_OPEN_CLOSE: dict[type, tuple[str, str]] = {
    list: ("[", "]"),
    tuple: ("(", ")"),
    set: ("{", "}"),
    frozenset: ("frozenset({", "})"),
    dict: ("{", "}"),
}
_EMPTY: dict[type, str] = {list: "[]", tuple: "()", set: "set()", frozenset: "frozenset()", dict: "{}"}
_CYCLE: dict[type, str] = {list: "[...]", tuple: "(...)", set: "{...}", frozenset: "frozenset(...)", dict: "{...}"}


def describe_exception(exc: BaseException) -> str:
    """Return ``"Type: message"`` for ``exc``, even when its ``__str__`` raises; for importlib's
    deadlock error of an import that would have waited for a thread we hold paused, which one."""
    paused = paused_import_text(exc)
    if paused is not None:
        return paused
    try:
        message = str(exc)
    except Exception:  # a broken __str__ must not turn one failure into another
        message = "<unprintable>"
    name = type(exc).__name__
    return f"{name}: {message}" if message else name


def type_name(value: Any) -> str:
    """Return the name shown in the ``type`` field: the class's qualified name (read without its metaclass)."""
    return qualname(type(value))


def display(value: Any, *, hex_ints: bool = False, limit: int | None = REPR_LIMIT) -> str:
    """Return the text shown for ``value``: its repr, cut to ``limit`` characters (None: not cut).

    Built-in containers (exact list, tuple, set, frozenset, dict) are written element by element and the
    writing stops once the limit is passed, so showing a 10-million-item list costs as much as a short
    one; their output equals ``repr()`` otherwise. ``hex_ints`` writes exact ``int`` values, alone or
    inside those containers, in hexadecimal (DAP ``format.hex``).
    """
    kind = type(value)
    if kind in _OPEN_CLOSE:
        out = _Writer(limit)
        _write(value, out, hex_ints, set(), 0)
        text = "".join(out.parts)
    elif kind is int and hex_ints:
        text = hex(value)
    elif kind in (str, bytes) and limit is not None and len(value) > limit:
        text = repr(value[:limit])  # the cut hides the closing quote; a 10 MB string costs no more
    else:
        try:
            text = repr(value)
        except BaseException as exc:  # a SystemExit from a __repr__ must not end the program from the debugger
            text = f"<repr raised {describe_exception(exc)}>"
    if limit is not None and len(text) > limit:
        return text[: max(limit - 3, 0)] + "..."
    return text


class _Writer:
    """Collects output pieces and says when the limit has been passed."""

    __slots__ = ("limit", "parts", "size")

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0

    @property
    def full(self) -> bool:
        return self.limit is not None and self.size > self.limit

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)


def _write(value: Any, out: _Writer, hex_ints: bool, active: set[int], depth: int) -> None:
    kind = type(value)
    if kind not in _OPEN_CLOSE:
        # cut alone to the limit, a scalar still fills the writer past it, and the final cut keeps less of it
        out.write(display(value, hex_ints=hex_ints, limit=out.limit))
        return
    if not value:
        out.write(_EMPTY[kind])
        return
    if id(value) in active or depth >= MAX_DEPTH:
        out.write(_CYCLE[kind])
        return
    active.add(id(value))
    opening, closing = _OPEN_CLOSE[kind]
    out.write(opening)
    if kind is dict:
        for index, (key, item) in enumerate(value.items()):
            if out.full:
                break
            if index:
                out.write(", ")
            _write(key, out, hex_ints, active, depth + 1)
            out.write(": ")
            _write(item, out, hex_ints, active, depth + 1)
    else:
        for index, item in enumerate(value):
            if out.full:
                break
            if index:
                out.write(", ")
            _write(item, out, hex_ints, active, depth + 1)
        if kind is tuple and len(value) == 1:
            out.write(",")
    out.write(closing)
    active.discard(id(value))

"""Where named children are shown (debugpy's ``variablePresentation`` groups), with what DAP ``kind`` and
``visibility``, and the names of the entries the debugger adds (group nodes, ``len()``, return values).

Kept apart from the expander: the stack reader (agent/stack.py) reads the launch option once per session
and lays out a stop's scopes with it, and setVariable must know the made-up names to refuse them. A
slotted class on agent/records.py's bases, not a dataclass, and ``typing`` for mypy only: a stop's
scopes are shown while a thread is paused importing either (tests/test_late_imports.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from monadapter.agent.records import Value
from monadapter.agent.static import TYPE_MRO, is_dunder, is_immutable, kind_of_type
from monadapter.agent.value_members import mangle_prefix

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (see above)
if TYPE_CHECKING:
    from typing import Any, Literal

    Placement = Literal["group", "inline", "hide"]

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


class Presentation(Value):
    """Where each category of named children goes: debugpy's ``variablePresentation`` launch option."""

    __slots__ = ("function", "klass", "protected", "special")

    def __init__(
        self,
        special: Placement = "group",
        function: Placement = "group",
        klass: Placement = "group",
        protected: Placement = "inline",
    ) -> None:
        self.special = special
        self.function = function
        self.klass = klass
        self.protected = protected

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

    def layout(self, members: Iterable[tuple[str, Any]]) -> tuple[list[str], list[tuple[str, Any]]]:
        """Split named members into the groups that have members and the members shown inline."""
        groups: list[str] = []
        inline: list[tuple[str, Any]] = []
        for name, value in members:
            placement, category = self.place(name, value)
            if placement == "inline":
                inline.append((name, value))
            elif placement == "group" and category not in groups:
                groups.append(category)
        groups.sort(key=list(GROUP_TITLES).index)
        return groups, inline


#: classes nothing about which can change (static.is_immutable) and whose metaclass is ``type`` (so
#: hashing them runs no code) -> their kind: every named member of a scope is placed by its kind (a
#: module's globals: functions, modules, ints), five ``issubclass`` calls each.
_LASTING_KINDS: dict[type, Literal["method", "class", "data"]] = {}


def presentation_kind(value: Any) -> Literal["method", "class", "data"]:
    """The DAP ``presentationHint.kind`` of a value, decided on ``type(value)`` alone."""
    klass = type(value)
    if type(klass) is not type:
        return presentation_of_type(klass)
    kind = _LASTING_KINDS.get(klass)
    if kind is None:
        kind = presentation_of_type(klass)
        if is_immutable(klass):
            _LASTING_KINDS[klass] = kind
    return kind


def presentation_of_type(kind: type) -> Literal["method", "class", "data"]:
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

"""What a ``variablesReference`` stands for (a scope of a frame, a value, a property not read yet), and the
values the debugger makes up or stands in among children.

Its own module so that what hands references out (stack.py, frames.py, the expander), what follows them
(set_variable.py, data_targets.py) and what builds made-up values (tasks.py) share these classes without
importing the code that lists children. Slotted classes on agent/records.py's bases, not
``dataclasses``, and ``typing`` for mypy only: a thread paused while importing either must not keep a
stop's stack and scopes from being shown (tests/test_late_imports.py).
"""

from __future__ import annotations

from collections.abc import Callable
from types import FrameType

from .records import Record

TYPE_CHECKING = False  # typing is for mypy only: a stop's scopes need these classes (agent/stack.py)
if TYPE_CHECKING:
    from typing import Any, Literal


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


class ScopeRef(Record):
    """The Locals or Globals scope of a frame, or one group inside it."""

    __slots__ = ("frame", "group", "return_value", "which")

    def __init__(
        self,
        frame: FrameType,
        which: Literal["locals", "globals"],
        return_value: tuple[str, Any] | None = None,
        group: str | None = None,
    ) -> None:
        self.frame = frame
        self.which = which
        self.return_value = return_value
        self.group = group


class ValueRef(Record):
    """A value whose children can be listed; ``frame`` is where setVariable evaluates new values."""

    __slots__ = ("evaluate_name", "frame", "group", "value")

    def __init__(
        self, frame: FrameType | None, value: Any, evaluate_name: str | None, group: str | None = None
    ) -> None:
        self.frame = frame
        self.value = value
        self.evaluate_name = evaluate_name
        self.group = group


class PropertyRef(Record):
    """A property of ``owner`` not yet read: expanding it runs the getter (the lazy entry's only child)."""

    __slots__ = ("descriptor", "evaluate_name", "frame", "name", "owner")

    def __init__(
        self, frame: FrameType | None, owner: Any, name: str, descriptor: property, evaluate_name: str | None
    ) -> None:
        self.frame = frame
        self.owner = owner
        self.name = name
        self.descriptor = descriptor
        self.evaluate_name = evaluate_name


class Unread(Record):
    """Stands for a property among an object's members, so that listing them runs no getter."""

    __slots__ = ("descriptor",)

    def __init__(self, descriptor: property) -> None:
        self.descriptor = descriptor


Ref = ScopeRef | ValueRef | PropertyRef

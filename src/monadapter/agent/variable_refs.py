"""What a ``variablesReference`` stands for (a scope of a frame, a value, a property not read yet), and the
values the debugger makes up or stands in among children.

Its own module so that what hands references out (frames.py, the expander), what follows them
(set_variable.py, data_targets.py) and what builds made-up values (tasks.py) share these classes without
importing the code that lists children.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
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

"""The ``evaluateName`` of a child: source text that reads it from its parent's (``parent.name``,
``parent[key]``), so that a client can watch, copy or set what the Variables view shows.

Shared by the expander, which names each child it lists, and setVariable, which answers with the name
of what it wrote.
"""

from __future__ import annotations

import ast
import keyword
from functools import lru_cache
from typing import Any


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


def key_expression(base: str | None, parent: str | None, literal: str | None, index: int) -> str | None:
    """Return the expression of the item whose key is written ``literal`` (None: no literal; found by position)."""
    if base is None:
        return None
    return f"{base}[{literal}]" if literal is not None else f"{base}[list({parent})[{index}]]"

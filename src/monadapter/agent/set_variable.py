"""setVariable: writes the child shown under a variablesReference (a scope variable, an attribute, an item,
a property), as the program's own assignment would, and names what it wrote.

Its own module: a write follows the references the expander hands out but needs none of the listing's code.
"""

from __future__ import annotations

from typing import Any

from monadapter.agent.evaluate_names import attribute_expression, key_expression, key_literal, postfix_base
from monadapter.agent.formatting import describe_exception, display
from monadapter.agent.frame_locals import write_name
from monadapter.agent.handles import InspectError
from monadapter.agent.presentation import GROUP_TITLES, LEN_NAME, RETURN_PREFIX
from monadapter.agent.value_members import attributes, container_kind
from monadapter.agent.variable_refs import PropertyRef, Ref, ScopeRef


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
                    return key_expression(base, parent, key_literal(key), index)
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

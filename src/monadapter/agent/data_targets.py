"""dataBreakpointInfo: what a variable of the Variables view, or a watch expression's name, names as a
data breakpoint target (agent/data_watches.py), found with static lookups only: no property,
``__getattr__`` or ``__getattribute__`` of the program's runs.

Imported with the inspector (the first request about a paused thread needs both), on the I/O thread.
"""

from __future__ import annotations

import ast
import builtins
from types import CodeType, FrameType, MemberDescriptorType, ModuleType
from typing import Any

from .codes import is_function_frame
from .data_watches import MISSING, Target
from .evaluate_names import attribute_expression
from .frame_locals import fast_local_names
from .handles import Handles
from .registry import file_key
from .static import MISSING as NOT_DEFINED
from .static import TYPE_DICT, class_lookup, instance_dict
from .value_members import container_kind
from .variable_refs import PropertyRef, ScopeRef, ValueRef

#: What a dataBreakpointInfo answer says when nothing can be watched.
ONLY = "only a variable (local or global) or an attribute (obj.attr) can be watched"


def resolve(handles: Handles, arguments: dict[str, Any]) -> Target | str:
    """The target named by dataBreakpointInfo's ``name`` inside ``variablesReference`` (a scope or an
    object), or, without one, by ``name`` as an expression in ``frameId``'s frame; else why not.

    Raises:
        InspectError: an unknown reference or frame id.
    """
    name = arguments.get("name")
    if not isinstance(name, str) or not name.strip():
        return f"no name given: {ONLY}"
    reference = arguments.get("variablesReference")
    if isinstance(reference, int) and not isinstance(reference, bool) and reference > 0:
        ref = handles.get(reference)
        if isinstance(ref, ScopeRef):
            if ref.which == "globals" or not is_function_frame(ref.frame):
                return global_target(ref.frame.f_globals, name)
            return local_target(ref.frame, name)
        if isinstance(ref, ValueRef):
            return attribute_target(ref.value, name, attribute_expression(ref.evaluate_name, name) or name)
        if isinstance(ref, PropertyRef):
            return f"{name} is a property: its value is computed by code each time it is read"
        return ONLY
    frame = handles.get(arguments.get("frameId"), what="frameId")
    if not isinstance(frame, FrameType):
        return f"frameId names no frame: {ONLY}"
    return expression_target(frame, name.strip())


def local_target(frame: FrameType, name: str) -> Target | str:
    """``name``, a local variable of the function ``frame`` runs."""
    if name not in fast_local_names(frame):
        return f"{name!r} is not a variable of {frame.f_code.co_qualname}: {ONLY}"
    code = frame.f_code
    codes = (code, *_sharing(code, name)) if name in code.co_cellvars else (code,)
    label = f"{name} (local of {code.co_qualname})"
    return Target("local", name, label, frame=frame, codes=codes)


def _sharing(code: CodeType, name: str) -> list[CodeType]:
    """The functions nested in ``code`` that use its cell ``name`` (``nonlocal name`` can change it)."""
    found: list[CodeType] = []
    stack = [const for const in code.co_consts if type(const) is CodeType]
    while stack:
        nested = stack.pop()
        if name in nested.co_freevars:
            found.append(nested)
            stack.extend(const for const in nested.co_consts if type(const) is CodeType)
    return found


def global_target(namespace: dict[str, Any], name: str) -> Target | str:
    """``name`` in a module's globals."""
    if type(namespace) is not dict or name not in namespace:
        return f"{name!r} is not a global: {ONLY}"
    module = namespace.get("__name__")
    filename = namespace.get("__file__")
    label = f"{name} (global of {module if isinstance(module, str) else 'a module'})"
    key = file_key(filename) if isinstance(filename, str) else None
    return Target("global", name, label, namespace=namespace, file_key=key)


def attribute_target(owner: Any, name: str, label: str) -> Target | str:
    """The attribute ``name`` of ``owner``, stored in its ``__dict__``, a slot, or a class's own dict;
    a module's attribute is its global."""
    if not name.isidentifier() or container_kind(owner) is not None:
        return f"{label}: items of a container cannot be watched; {ONLY}"
    if type(owner) is ModuleType:
        return global_target(instance_dict(owner), name)  # type: ignore[arg-type]
    if isinstance(owner, type):
        namespace = TYPE_DICT.__get__(owner)
        if name not in namespace:
            return f"{label} is not an attribute of the class itself"
        return Target("attribute", name, label, namespace=namespace, owner=owner)
    descriptor = class_lookup(type(owner), name)
    if type(descriptor) is MemberDescriptorType:
        return Target("attribute", name, label, owner=owner, slot=descriptor)
    if descriptor is not NOT_DEFINED and class_lookup(type(descriptor), "__set__") is not NOT_DEFINED:
        return f"{label} is computed by code (a property or another descriptor): it cannot be watched"
    namespace = instance_dict(owner)
    if name not in namespace:
        return f"{label} is not stored in the object (no such attribute in its __dict__)"
    return Target("attribute", name, label, namespace=namespace, owner=owner)


def expression_target(frame: FrameType, expression: str) -> Target | str:
    """A watch expression's name (``evaluateName``): ``x`` (a local or a global) or ``a.b.c`` (an
    attribute of what ``a.b`` is), resolved without running the program's code."""
    try:
        node = ast.parse(expression, mode="eval").body
    except SyntaxError:
        return f"{expression!r} is not valid Python: {ONLY}"
    if isinstance(node, ast.Name):
        if is_function_frame(frame) and node.id in fast_local_names(frame):
            return local_target(frame, node.id)
        return global_target(frame.f_globals, node.id)
    if isinstance(node, ast.Attribute):
        owner = _static_value(frame, node.value)
        if owner is MISSING:
            return f"{ast.unparse(node.value)} cannot be read without running code: {ONLY}"
        return attribute_target(owner, node.attr, expression)
    return f"{expression!r}: {ONLY}"


def _static_value(frame: FrameType, node: ast.expr) -> Any:
    """The value of a name or an attribute chain, by dict lookups and C getters only; MISSING when
    that would take code (a property, ``__getattr__``) or the name is not defined."""
    if isinstance(node, ast.Name):
        if is_function_frame(frame) and node.id in fast_local_names(frame):
            return frame.f_locals.get(node.id, MISSING)
        for namespace in (frame.f_globals, vars(builtins)):
            if node.id in namespace:
                return namespace[node.id]
        return MISSING
    if isinstance(node, ast.Attribute):
        owner = _static_value(frame, node.value)
        if owner is MISSING:
            return MISSING
        target = attribute_target(owner, node.attr, node.attr)
        return MISSING if isinstance(target, str) else target.read()
    return MISSING

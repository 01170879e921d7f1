"""Running the client's text in a paused frame: expressions, REPL statements, side-effect-free hovers, assignment."""

from __future__ import annotations

import ast
import operator
import sys
from collections.abc import Callable
from types import (
    CodeType,
    FrameType,
    ModuleType,
)
from typing import Any

from monadapter.agent.codes import is_function_frame
from monadapter.agent.formatting import describe_exception, type_name
from monadapter.agent.frame_locals import fast_local_names, writable_locals, write_name
from monadapter.agent.handles import InspectError
from monadapter.agent.interrupt import EvaluationTimeout
from monadapter.agent.static import MISSING, binds_in_c, class_lookup, instance_dict, qualname

#: inspect.CO_COROUTINE: the flag of code compiled from text with a top-level ``await`` (inspect itself
#: is not loaded into the debuggee for it)
CO_COROUTINE = 0x80
#: Calls console code for ``run_repl`` (Parking.run_nested on the paused thread).
Runner = Callable[[Callable[[], Any]], Any]
#: ``co_filename`` of code compiled from the client's text (shows in tracebacks of REPL-defined functions).
EVAL_FILENAME = "<debug>"

# ``__getattribute__`` implementations that only do the standard lookup.
_STANDARD_GETATTRIBUTE = (object.__getattribute__, type.__getattribute__, ModuleType.__getattribute__)
# Containers whose item lookup hover may do, with the C method it uses.
_STATIC_GETITEM: dict[type, Callable[[Any, Any], Any]] = {
    dict: dict.__getitem__,
    list: list.__getitem__,
    tuple: tuple.__getitem__,
}


def evaluate_expression(frame: FrameType, source: str) -> Any:
    """Evaluate the expression ``source`` in ``frame`` and return its value (watch, clipboard, new values).

    Raises:
        InspectError: ``source`` is not an expression, or evaluating it raised ("NameError: ...").
    """
    try:
        code = compile(source, EVAL_FILENAME, "eval")
    except SyntaxError as exc:
        raise InspectError(describe_exception(exc)) from None
    return _run(frame, code, real_globals=False)


def run_repl(frame: FrameType, source: str, run: Runner | None = None) -> tuple[bool, Any]:
    """Run debug-console input in ``frame``: an expression is evaluated, anything else executed.
    ``run`` calls the code (with our callbacks live: a breakpoint it meets stops, Parking.run_nested).

    Returns ``(True, value)`` for an expression and ``(False, None)`` for statements. Assignments change
    the paused frame for real (see :func:`writable_locals`).

    Raises:
        InspectError: a syntax error, a ``del`` of a function's local variable (CPython cannot unbind one in a
            paused frame), or the exception the code raised.
    """
    try:
        expression = compile(source, EVAL_FILENAME, "eval", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except SyntaxError:
        expression = None  # not an expression: run it as statements below
    if expression is not None:
        return True, _run(frame, expression, real_globals=False, run=run)
    try:
        tree = ast.parse(source, EVAL_FILENAME, "exec")
    except SyntaxError as exc:
        raise InspectError(describe_exception(exc)) from None
    if is_function_frame(frame):
        _refuse_local_deletes(tree, fast_local_names(frame))
    # A `global` statement must rebind the module's real globals, not the merged copy.
    real_globals = any(isinstance(node, ast.Global) for node in _statements_of_this_scope(tree))
    code = compile(tree, EVAL_FILENAME, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    _run(frame, code, real_globals=real_globals, run=run)
    return False, None


def _run(frame: FrameType, code: CodeType, *, real_globals: bool, run: Runner | None = None) -> Any:
    """Run ``code`` with the frame's globals and locals; writes to locals reach the frame.

    Locals are also copied into the globals mapping given to ``eval`` (as pydevd does) unless the frame is
    module code or ``real_globals`` is set: generator expressions and lambdas in the client's text look up
    free names in globals, so without the copy ``sum(x * k for x in items)`` fails on a local ``k``.
    """
    with writable_locals(frame) as local_ns:
        global_ns = frame.f_globals
        if not real_globals and local_ns is not global_ns:
            global_ns = {**global_ns, **local_ns}
        try:
            if code.co_flags & CO_COROUTINE:  # console text with a top-level ``await``
                return (run or _call)(lambda: _awaited(eval(code, global_ns, local_ns)))
            return (run or _call)(lambda: eval(code, global_ns, local_ns))
        except (EvaluationTimeout, InspectError):
            raise  # the request ends with it (PausedJobs.on_thread says why); ours says what it refused
        except BaseException as exc:  # the program's own SystemExit or KeyboardInterrupt included: report it
            raise InspectError(describe_exception(exc)) from None


def _call(call: Callable[[], Any]) -> Any:
    return call()


def _awaited(coroutine: Any) -> Any:
    """The result of console code with a top-level ``await`` (a coroutine), run on this paused thread.

    With no event loop running on this thread and asyncio imported by the program, a new loop runs
    it (and is closed). When this thread runs the loop (paused in a task), that loop cannot run until
    we return: the coroutine is stepped with ``send(None)``, which finishes whatever does not wait for
    the loop (a coroutine that does not suspend, a finished task or future, ``asyncio.sleep(0)``); what
    waits for the loop is closed and refused, saying so.
    """
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None and asyncio.events._get_running_loop() is None:
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(coroutine)
        finally:
            loop.close()
    try:
        while True:
            waited = coroutine.send(None)
            if waited is not None:
                coroutine.close()
                raise InspectError(
                    f"await cannot finish while paused: it waits for {_short_repr(waited)}, which only the "
                    "event loop completes, and the loop runs on this paused thread (it runs again when you "
                    "continue). Await what is ready now: a finished task or future, or a coroutine that does "
                    "not wait for the loop"
                )
    except StopIteration as stop:
        return stop.value


def _short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"a {type_name(value)}"
    return text if len(text) <= 120 else text[:117] + "..."


def _statements_of_this_scope(tree: ast.AST) -> list[ast.AST]:
    """Return the nodes of ``tree`` outside nested function, lambda and class bodies."""
    found: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        found.append(node)
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                pending.append(child)
    return found


def _refuse_local_deletes(tree: ast.AST, local_names: set[str]) -> None:
    for node in _statements_of_this_scope(tree):
        if isinstance(node, ast.Delete):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in local_names:
                    raise InspectError(f"cannot delete local variable {target.id!r} of a paused function")


# --- hovers --------------------------------------------------------------------------------------------------


def hover_value(frame: FrameType, source: str) -> Any:
    """Return the value of ``source`` for a hover, running none of the program's code.

    Only names, attribute chains and subscripts by constants are evaluated, with static lookups
    (``monadapter.agent.static``, the C ``__getitem__`` of dict, list and tuple). A property, a custom
    descriptor, a custom ``__getattribute__`` or a call is declined with a short message, so hovering
    over code never changes the program's state.

    Raises:
        InspectError: the text is something else, the name is unknown, or the lookup would run code.
    """
    try:
        node = ast.parse(source.strip(), mode="eval").body
    except SyntaxError:
        raise InspectError("hover evaluates names, attributes and constant subscripts only") from None
    return _static_value(frame, node)


def _static_value(frame: FrameType, node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) in (int, float, complex)
    ):
        return -node.operand.value  # type: ignore[operator]  # a number: its type was checked
    if isinstance(node, ast.Name):
        for namespace in (frame.f_locals, frame.f_globals, frame.f_builtins):
            if node.id in namespace:
                return namespace[node.id]
        raise InspectError(f"NameError: name {node.id!r} is not defined")
    if isinstance(node, ast.Attribute):
        return _static_attribute(_static_value(frame, node.value), node.attr)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, (ast.Constant, ast.UnaryOp)):
        return _static_item(_static_value(frame, node.value), _static_value(frame, node.slice))
    raise InspectError("hover evaluates names, attributes and constant subscripts only")


def _static_attribute(owner: Any, name: str) -> Any:
    klass = type(owner)
    if class_lookup(klass, "__getattribute__") not in _STANDARD_GETATTRIBUTE:
        raise InspectError(f"hover does not run the custom __getattribute__ of {qualname(klass)}")
    found = _static_lookup(owner, name)
    if found is MISSING:
        raise InspectError(f"AttributeError: {qualname(klass)!r} object has no attribute {name!r}")
    if class_lookup(type(found), "__get__") is MISSING or (type(found) is property and issubclass(klass, type)):
        return found  # plain data, or a property read on its class (which gives the property itself)
    if binds_in_c(type(found)):
        try:
            return getattr(owner, name)  # the standard lookup ends in this C-level descriptor: no user code runs
        except Exception as exc:
            raise InspectError(describe_exception(exc)) from None
    raise InspectError(
        f"hover does not run {qualname(type(found))} {name!r}: evaluate it in the watch or debug console"
    )


def _static_lookup(owner: Any, name: str) -> Any:
    """What ``owner.name`` finds, by Python's precedence, without running code: a data descriptor of the
    class, else the instance (or, for a class, its own MRO; for a module, its dict), else the class."""
    on_class = class_lookup(type(owner), name)
    if on_class is not MISSING and class_lookup(type(on_class), "__set__") is not MISSING:
        return on_class
    if issubclass(type(owner), type):
        found = class_lookup(owner, name)
    else:
        found = instance_dict(owner).get(name, MISSING)
    return on_class if found is MISSING else found


def _static_item(container: Any, key: Any) -> Any:
    getitem = next((method for kind, method in _STATIC_GETITEM.items() if issubclass(type(container), kind)), None)
    if getitem is None or class_lookup(type(container), "__getitem__") is not getitem:
        raise InspectError(f"hover does not index {type_name(container)} objects")
    if getitem is dict.__getitem__ and not dict.__contains__(container, key):  # never reach a __missing__
        raise InspectError(f"KeyError: {key!r}")
    try:
        return getitem(container, key)
    except Exception as exc:
        raise InspectError(describe_exception(exc)) from None


# --- assignment ------------------------------------------------------------------------------------------------


def assign_expression(frame: FrameType, target: str, value: Any) -> None:
    """Assign ``value`` to the assignment target ``target`` (a name, attribute, subscript or tuple of them).

    A name is written like the frame's own code would write it (its local, else the module global), so
    the program sees the new value when it resumes.

    Raises:
        InspectError: ``target`` cannot be assigned to, or evaluating its parts or assigning raised.
    """
    try:
        node = ast.parse(target.strip(), mode="eval").body
    except SyntaxError as exc:
        raise InspectError(describe_exception(exc)) from None
    _assign(frame, target.strip(), node, value)


def _assign(frame: FrameType, source: str, node: ast.expr, value: Any) -> None:
    if isinstance(node, ast.Name):
        write_name(frame, node.id, value)
        return
    if isinstance(node, (ast.Tuple, ast.List)) and not any(isinstance(e, ast.Starred) for e in node.elts):
        try:
            values = list(value)
        except Exception as exc:
            raise InspectError(describe_exception(exc)) from None
        if len(values) != len(node.elts):
            raise InspectError(f"ValueError: expected {len(node.elts)} values to unpack, got {len(values)}")
        for element, item in zip(node.elts, values, strict=True):
            _assign(frame, source, element, item)
        return
    if isinstance(node, ast.Attribute):
        owner = evaluate_expression(frame, _segment(source, node.value))
        _apply(lambda: setattr(owner, node.attr, value))
        return
    if isinstance(node, ast.Subscript):
        container = evaluate_expression(frame, _segment(source, node.value))
        index = node.slice
        if isinstance(index, ast.Slice):  # `a[1:3] = ...`: the slice's parts are expressions, the whole is not
            parts = [
                _segment(source, part) if part is not None else "None"
                for part in (index.lower, index.upper, index.step)
            ]
            key = evaluate_expression(frame, f"slice({', '.join(parts)})")
        else:
            key = evaluate_expression(frame, _segment(source, index))
        _apply(lambda: operator.setitem(container, key, value))
        return
    raise InspectError(f"cannot assign to {ast.get_source_segment(source, node) or source!r}")


def _segment(source: str, node: ast.expr) -> str:
    text = ast.get_source_segment(source, node)
    return text if text is not None else ast.unparse(node)


def _apply(write: Callable[[], object]) -> None:
    try:
        write()
    except Exception as exc:
        raise InspectError(describe_exception(exc)) from None

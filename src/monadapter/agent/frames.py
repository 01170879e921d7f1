"""The Inspector: answers variables, evaluate, setVariable and setExpression for paused frames, on top
of the StackReader (agent/stack.py), which answers stackTrace and scopes.

The engine calls these methods on the paused thread itself, inside its monitoring callback, so the code
they run (a ``__repr__``, an evaluated expression) fires no monitoring events and sees the program's own
thread-locals (architecture.md, "Agent threads"); a variables request that runs none of the program's code
is answered on the I/O thread (PausedRequests.variables_here). Each method takes the request's
``arguments`` as the client sent them and returns the response body, or raises :class:`InspectError`
with the message to show. Loaded at the first request that reads values, not with a stop's stack: the
modules it uses import ``dataclasses``, ``typing``, ``ast`` and ``json`` (docs/architecture.md, "Late
imports never wait for a paused thread").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from monadapter.agent.codes import is_function_frame
from monadapter.agent.evaluate import Runner, assign_expression, evaluate_expression, hover_value, run_repl
from monadapter.agent.expander import Expander
from monadapter.agent.formatting import display, type_name
from monadapter.agent.handles import InspectError, NeedsThread
from monadapter.agent.plain_items import PLAIN_CLASSES
from monadapter.agent.set_variable import assign_child
from monadapter.agent.stack import StackReader, count_argument, reported
from monadapter.agent.variable_entries import facts_known
from monadapter.agent.variable_refs import PropertyRef, ScopeRef, ValueRef
from monadapter.agent.wire import RawJSON


class Inspector:
    """Answers the requests that read the values of paused threads' frames."""

    def __init__(self, stack: StackReader, *, options: Mapping[str, Any]) -> None:
        """``stack``: the reader of the same stops (its handles, its frames' owners, its
        ``variablePresentation``); ``options`` are the launch arguments, of which the Inspector reads
        ``hoverRunsCode`` (the hover context evaluates as watch does: for clients that send it for
        explicit evaluation)."""
        self.stack = stack
        self.handles = stack.handles
        self._hover_runs_code = options.get("hoverRunsCode") is True
        # runs repl code so that a breakpoint in it stops (set by the Debugger: Parking.run_nested)
        self.run_console: Runner | None = None

    def variables(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """:meth:`variables_json` as an object, for callers in this process."""
        return self.variables_json(arguments).decoded()

    @reported
    def variables_json(self, arguments: dict[str, Any], *, here: bool = False) -> RawJSON:
        """Answer variables: the children of a scope or value, paged by ``filter``, ``start`` and ``count``.

        The body comes as JSON text (the channel sends it as it is): see :meth:`Expander.item`. ``here``:
        asked on the I/O thread, which raises NeedsThread, before anything is listed, unless the
        reference is a function's locals that :func:`_locals_run_no_code` lists with C code alone.
        """
        reference = arguments.get("variablesReference")
        ref = self._ref(reference)
        if here and not (isinstance(ref, ScopeRef) and _locals_run_no_code(ref, facts_known)):
            raise NeedsThread("variables")
        filter = arguments.get("filter")
        if filter not in (None, "named", "indexed"):
            raise InspectError(f"filter must be 'named' or 'indexed', got {filter!r}")
        start = count_argument(arguments, "start")
        count = count_argument(arguments, "count") or None
        expander = self._expander(self.stack.owner(reference), arguments)
        return expander.children(ref, filter, start, count)

    @reported
    def evaluate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Answer evaluate in the contexts watch (the default), repl, hover and clipboard.

        ``repl`` also runs statements; ``hover`` runs no program code (see :func:`hover_value`) unless
        the launch said ``hoverRunsCode``; ``clipboard`` returns the whole repr, not cut. Without a
        ``frameId`` it fails with "no frame".
        """
        expression = _text_argument(arguments, "expression")
        context = arguments.get("context") or "watch"
        frame_id = arguments.get("frameId")
        if frame_id is None:
            raise InspectError("no frame")
        frame = self.stack.frame(frame_id)
        expander = self._expander(self.stack.owner(frame_id), arguments)
        if context == "hover" and not self._hover_runs_code:
            value = hover_value(frame, expression)
        elif context == "repl":
            is_expression, value = run_repl(frame, expression, self.run_console)
            if not is_expression:
                return {"result": "", "variablesReference": 0}
        else:
            value = evaluate_expression(frame, expression)
        if context == "clipboard":
            return {
                "result": display(value, hex_ints=expander.hex_ints, limit=None),
                "type": type_name(value),
                "variablesReference": 0,
            }
        body = expander.describe(value, expression.strip(), frame)
        body["result"] = body.pop("value")
        return body

    @reported
    def set_variable(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Answer setVariable: evaluate ``value`` in the reference's frame and store it in child ``name``."""
        reference = arguments.get("variablesReference")
        ref = self._ref(reference)
        name = _text_argument(arguments, "name")
        source = _text_argument(arguments, "value")
        if ref.frame is None:
            raise InspectError("no frame to evaluate the new value in")
        value = evaluate_expression(ref.frame, source)
        evaluate_name = assign_child(ref, name, value)
        return self._expander(self.stack.owner(reference), arguments).describe(value, evaluate_name, ref.frame)

    @reported
    def set_expression(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Answer setExpression: evaluate ``value`` in the frame and assign it to the target ``expression``."""
        target = _text_argument(arguments, "expression")
        source = _text_argument(arguments, "value")
        frame_id = arguments.get("frameId")
        if frame_id is None:
            raise InspectError("no frame")
        frame = self.stack.frame(frame_id)
        value = evaluate_expression(frame, source)
        assign_expression(frame, target, value)
        return self._expander(self.stack.owner(frame_id), arguments).describe(value, target.strip(), frame)

    # --- helpers ---

    def _ref(self, reference: Any) -> ScopeRef | ValueRef | PropertyRef:
        ref = self.handles.get(reference)
        if not isinstance(ref, (ScopeRef, ValueRef, PropertyRef)):
            raise InspectError(f"{reference} is a frameId, not a variablesReference")
        return ref

    def _expander(self, thread_id: int, arguments: Mapping[str, Any]) -> Expander:
        value_format = arguments.get("format")
        hex_ints = isinstance(value_format, dict) and value_format.get("hex") is True
        return Expander(self.handles, thread_id, self.stack.presentation, hex_ints=hex_ints)


#: The most items a container among the locals may hold for them to be listed off the paused thread
#: (each is looked at first): past it, the paused thread lists them as before.
_FEW_ITEMS = 1000


def _locals_run_no_code(ref: ScopeRef, known: Callable[[type], bool]) -> bool:
    """Whether listing ``ref`` (``variables``) runs C code alone: it is a function's locals, with no return
    value shown, every name a plain ``str`` and every value plain (``plain_items.PLAIN_CLASSES``) or an
    exact ``list``, ``tuple`` or ``dict`` of at most :data:`_FEW_ITEMS` plain items, of a class whose
    facts ``known`` says were read already (``TypeFacts.of`` tells containers by ``issubclass`` of
    ``collections.abc`` classes, whose checks may call a ``__subclasscheck__`` of the program's). Then the
    listing reads ``type()`` of the values, their ``repr`` (formatting.display: C for these, element by
    element for the containers), ``len``, and the classes' C descriptors (value_members.attributes)."""
    if ref.which != "locals" or ref.return_value is not None or not is_function_frame(ref.frame):
        return False
    for name, value in ref.frame.f_locals.items():
        kind = type(value)
        if type(name) is not str or not known(kind):
            return False
        if kind in PLAIN_CLASSES:
            continue
        if kind not in (list, tuple, dict) or len(value) > _FEW_ITEMS:
            return False
        items = (*value.keys(), *value.values()) if kind is dict else value
        if any(type(item) not in PLAIN_CLASSES for item in items):
            return False
    return True


def _text_argument(arguments: Mapping[str, Any], name: str) -> str:
    value = arguments.get(name)
    if not isinstance(value, str):
        raise InspectError(f"{name} must be a string, got {value!r}")
    return value

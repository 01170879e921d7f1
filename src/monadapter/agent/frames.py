"""The Inspector: answers stackTrace, scopes, variables, evaluate, setVariable and setExpression for paused frames.

The engine calls these methods on the paused thread itself, inside its monitoring callback, so the code
they run (a ``__repr__``, an evaluated expression) fires no monitoring events and sees the program's own
thread-locals (architecture.md, "Agent threads"); a stackTrace that runs none of the program's code is
answered on the I/O thread (PausedRequests.stack_trace_here). Each method takes the request's
``arguments`` as the client sent them and returns the response body, or raises :class:`InspectError`
with the message to show.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from types import CodeType, FrameType
from typing import Any, Literal

from monadapter.agent.codes import is_own_file
from monadapter.agent.evaluate import Runner, assign_expression, evaluate_expression, hover_value, run_repl
from monadapter.agent.expander import Expander
from monadapter.agent.formatting import describe_exception, display, type_name
from monadapter.agent.frame_locals import is_function_frame
from monadapter.agent.handles import Handles, InspectError, NeedsThread
from monadapter.agent.plain_items import PLAIN_CLASSES
from monadapter.agent.presentation import Presentation
from monadapter.agent.set_variable import assign_child
from monadapter.agent.tasks import SCOPE_NAME as TASKS_SCOPE
from monadapter.agent.tasks import tasks_node
from monadapter.agent.value_members import scope_members
from monadapter.agent.variable_entries import facts_known
from monadapter.agent.variable_refs import PropertyRef, ScopeRef, ValueRef
from monadapter.agent.wire import RawJSON

_CO_VARARGS = 0x4
_CO_VARKEYWORDS = 0x8


#: The StackFrameFormat options under which a frame's name reads its values (``parameters``: a
#: ``__repr__`` runs) or its globals (``module``: a ``dict`` subclass's ``get`` may run).
_READING_OPTIONS = ("parameters", "parameterNames", "parameterTypes", "parameterValues", "module")


def frame_name(frame: FrameType, line: int, options: Mapping[str, Any]) -> str:
    """Return the name of a stack frame: its qualified name, decorated as the StackFrameFormat asks.

    ``parameters`` (or any of ``parameterNames/Types/Values``) appends the argument list, by default as
    ``name=value``; ``module`` prefixes the module as ``module!``; ``line`` appends ``Line: N``.
    """
    name = frame.f_code.co_qualname
    detail = {key: options.get(key) is True for key in ("parameterNames", "parameterTypes", "parameterValues")}
    if options.get("parameters") is True or any(detail.values()):
        if not any(detail.values()):
            detail = {"parameterNames": True, "parameterTypes": False, "parameterValues": True}
        name += f"({', '.join(_describe_parameters(frame, detail))})"
    if options.get("module") is True:
        name = f"{frame.f_globals.get('__name__', '?')}!{name}"
    if options.get("line") is True:
        name += f" Line: {line}"
    return name


def _describe_parameters(frame: FrameType, detail: dict[str, bool]) -> list[str]:
    code: CodeType = frame.f_code
    count = code.co_argcount + code.co_kwonlyargcount
    count += bool(code.co_flags & _CO_VARARGS) + bool(code.co_flags & _CO_VARKEYWORDS)
    local_ns = frame.f_locals
    parts = []
    for parameter in code.co_varnames[:count]:
        value = local_ns.get(parameter)
        label = " ".join(
            part
            for part, wanted in ((type_name(value), detail["parameterTypes"]), (parameter, detail["parameterNames"]))
            if wanted
        )
        if detail["parameterValues"]:
            shown = display(value, limit=40)
            label = f"{label}={shown}" if detail["parameterNames"] else f"{label} {shown}".strip()
        parts.append(label)
    return parts


def _reported[**P, R](method: Callable[P, R]) -> Callable[P, R]:
    """Turn any exception escaping a request into an InspectError carrying its text.

    Listing children runs the program's code (``__len__``, ``items()``, a ``__dict__`` another thread is
    resizing), and whatever it raises must become an error response, never an exception in the engine's
    callback.
    """

    @wraps(method)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except InspectError:
            raise
        except Exception as exc:
            raise InspectError(describe_exception(exc)) from None

    return guarded


class Inspector:
    """Answers the inspection requests for frames of paused threads."""

    def __init__(
        self,
        handles: Handles,
        *,
        source_for: Callable[[CodeType], dict[str, Any]],
        options: dict[str, Any],
        library: Callable[[str], bool],
    ) -> None:
        """``source_for(code)`` gives the DAP Source of a code object; ``options`` are the launch arguments;
        ``library(filename)`` says whether a file's code is not the user's (justMyCode and rules decide:
        the engine's verdict, the one steps use), which stack traces mark.

        Of the options the Inspector reads ``variablePresentation`` (debugpy's: ``special``, ``function``,
        ``class``, ``protected`` or ``all`` set to ``group``, ``inline`` or ``hide``) and ``hoverRunsCode``
        (the hover context evaluates as watch does: for clients that send it for explicit evaluation).
        """
        self.handles = handles
        self._source_for = source_for
        self._presentation = Presentation.from_options(options)
        self._hover_runs_code = options.get("hoverRunsCode") is True
        # runs repl code so that a breakpoint in it stops (set by the Debugger: Parking.run_nested)
        self.run_console: Runner | None = None
        self._library = library

    @staticmethod
    def names_read_values(arguments: Mapping[str, Any]) -> bool:
        """Whether the stackTrace ``arguments`` ask for frame names that read values (see :func:`frame_name`)."""
        options = arguments.get("format")
        return isinstance(options, dict) and any(options.get(key) is True for key in _READING_OPTIONS)

    @_reported
    def stack_trace(
        self,
        thread_id: int,
        frames: list[tuple[FrameType, int]],
        arguments: dict[str, Any],
        *,
        source_for: Callable[[CodeType], dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Answer stackTrace: ``frames`` are the thread's frames, innermost first, each with its current line.

        Frames of monadapter's own code are left out, and ``totalFrames`` counts the rest, so paging with
        ``startFrame``/``levels`` never shows them. Frames of code that is not the user's (with justMyCode,
        the default: the standard library, site-packages, frozen modules, as ``rules`` leave them; code
        steps never stop in) are marked as such: ``presentationHint`` "subtle" on the frame and
        "deemphasize" on its source. ``source_for``: what gives each shown frame's Source, when not the
        Inspector's own (the I/O thread's, which accepts only files on disk: PausedRequests.stack_trace_here).
        """
        visible = [(frame, line) for frame, line in frames if not is_own_file(frame.f_code.co_filename)]
        start = _count_argument(arguments, "startFrame")
        levels = _count_argument(arguments, "levels")
        page = visible[start : start + levels if levels else None]
        options: dict[str, Any] = arguments["format"] if isinstance(arguments.get("format"), dict) else {}
        stack_frames = []
        for frame, line in page:
            entry: dict[str, Any] = {
                "id": self.handles.add_frame(thread_id, frame),
                "name": frame_name(frame, line, options),
                "line": line if isinstance(line, int) else 0,  # DAP wants a number; 0 means "no line"
                "column": 1,
            }
            source = (source_for or self._source_for)(frame.f_code)
            library = self._library(frame.f_code.co_filename)
            if library:
                entry["presentationHint"] = "subtle"
            if source:
                entry["source"] = {**source, "presentationHint": "deemphasize"} if library else source
            stack_frames.append(entry)
        return {"stackFrames": stack_frames, "totalFrames": len(visible)}

    @_reported
    def scopes(
        self, arguments: dict[str, Any], *, return_value: tuple[str, Any] | None = None, here: bool = False
    ) -> dict[str, Any]:
        """Answer scopes: Locals then Globals; a module-level frame gets only Globals; then, on a thread
        that runs an asyncio event loop, the loop's tasks (agent/tasks.py).

        Module code's locals *are* its globals, so listing them twice would only double the work of every
        stop. ``return_value`` (name, value) shows as a read-only ``(return) name`` entry at the top of the
        frame's first scope. ``here``: asked on the I/O thread, which raises NeedsThread, before anything is
        read, for a frame whose scopes could run the program's code (:func:`_scopes_may_run_code`).
        """
        frame_id = arguments.get("frameId")
        frame = self._frame(frame_id)
        thread_id = self._owner(frame_id)
        with_tasks = "asyncio" in sys.modules  # no asyncio in the program: no cost
        if here and (with_tasks or _scopes_may_run_code(frame)):
            raise NeedsThread("scopes")
        expander = self._expander(thread_id, arguments)
        module_level = not is_function_frame(frame) and frame.f_locals is frame.f_globals
        scopes: list[dict[str, Any]] = []
        scope_names: tuple[tuple[Literal["locals", "globals"], str], ...] = (
            ("locals", "Locals"),
            ("globals", "Globals"),
        )
        for which, name in scope_names:
            if which == "locals" and module_level:
                continue
            first = not scopes
            ref = ScopeRef(frame, which, return_value if first else None)
            groups, inline = expander.layout(scope_members(ref))
            scope: dict[str, Any] = {
                "name": name,
                "variablesReference": self.handles.add(thread_id, ref, key=("scope", id(frame), which)),
                "namedVariables": len(groups) + len(inline) + (ref.return_value is not None),
                "expensive": False,
            }
            if which == "locals":
                scope["presentationHint"] = "locals"
            scopes.append(scope)
        tasks = tasks_node() if with_tasks else None
        if tasks is not None:
            scopes.append(
                {
                    "name": TASKS_SCOPE,
                    "variablesReference": self.handles.add(thread_id, ValueRef(frame, tasks, None)),
                    "namedVariables": len(tasks.members()),
                    "expensive": False,
                }
            )
        return {"scopes": scopes}

    def variables(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """:meth:`variables_json` as an object, for callers in this process."""
        return self.variables_json(arguments).decoded()

    @_reported
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
        start = _count_argument(arguments, "start")
        count = _count_argument(arguments, "count") or None
        expander = self._expander(self._owner(reference), arguments)
        return expander.children(ref, filter, start, count)

    @_reported
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
        frame = self._frame(frame_id)
        expander = self._expander(self._owner(frame_id), arguments)
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

    @_reported
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
        return self._expander(self._owner(reference), arguments).describe(value, evaluate_name, ref.frame)

    @_reported
    def set_expression(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Answer setExpression: evaluate ``value`` in the frame and assign it to the target ``expression``."""
        target = _text_argument(arguments, "expression")
        source = _text_argument(arguments, "value")
        frame_id = arguments.get("frameId")
        if frame_id is None:
            raise InspectError("no frame")
        frame = self._frame(frame_id)
        value = evaluate_expression(frame, source)
        assign_expression(frame, target, value)
        return self._expander(self._owner(frame_id), arguments).describe(value, target.strip(), frame)

    # --- helpers ---

    def _frame(self, frame_id: Any) -> FrameType:
        frame = self.handles.get(frame_id, what="frameId")
        if not isinstance(frame, FrameType):
            raise InspectError(f"{frame_id} is a variablesReference, not a frameId")
        return frame

    def _ref(self, reference: Any) -> ScopeRef | ValueRef | PropertyRef:
        ref = self.handles.get(reference)
        if not isinstance(ref, (ScopeRef, ValueRef, PropertyRef)):
            raise InspectError(f"{reference} is a frameId, not a variablesReference")
        return ref

    def _owner(self, reference: Any) -> int:
        thread_id = self.handles.thread_of(reference)
        if thread_id is None:  # the thread resumed between the lookup and now
            raise InspectError(f"unknown reference {reference}: its thread has resumed")
        return thread_id

    def _expander(self, thread_id: int, arguments: Mapping[str, Any]) -> Expander:
        value_format = arguments.get("format")
        hex_ints = isinstance(value_format, dict) and value_format.get("hex") is True
        return Expander(self.handles, thread_id, self._presentation, hex_ints=hex_ints)


def _scopes_may_run_code(frame: FrameType) -> bool:
    """Whether listing the scopes of ``frame`` might run the program's code; False only when its globals
    are a plain ``dict``, its locals are a function's (or, at module level, those globals) and every
    name in both is a plain ``str``. Then what :meth:`Inspector.scopes` reads is C code alone: the
    namespaces' items, ``str`` methods of the names, ``type`` of the values and ``issubclass`` of built-in
    classes (``presentation_kind``). A class body's namespace may be any mapping (``__prepare__``), a
    ``dict`` subclass's ``items`` and a ``str`` subclass's ``startswith`` the program's own."""
    namespace = frame.f_globals
    if type(namespace) is not dict:
        return True
    if is_function_frame(frame):
        local_names: Iterable[Any] = frame.f_locals
    elif frame.f_locals is namespace:
        local_names = ()
    else:
        return True
    return any(type(name) is not str for name in local_names) or any(type(name) is not str for name in namespace)


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


def _count_argument(arguments: Mapping[str, Any], name: str) -> int:
    """Return a non-negative integer argument, 0 when absent."""
    value = arguments.get(name)
    if value is None:
        return 0
    if type(value) is not int or value < 0:
        raise InspectError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def _text_argument(arguments: Mapping[str, Any], name: str) -> str:
    value = arguments.get(name)
    if not isinstance(value, str):
        raise InspectError(f"{name} must be a string, got {value!r}")
    return value

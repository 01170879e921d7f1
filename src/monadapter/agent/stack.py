"""The StackReader: answers stackTrace and scopes for paused frames, what a stop shows before any value
is listed (the values themselves: agent/frames.py's Inspector, loaded at the first request that reads
them).

Kept apart so that a stop's stack and scopes need no module a program thread may be importing while
we hold it paused (a breakpoint at module level of the standard library's ``dataclasses.py`` or
``typing.py``): this module and what it imports use neither ``dataclasses`` nor ``typing`` (mypy
only), nor any standard-library module the agent had not loaded at start (tests/test_lazy_modules.py,
tests/test_late_imports.py; docs/architecture.md, "Late imports never wait for a paused thread").
The methods run on the paused thread, or on the I/O thread when they run none of the program's code
(PausedRequests.stack_trace_here and scopes_here); each takes the request's ``arguments`` as the
client sent them and returns the response body, or raises :class:`InspectError` with the message
to show.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from types import CodeType, FrameType

from monadapter.agent.codes import is_function_frame, is_own_file
from monadapter.agent.formatting import describe_exception, display, type_name
from monadapter.agent.handles import Handles, InspectError, NeedsThread
from monadapter.agent.presentation import Presentation
from monadapter.agent.tasks import SCOPE_NAME as TASKS_SCOPE
from monadapter.agent.tasks import tasks_node
from monadapter.agent.value_members import scope_members
from monadapter.agent.variable_refs import ScopeRef, ValueRef

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (see above)
if TYPE_CHECKING:
    from typing import Any, Literal

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


def reported[**P, R](method: Callable[P, R]) -> Callable[P, R]:
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


class StackReader:
    """Answers stackTrace and scopes for frames of paused threads, and finds the frames and threads
    behind the ids they hand out."""

    def __init__(
        self,
        handles: Handles,
        *,
        source_for: Callable[[CodeType], dict[str, Any]],
        options: Mapping[str, Any],
        library: Callable[[str], bool],
    ) -> None:
        """``source_for(code)`` gives the DAP Source of a code object; ``options`` are the launch arguments;
        ``library(filename)`` says whether a file's code is not the user's (justMyCode and rules decide:
        the engine's verdict, the one steps use), which stack traces mark.

        Of the options it reads ``variablePresentation`` (debugpy's: ``special``, ``function``,
        ``class``, ``protected`` or ``all`` set to ``group``, ``inline`` or ``hide``), which decides
        the scopes' counts and, in the Inspector, where their variables are shown.
        """
        self.handles = handles
        self._source_for = source_for
        self.presentation = Presentation.from_options(options)
        self._library = library

    @staticmethod
    def names_read_values(arguments: Mapping[str, Any]) -> bool:
        """Whether the stackTrace ``arguments`` ask for frame names that read values (see :func:`frame_name`)."""
        options = arguments.get("format")
        return isinstance(options, dict) and any(options.get(key) is True for key in _READING_OPTIONS)

    @reported
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
        reader's own (the I/O thread's, which accepts only files on disk: PausedRequests.stack_trace_here).
        """
        visible = [(frame, line) for frame, line in frames if not is_own_file(frame.f_code.co_filename)]
        start = count_argument(arguments, "startFrame")
        levels = count_argument(arguments, "levels")
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

    @reported
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
        frame = self.frame(frame_id)
        thread_id = self.owner(frame_id)
        with_tasks = "asyncio" in sys.modules  # no asyncio in the program: no cost
        if here and (with_tasks or _scopes_may_run_code(frame)):
            raise NeedsThread("scopes")
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
            groups, inline = self.presentation.layout(scope_members(ref))
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

    def frame(self, frame_id: Any) -> FrameType:
        """The frame behind a ``frameId``; InspectError for an unknown id or a variablesReference."""
        frame = self.handles.get(frame_id, what="frameId")
        if not isinstance(frame, FrameType):
            raise InspectError(f"{frame_id} is a variablesReference, not a frameId")
        return frame

    def owner(self, reference: Any) -> int:
        """The thread whose stop handed out ``reference`` (a frameId or variablesReference)."""
        thread_id = self.handles.thread_of(reference)
        if thread_id is None:  # the thread resumed between the lookup and now
            raise InspectError(f"unknown reference {reference}: its thread has resumed")
        return thread_id


def _scopes_may_run_code(frame: FrameType) -> bool:
    """Whether listing the scopes of ``frame`` might run the program's code; False only when its globals
    are a plain ``dict``, its locals are a function's (or, at module level, those globals) and every
    name in both is a plain ``str``. Then what :meth:`StackReader.scopes` reads is C code alone: the
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


def count_argument(arguments: Mapping[str, Any], name: str) -> int:
    """Return a non-negative integer argument, 0 when absent."""
    value = arguments.get(name)
    if value is None:
        return 0
    if type(value) is not int or value < 0:
        raise InspectError(f"{name} must be a non-negative integer, got {value!r}")
    return value

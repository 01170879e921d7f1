"""Requests about a paused thread's frames (stackTrace, scopes, variables, evaluate, completions,
exceptionInfo, stepInTargets, gotoTargets, goto): what each answers. Where it runs (on the paused
thread itself, inside its monitoring callback, or here on the I/O thread when that runs none of the
program's code), its time limit and its cancellation are PausedJobs' (agent/paused_jobs.py;
docs/architecture.md, "Agent threads")."""

from __future__ import annotations

import re

from .channel import Request
from .codes import path_key
from .exception_info import exception_info
from .handles import InspectError, NeedsThread
from .paused_jobs import PausedJobs
from .threads import ParkedThread

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from types import CodeType
    from typing import Any

    from .debugger import Debugger


#: A file named in a traceback's text.
_TRACEBACK_FILE = re.compile(r'File "([^"\n]+)"')


class PausedRequests:
    """The answers of the debugger's requests about a paused thread's frames; ``jobs`` runs them."""

    def __init__(self, debugger: Debugger) -> None:
        self._debugger = debugger
        #: where and how long each answer runs, and its cancel
        self.jobs = PausedJobs(debugger)

    def step_in_targets(self, parked: ParkedThread, arguments: dict[str, Any]) -> dict[str, Any]:
        """The calls the top frame's line is still to make (step_targets.py); other frames have none
        a step could reach."""
        if not self._is_top_frame(parked, arguments.get("frameId")):
            raise InspectError("stepInTargets lists the calls of the paused line: ask for the top frame")
        from . import step_targets

        text = self._debugger.sources.text_of_file(parked.frame.f_code.co_filename)
        return {"targets": step_targets.calls(parked.frame, parked.line, text)}

    def goto_targets(self, request: Request) -> None:
        """One target (id = the line) when a paused thread's top frame may jump to the line; answered
        here from the frame's code alone (no frame state changes, nothing runs)."""
        source, line = request.arguments.get("source"), request.arguments.get("line")
        if not isinstance(source, dict) or not isinstance(line, int):
            request.fail("gotoTargets needs 'source' and an integer 'line'")
            return
        from . import goto

        paused = [
            parked for parked in self._debugger.engine.parking.parked_threads() if self._in_source(parked, source)
        ]
        if not paused:
            request.fail("gotoTargets: no thread is paused in that source (goto moves a paused thread's top frame)")
            return
        for parked in paused:
            targets = goto.targets(parked.frame, line) if parked.event == "line" else []
            if targets:
                request.reply({"targets": targets})
                return
        request.reply({"targets": []})

    def _in_source(self, parked: ParkedThread, source: dict[str, Any]) -> bool:
        """Whether the top frame of ``parked`` runs code of the DAP ``source``."""
        shown = self._debugger.sources.source_for(parked.frame.f_code)
        reference = source.get("sourceReference")
        if isinstance(reference, int) and reference > 0:
            return shown.get("sourceReference") == reference
        path, own = source.get("path"), shown.get("path")
        return isinstance(path, str) and isinstance(own, str) and path_key(path) == path_key(own)

    def goto(self, request: Request) -> None:
        """Jump the paused thread's top frame to line ``targetId``, on that thread inside its LINE
        callback (the only place CPython allows it, docs/sys-monitoring/jump_from_callback.py). The target line then runs without a
        LINE event of its own, so the thread stays parked and reports a stop there ("goto"): continue
        runs the target line, next stops on the line after it."""
        arguments = request.arguments
        target, dap_id = arguments.get("targetId"), arguments.get("threadId")
        ident = self._debugger.ident_of(dap_id)
        parked = self._debugger.engine.parking.parked.get(ident) if ident is not None else None
        if parked is None or not isinstance(target, int):
            request.fail(f"goto needs a paused thread and an integer targetId: thread {dap_id!r} is not paused")
            return
        if parked.event != "line":
            request.fail(
                f"goto: thread {dap_id} is paused at a{'n' if parked.event == 'exception' else ''} {parked.event}, "
                "not at the start of a line; step once, then goto"
            )
            return

        from . import goto

        def job() -> None:
            try:
                goto.jump(parked.frame, target, self._debugger.engine.registry.file_code(parked.frame.f_code))
            except goto.GotoRefused as exc:
                request.fail(str(exc))
                return
            parked.line = target
            parked.returned = None
            self._debugger.handles.clear_thread(parked.dap_id)
            request.reply()
            self._debugger.loaded.send_event(
                "stopped", {"reason": "goto", "threadId": parked.dap_id, "allThreadsStopped": True}
            )

        parked.submit(job)

    def scopes(self, parked: ParkedThread, arguments: dict[str, Any], *, here: bool = False) -> dict[str, Any]:
        """Scopes; after a step out of a function, its return value heads the top frame's first scope
        when the client asked for showReturnValue. ``here``: on the I/O thread (:meth:`scopes_here`)."""
        top = self._debugger.handles.thread_of(arguments.get("frameId", 0)) == parked.dap_id and self._is_top_frame(
            parked, arguments.get("frameId")
        )
        shown = parked.returned if top and self._debugger.options.get("showReturnValue") else None
        return self._debugger.stack_reader.scopes(arguments, return_value=shown, here=here)

    def scopes_here(self, request: Request) -> None:
        """scopes, answered here on the I/O thread when that runs none of the program's code: the
        frame's thread is parked and idle (as for :meth:`stack_trace_here`), the program has not imported
        asyncio (the tasks scope asks its event loop), its globals are a plain ``dict``, its locals a
        function's (or those globals) and every name a plain ``str`` (``stack._scopes_may_run_code``).
        Anything else goes to the paused thread. A hand-off less per stop an editor inspects:
        benchmarks S10e."""
        self._debugger.stack_reader  # noqa: B018  # made (imported) here on the I/O thread
        frame_id = request.arguments.get("frameId")
        dap_id = self._debugger.handles.thread_of(frame_id) if isinstance(frame_id, int) else None
        self.jobs.here_or_on_thread(
            request,
            self._debugger.ident_of(dap_id),
            lambda parked, arguments: self.scopes(parked, arguments, here=True),
            self.scopes,
        )

    def variables_here(self, request: Request) -> None:
        """variables, answered here on the I/O thread when listing them runs none of the program's code
        (a function's locals of plain values: ``frames._locals_run_no_code``) and the reference's thread
        is parked and idle; anything else on the paused thread. A hand-off less per stop an editor
        inspects: benchmarks S10e."""
        reference = request.arguments.get("variablesReference")
        dap_id = self._debugger.handles.thread_of(reference) if isinstance(reference, int) else None
        inspector = self._debugger.inspector
        self.jobs.here_or_on_thread(
            request,
            self._debugger.ident_of(dap_id),
            lambda _parked, arguments: inspector.variables_json(arguments, here=True),
            lambda _parked, arguments: inspector.variables_json(arguments),
        )

    def _is_top_frame(self, parked: ParkedThread, frame_id: Any) -> bool:
        try:
            return self._debugger.handles.get(frame_id, what="frameId") is parked.frame
        except InspectError:
            return False

    def completions(self, request: Request) -> None:
        """Without a frameId: names of the global scope (``__main__``), here; else on the frame's paused thread."""
        from .completions import complete, frame_of  # imported on the I/O thread, before any job runs

        if request.arguments.get("frameId") is None:
            request.reply(complete(None, request.arguments))
            return
        self.jobs.on_thread(
            lambda _parked, arguments: complete(frame_of(self._debugger.handles, arguments), arguments)
        )(request)

    def exception_info(self, parked: ParkedThread, arguments: dict[str, Any]) -> dict[str, Any]:
        if parked.exception is None:
            raise InspectError(f"thread {parked.dap_id} did not stop because of an exception")
        return self._client_paths_in(exception_info(*parked.exception))

    def _client_paths_in(self, info: dict[str, Any]) -> dict[str, Any]:
        """The ``File "..."`` lines of an exception's traceback texts in client paths (pathMappings)."""
        mapper = self._debugger.sources.paths
        if not mapper:
            return info

        def client(match: re.Match[str]) -> str:
            return f'File "{mapper.to_client(match[1]) or match[1]}"'

        def walk(details: Any) -> None:
            if isinstance(details, dict):
                if isinstance(details.get("stackTrace"), str):
                    details["stackTrace"] = _TRACEBACK_FILE.sub(client, details["stackTrace"])
                for inner in details.get("innerException") or []:
                    walk(inner)

        walk(info.get("details"))
        return info

    def stack_trace(self, parked: ParkedThread, arguments: dict[str, Any]) -> dict[str, Any]:
        return self._debugger.stack_reader.stack_trace(
            parked.dap_id, self._debugger.engine.user.stack_of(parked), arguments
        )

    def stack_trace_here(self, request: Request) -> None:
        """stackTrace, answered here on the I/O thread when that runs none of the program's code: the
        thread is parked with no job queued or running (``ParkedThread.idle``: its frames cannot change
        until this thread submits one or resumes it), the names read no values (no ``parameters`` or
        ``module`` format) and every frame's Source is a file on disk (no loader is asked for text).
        Only frames' code, lines and ``f_back`` are read then. Anything else goes to the paused thread
        (``PausedJobs.on_thread``), or, when it does not park in time, shows where it runs now
        (:meth:`_running_stack_trace`). A hand-off less per stop: benchmarks S10e. Only the shown frames'
        sources are looked at (one ``stat`` each, as on the paused thread)."""
        self._debugger.stack_reader  # noqa: B018  # made (imported) here on the I/O thread
        self.jobs.here_or_on_thread(
            request,
            self._debugger.ident_of(request.arguments.get("threadId")),
            self._stack_trace_here,
            self.stack_trace,
            self._running_stack_trace,
        )

    def _stack_trace_here(self, parked: ParkedThread, arguments: dict[str, Any]) -> dict[str, Any]:
        reader = self._debugger.stack_reader
        if reader.names_read_values(arguments):
            raise NeedsThread("format")
        stack = self._debugger.engine.user.stack_of(parked)
        return reader.stack_trace(parked.dap_id, stack, arguments, source_for=self._source_on_disk)

    def _running_stack_trace(self, ident: int, dap_id: int, arguments: dict[str, Any]) -> dict[str, Any] | None:
        """stackTrace of a thread that did not park in time, blocked in native code (it stops when it
        returns to Python): where it is now; None when it does not run at all."""
        running = self._debugger.engine.user.running_stack(ident)
        return self._debugger.stack_reader.stack_trace(dap_id, running, arguments) if running else None

    def _source_on_disk(self, code: CodeType) -> dict[str, Any]:
        """The Source of a shown frame's code when it is a file on disk; else NeedsThread (for other
        code ``linecache`` may ask a loader for the text: the program's code)."""
        sources = self._debugger.sources
        if not sources.on_disk(code):
            raise NeedsThread(code.co_filename)
        return sources.file_source(code.co_filename)

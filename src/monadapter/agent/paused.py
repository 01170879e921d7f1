"""Requests about a paused thread's frames (stackTrace, scopes, variables, evaluate, completions,
exceptionInfo, stepInTargets, goto) and their cancellation: each is queued to the paused thread
itself, which answers it inside its monitoring callback, but a stackTrace, scopes or variables that
runs none of the program's code, answered here on the I/O thread (docs/architecture.md, "Agent
threads")."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from . import LATE_IMPORTERS
from .channel import Request
from .codes import path_key
from .exception_info import exception_info
from .handles import InspectError, NeedsThread
from .interrupt import EvaluationTimeout
from .threads import ParkedThread
from .wire import RawJSON

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from types import CodeType
    from typing import Any

    from .debugger import Debugger


#: A file named in a traceback's text.
_TRACEBACK_FILE = re.compile(r'File "([^"\n]+)"')
#: Seconds a frame request waits for its thread to reach its next line and park during a stop.
PARK_WAIT = 1.0
#: Seconds the program's code run by one request (evaluate, a __repr__ or property while listing
#: variables) may take before it is interrupted, unless the launch or attach says ``evaluateTimeout``.
EVALUATE_TIMEOUT = 10.0


class PausedRequests:
    """The debugger's requests answered by a paused thread, and the jobs running on paused threads."""

    def __init__(self, debugger: Debugger) -> None:
        self._debugger = debugger
        # requests run on paused threads: seq -> ident while one runs; seqs cancelled (``cancel``)
        self._jobs_lock = threading.Lock()
        self._running_jobs: dict[int, int] = {}
        self._cancelled: set[int] = set()

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

    def on_thread(
        self, answer: Callable[[ParkedThread, dict[str, Any]], dict[str, Any] | RawJSON]
    ) -> Callable[[Request], None]:
        """Wrap ``answer(parked, arguments) -> body`` so it runs on the paused thread named by the
        request's ``threadId``, ``frameId`` or ``variablesReference``; failures become error replies."""

        def handler(request: Request) -> None:
            self._debugger.handles  # noqa: B018  # made here on the I/O thread, not inside a paused thread's callback
            arguments = request.arguments
            dap_id = arguments.get("threadId")
            if not isinstance(dap_id, int):
                reference = arguments.get("frameId", arguments.get("variablesReference"))
                dap_id = self._debugger.handles.thread_of(reference) if isinstance(reference, int) else None
            ident = self._debugger.ident_of(dap_id)
            parked = self._debugger.engine.parking.wait_parked(ident, PARK_WAIT) if ident is not None else None
            if parked is None:
                running = self._debugger.engine.user.running_stack(ident) if ident is not None else []
                if request.command == "stackTrace" and running and dap_id is not None:
                    # blocked in native code: it stops when it returns to Python; show where it is now
                    request.reply(self._debugger.stack_reader.stack_trace(dap_id, running, arguments))
                    return
                request.fail(f"{request.command} needs a paused thread: thread {dap_id!r} is not paused")
                return

            def run() -> dict[str, Any] | RawJSON:
                # registered with the interrupter by now: a cancel from here on interrupts it
                if request.seq in self._cancelled:
                    raise EvaluationTimeout("cancelled")
                return answer(parked, arguments)

            def job() -> None:
                # the program's imports it runs fail, not wait for ever, where they would wait for
                # another thread we hold paused (agent/importlocks.py); a nested request's is its own
                outermost = parked.ident not in LATE_IMPORTERS
                if outermost:
                    LATE_IMPORTERS.add(parked.ident)
                try:
                    request.reply(self._debugger.interrupter.run(run, self.evaluate_timeout()))
                except InspectError as exc:
                    request.fail(str(exc))
                except EvaluationTimeout as exc:
                    if request.seq in self._cancelled:
                        self._fail_cancelled(request)
                    else:
                        request.fail(
                            f"{request.command} interrupted: {exc}; the program's code it ran (an expression, a "
                            "__repr__, a property) stopped half-way"
                        )
                except Exception as exc:
                    request.fail(f"{request.command} failed: {type(exc).__name__}: {exc}")
                finally:
                    if outermost:
                        LATE_IMPORTERS.discard(parked.ident)
                    with self._jobs_lock:
                        self._running_jobs.pop(request.seq, None)
                        self._cancelled.discard(request.seq)
                    self._debugger.engine.parking.announce_again(parked)  # after console code that stopped inside

            with self._jobs_lock:  # from now on a cancel can reach it, queued or running
                self._running_jobs[request.seq] = parked.ident
            parked.submit(job)

        return handler

    def cancel(self, request: Request) -> None:
        """``cancel`` of a request queued to or running on a paused thread (the adapter gives our seq
        of it): the program's code it runs is interrupted at once (agent/interrupt.py), and the request
        fails with the message ``cancelled`` (DAP's word for it). A request that already ended, or
        one answered on the I/O thread, cannot be cancelled: the cancel fails saying so."""
        seq = request.arguments.get("requestId")
        with self._jobs_lock:
            ident = self._running_jobs.get(seq) if isinstance(seq, int) else None
            if ident is None or not isinstance(seq, int):
                request.fail(f"request {seq!r} is not running on a paused thread: nothing to cancel")
                return
            self._cancelled.add(seq)
        self._debugger.interrupter.interrupt(ident, "cancelled")
        request.reply()

    @staticmethod
    def _fail_cancelled(request: Request) -> None:
        """The answer of a cancelled request: ``message`` is DAP's ``cancelled``; the text shown says
        what happened to the program's state."""
        text = (
            f"{request.command} cancelled: the program's code it ran was interrupted (what it changed before "
            "that stays changed); the paused frame is otherwise as it was"
        )
        request.fail("cancelled", {"error": {"id": 1, "format": text, "showUser": True}})

    def evaluate_timeout(self) -> float | None:
        """``evaluateTimeout`` of the launch or attach (0: no limit), else EVALUATE_TIMEOUT."""
        value = self._debugger.options.get("evaluateTimeout", EVALUATE_TIMEOUT)
        return float(value) if isinstance(value, int | float) and value > 0 else None

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
        self._here_or_on_thread(
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
        self._here_or_on_thread(
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
        self.on_thread(lambda _parked, arguments: complete(frame_of(self._debugger.handles, arguments), arguments))(
            request
        )

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
        (:meth:`on_thread`). A hand-off less per stop: benchmarks S10e. Only the shown frames' sources
        are looked at (one ``stat`` each, as on the paused thread)."""
        self._debugger.stack_reader  # noqa: B018  # made (imported) here on the I/O thread
        self._here_or_on_thread(
            request,
            self._debugger.ident_of(request.arguments.get("threadId")),
            self._stack_trace_here,
            self.stack_trace,
        )

    def _stack_trace_here(self, parked: ParkedThread, arguments: dict[str, Any]) -> dict[str, Any]:
        reader = self._debugger.stack_reader
        if reader.names_read_values(arguments):
            raise NeedsThread("format")
        stack = self._debugger.engine.user.stack_of(parked)
        return reader.stack_trace(parked.dap_id, stack, arguments, source_for=self._source_on_disk)

    def _here_or_on_thread(
        self,
        request: Request,
        ident: int | None,
        here: Callable[[ParkedThread, dict[str, Any]], dict[str, Any] | RawJSON],
        on_thread: Callable[[ParkedThread, dict[str, Any]], dict[str, Any] | RawJSON],
    ) -> None:
        """Answer ``request`` with ``here(parked, arguments)`` on this (the I/O) thread when the thread
        ``ident`` is parked and idle and ``here`` does not raise NeedsThread; else with ``on_thread`` on
        the paused thread (:meth:`on_thread`). What either needs is made (imported) by the caller, here
        on the I/O thread."""
        parked = self._debugger.engine.parking.parked.get(ident) if ident is not None else None
        if parked is not None and parked.idle():
            try:
                body = here(parked, request.arguments)
            except NeedsThread:
                pass
            except InspectError as exc:
                request.fail(str(exc))
                return
            else:
                request.reply(body)
                return
        self.on_thread(on_thread)(request)

    def _source_on_disk(self, code: CodeType) -> dict[str, Any]:
        """The Source of a shown frame's code when it is a file on disk; else NeedsThread (for other
        code ``linecache`` may ask a loader for the text: the program's code)."""
        sources = self._debugger.sources
        if not sources.on_disk(code):
            raise NeedsThread(code.co_filename)
        return sources.file_source(code.co_filename)

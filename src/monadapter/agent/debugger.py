"""The agent's debugger: answers the DAP requests the adapter forwards, on top of the engine."""

from __future__ import annotations

import os
import re
import sys
import threading
import types
from _thread import get_ident  # bound once: the program may patch threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import exceptions, ownthread
from .channel import Channel, Request
from .coderules import Rules, RulesError
from .engine import Engine, ToolBusyError
from .handles import Handles, InspectError
from .interrupt import EvaluationTimeout, Interrupter
from .modules import LoadedCode
from .ownthread import OwnThread
from .pathmap import PathMapper
from .sources import Sources, path_key
from .stepping import StepKind
from .threads import ParkedThread
from .wire import RawJSON

if TYPE_CHECKING:
    from .frames import Inspector

__all__ = ["Debugger", "ToolBusyError"]

#: A file named in a traceback's text.
_TRACEBACK_FILE = re.compile(r'File "([^"\n]+)"')
#: Seconds a frame request waits for its thread to reach its next line and park during a stop.
PARK_WAIT = 1.0
#: Seconds the program's code run by one request (evaluate, a __repr__ or property while listing
#: variables) may take before it is interrupted, unless the launch or attach says ``evaluateTimeout``.
EVALUATE_TIMEOUT = 10.0


class Debugger:
    """The agent's debugger: owns sys.monitoring DEBUGGER_ID and answers the frame/breakpoint requests.

    Requests that need no user frame are answered on the channel's I/O thread; requests about a
    paused thread's frames are queued to that thread, which runs them inside its monitoring callback
    (docs/architecture.md, "Agent threads").
    """

    def __init__(self, channel: Channel) -> None:
        self._channel = channel
        self._options: dict[str, Any] = {}
        self.sources = Sources()
        # the engine's events pass through it: a stop first announces the modules and sources loaded
        self.loaded = LoadedCode(self.sources, channel.send_event)
        self.engine = Engine(self.sources, self.loaded.send_event, self._own_threads, self.loaded.module_code_started)
        self.handles = Handles()
        self._watcher = OwnThread(self._watch_connection)
        self.interrupter = Interrupter()
        self._own: set[int] | None = None
        self._forking: int | None = None  # the thread between os.fork's before and after hooks
        #: the adapter detached (``disconnect``): the program is to run on without it
        self.detached = False
        self._inspector_made: Inspector | None = None
        # requests run on paused threads: seq -> ident while one runs; seqs cancelled (``cancel``)
        self._jobs_lock = threading.Lock()
        self._running_jobs: dict[int, int] = {}
        self._cancelled: set[int] = set()
        handlers: dict[str, Callable[[Request], None]] = {
            "setBreakpoints": self._set_breakpoints,
            "breakpointLocations": self._breakpoint_locations,
            "setExceptionBreakpoints": self._set_exception_breakpoints,
            "setFunctionBreakpoints": self._set_function_breakpoints,
            "dataBreakpointInfo": self._data_breakpoint_info,
            "setDataBreakpoints": self._set_data_breakpoints,
            "exceptionInfo": self._on_paused_thread(self._exception_info),
            "threads": self._threads,
            "source": self._source,
            "continue": self._continue,
            "pause": self._pause,
            "next": lambda request: self._step(request, "over"),
            "stepIn": lambda request: self._step(request, "in"),
            "stepOut": lambda request: self._step(request, "out"),
            "stepInTargets": self._on_paused_thread(self._step_in_targets),
            "gotoTargets": self._goto_targets,
            "goto": self._goto,
            "disconnect": self._disconnect,
            "stackTrace": self._on_paused_thread(self._stack_trace),
            "scopes": self._on_paused_thread(self._scopes),
            "variables": self._on_paused_thread(lambda _parked, arguments: self._inspector.variables_json(arguments)),
            "evaluate": self._on_paused_thread(lambda _parked, arguments: self._inspector.evaluate(arguments)),
            "setVariable": self._on_paused_thread(lambda _parked, arguments: self._inspector.set_variable(arguments)),
            "setExpression": self._on_paused_thread(
                lambda _parked, arguments: self._inspector.set_expression(arguments)
            ),
            "completions": self._completions,
            "cancel": self._cancel,
            "modules": lambda request: request.reply(self.loaded.modules(request.arguments)),
            "loadedSources": lambda request: request.reply(self.loaded.loaded_sources()),
        }
        for command, handler in handlers.items():
            channel.register(command, handler)

    # -- lifetime -------------------------------------------------------------------------------

    def start(self) -> None:
        """Claim DEBUGGER_ID; raises ToolBusyError naming the tool that holds it."""
        self.engine.start()
        self._watcher.start()
        self.interrupter.start()
        # breakpoint() stops here rather than starting pdb on the program's stdin, unless the user
        # chose a hook with PYTHONBREAKPOINT (python's own rule for breakpoint()).
        if not os.environ.get("PYTHONBREAKPOINT") and sys.breakpointhook is sys.__breakpointhook__:
            sys.breakpointhook = self.breakpoint_hook
        # A non-daemon thread parked in a callback blocks interpreter exit; plain atexit runs after
        # threading joins those threads, this hook runs before the join (docs/sys-monitoring/atexit_before_join.py).
        threading._register_atexit(self._at_exit)  # type: ignore[attr-defined]

    def _watch_connection(self) -> None:
        """Runs on our watcher thread: when the adapter goes away, nobody can resume a paused thread,
        so stop debugging and let the program run on."""
        self._channel.closed().wait()
        self.stop()

    def _at_exit(self) -> None:
        """The main thread is ending: paused threads wait for the user while the adapter is there
        (as plain python waits for them); without it they are released."""
        if self._channel.closed().is_set():
            self.stop()

    def configure(self, options: dict[str, Any]) -> None:
        """Keep the launch/attach arguments (justMyCode, stopOnEntry, ...) as the client sent them."""
        self._options = dict(options)
        self.sources.paths = PathMapper(options.get("pathMappings"))
        try:
            rules = Rules.parse(options.get("rules"), os.getcwd())
        except RulesError:  # the adapter refuses bad rules: only a hand-written attach gets here
            rules = Rules()
        self.engine.user.configure(just_my_code=options.get("justMyCode") is not False, rules=rules)
        self._inspector_made = None  # made again with these options when next needed

    @property
    def _inspector(self) -> Inspector:
        """What reads frames and values (agent/frames.py and the modules it uses), made at the first
        request that needs it: a program that never stops never loads them (benchmarks A2, memory)."""
        if self._inspector_made is None:
            from .frames import Inspector

            self._inspector_made = Inspector(
                self.handles,
                source_for=self.sources.source_for,
                options=self._options,
                library=self.engine.user.skipped,
            )
        return self._inspector_made

    @property
    def options(self) -> dict[str, Any]:
        """The launch/attach arguments as the client sent them (empty before ``monadapter/configure``)."""
        return self._options

    def program_starting(self, code: types.CodeType) -> None:
        """Called on the main thread right before the program's main code runs."""
        self.engine.program_starting(code, stop_on_entry=bool(self._options.get("stopOnEntry")))

    def program_ending(self) -> None:
        """Called on the main thread while the runner handles the exception that ends the program
        (before python reports it): the "uncaught" stop happens in here (exceptions.program_ending)."""
        exceptions.program_ending()

    def stop(self) -> None:
        """Idempotent: release paused threads, remove every event, free the tool ids."""
        if sys.breakpointhook == self.breakpoint_hook:
            sys.breakpointhook = sys.__breakpointhook__
        self.engine.stop()
        self.handles.clear()

    def forget_after_fork(self) -> None:
        """In a child made by ``fork``: the session is the parent's, and so are the threads that
        could resume a stop here. Stop debugging without waiting for a lock a parent thread may have
        held at the fork (the engine's and the handles' are made anew first)."""
        self.engine.parking.forget_other_threads()
        self.handles = Handles()
        self.stop()

    def breakpoint_hook(self, *args: Any, **kwargs: Any) -> None:
        """``breakpoint()`` (or ``monadapter.breakpoint()``) in the program: stop this thread at the
        next line it runs (reason "breakpoint"), which is the line after the call in the caller."""
        self.engine.parking.request_stop("breakpoint", get_ident())

    def _own_threads(self) -> set[int]:
        """Idents of threads that are ours and never stop: the channel's I/O thread, our watcher, the
        interrupter's watchdog, and our threads that were there before this session (an attach
        listener's, agent/attached.py).

        Asked in callbacks (every breakpoint hit, every line while threads halt), so the set is kept
        once both threads run; before that it is rebuilt on each call.
        """
        if self._own is None:
            ours = (self._channel.io_thread_id, self._watcher.ident, self.interrupter.ident)
            own = {ident for ident in (*ours, self._forking) if ident is not None}
            own |= ownthread.running_idents()
            if None in ours or self._forking is not None:
                return own
            self._own = own
        return self._own

    def fork_starting(self) -> None:
        """``os.register_at_fork(before=...)``: this thread forks. The child runs Python (the at-fork
        hooks of threading and others) under a copy of our callbacks before our hook drops the session
        there, and nobody could resume a stop in it; so until the fork returned, in the parent and in
        the child, this thread counts as one of ours and never stops."""
        self._forking = get_ident()
        self._own = None

    def fork_ended(self) -> None:
        """``os.register_at_fork(after_in_parent=...)``: the fork returned; the thread is the user's again."""
        self._forking = None
        self._own = None

    # -- breakpoints --------------------------------------------------------------------------

    # The adapter validated every request against the DAP schema (pydantic) before forwarding it:
    # the handlers below take its types as given and check only what the schema cannot say.

    def _set_breakpoints(self, request: Request) -> None:
        arguments = request.arguments
        source = arguments["source"]
        specs = arguments.get("breakpoints")
        if specs is None:  # the deprecated form: just line numbers
            specs = [{"line": line} for line in arguments.get("lines") or []]
        breakpoints = self.engine.set_breakpoints(source, specs)
        path = source.get("path")
        mapper = self.sources.paths
        if mapper and isinstance(path, str) and mapper.to_program(path) is None and not os.path.exists(path):
            roots = ", ".join(mapper.local_roots())
            for breakpoint_ in breakpoints:
                if not breakpoint_.get("verified"):
                    breakpoint_["message"] = (
                        f"{path} is under no localRoot of pathMappings ({roots}) and the program has no such file"
                    )
        request.reply({"breakpoints": breakpoints})

    def _set_function_breakpoints(self, request: Request) -> None:
        request.reply({"breakpoints": self.engine.set_function_breakpoints(request.arguments["breakpoints"])})

    def _data_breakpoint_info(self, request: Request) -> None:
        """What can be watched: a variable of a scope or an object (``variablesReference`` + ``name``),
        or ``name`` as an expression in ``frameId``'s frame; resolved on that frame's paused thread."""
        arguments = request.arguments
        if not isinstance(arguments.get("variablesReference"), int) and not isinstance(arguments.get("frameId"), int):
            request.reply(
                {"dataId": None, "description": "a data breakpoint needs a variable of a paused frame (or a frameId)"}
            )
            return
        self._on_paused_thread(self._data_target)(request)

    def _data_target(self, parked: ParkedThread, arguments: dict[str, Any]) -> dict[str, Any]:
        from .data_targets import resolve  # the inspector's modules are loaded by now (_on_paused_thread)

        target = resolve(self.handles, arguments)
        if isinstance(target, str):
            return {"dataId": None, "description": target}
        data_id = self.engine.add_data_target(target)
        if data_id is None:
            return {
                "dataId": None,
                "description": "no second sys.monitoring tool id is free: data breakpoints need one",
            }
        return {"dataId": data_id, "description": target.label, "accessTypes": ["write"], "canPersist": False}

    def _set_data_breakpoints(self, request: Request) -> None:
        specs = request.arguments.get("breakpoints")
        if not isinstance(specs, list):
            request.fail("setDataBreakpoints 'breakpoints' must be a list of DataBreakpoint objects")
            return
        request.reply({"breakpoints": self.engine.set_data_breakpoints(specs)})

    def _set_exception_breakpoints(self, request: Request) -> None:
        """Filters (with conditions) and exceptionOptions; one verified entry per element of the
        ``filters``, ``filterOptions`` and ``exceptionOptions`` arrays, in that order (DAP)."""
        try:
            filters = exceptions.ExceptionFilters.from_arguments(request.arguments)
        except ValueError as exc:
            request.fail(str(exc))
            return
        self.engine.set_exception_filters(filters)
        count = sum(len(request.arguments.get(name) or []) for name in ("filters", "filterOptions", "exceptionOptions"))
        request.reply({"breakpoints": [{"verified": True} for _ in range(count)]})

    def _breakpoint_locations(self, request: Request) -> None:
        arguments = request.arguments
        locations = self.engine.breakpoint_locations(arguments["source"], arguments["line"], arguments.get("endLine"))
        request.reply({"breakpoints": locations})

    def _source(self, request: Request) -> None:
        try:
            request.reply({"content": self.sources.content(request.arguments)})
        except LookupError as exc:
            request.fail(str(exc.args[0]) if exc.args else str(exc))

    # -- threads, pausing and resuming --------------------------------------------------------

    def _threads(self, request: Request) -> None:
        request.reply({"threads": self.engine.thread_ids.listing(self._own_threads())})

    def _continue(self, request: Request) -> None:
        arguments = request.arguments
        single = bool(arguments.get("singleThread"))
        ident = self._ident_of(arguments.get("threadId")) if single else None
        if single and ident is None:
            request.fail(f"unknown threadId {arguments.get('threadId')!r}")
            return
        for parked in self.engine.parking.parked_threads():
            if ident is None or parked.ident == ident:
                self.handles.clear_thread(parked.dap_id)
        # Reply before releasing: a released program may end (and close the channel) at once.
        request.reply({"allThreadsContinued": not single})
        self.engine.parking.resume(ident)

    def _step(self, request: Request, kind: StepKind) -> None:
        arguments = request.arguments
        ident = self._ident_of(arguments.get("threadId"))
        parked = self.engine.parking.parked.get(ident) if ident is not None else None
        if parked is None:
            request.fail(f"{request.command} needs a paused thread: thread {arguments.get('threadId')!r} is not paused")
            return
        single = bool(arguments.get("singleThread"))
        target = arguments.get("targetId") if kind == "in" else None
        if target is not None:
            from . import step_targets

            if not isinstance(target, int) or target not in step_targets.call_offsets(parked.frame, parked.line):
                request.fail(f"stepIn targetId {target!r} is not a call of the paused line (ask stepInTargets)")
                return
            kind = "into_call"  # over the line's other calls, into this one (StepPlan)
        for other in self.engine.parking.parked_threads():
            if not single or other.ident == parked.ident:
                self.handles.clear_thread(other.dap_id)
        request.reply()  # before the program runs on (see _continue)
        if not single:
            # clients take a step to resume only the stepped thread (a step response says nothing else)
            self.loaded.send_event("continued", {"threadId": parked.dap_id, "allThreadsContinued": True})
        self.engine.parking.step(parked.ident, kind, single_thread=single, target=target)

    def _step_in_targets(self, parked: ParkedThread, arguments: dict[str, Any]) -> dict[str, Any]:
        """The calls the top frame's line is still to make (step_targets.py); other frames have none
        a step could reach."""
        if not self._is_top_frame(parked, arguments.get("frameId")):
            raise InspectError("stepInTargets lists the calls of the paused line: ask for the top frame")
        from . import step_targets

        text = self.sources.text_of_file(parked.frame.f_code.co_filename)
        return {"targets": step_targets.calls(parked.frame, parked.line, text)}

    def _goto_targets(self, request: Request) -> None:
        """One target (id = the line) when a paused thread's top frame may jump to the line; answered
        here from the frame's code alone (no frame state changes, nothing runs)."""
        source, line = request.arguments.get("source"), request.arguments.get("line")
        if not isinstance(source, dict) or not isinstance(line, int):
            request.fail("gotoTargets needs 'source' and an integer 'line'")
            return
        from . import goto

        paused = [parked for parked in self.engine.parking.parked_threads() if self._in_source(parked, source)]
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
        shown = self.sources.source_for(parked.frame.f_code)
        reference = source.get("sourceReference")
        if isinstance(reference, int) and reference > 0:
            return shown.get("sourceReference") == reference
        path, own = source.get("path"), shown.get("path")
        return isinstance(path, str) and isinstance(own, str) and path_key(path) == path_key(own)

    def _goto(self, request: Request) -> None:
        """Jump the paused thread's top frame to line ``targetId``, on that thread inside its LINE
        callback (the only place CPython allows it, docs/sys-monitoring/jump_from_callback.py). The target line then runs without a
        LINE event of its own, so the thread stays parked and reports a stop there ("goto"): continue
        runs the target line, next stops on the line after it."""
        arguments = request.arguments
        target, dap_id = arguments.get("targetId"), arguments.get("threadId")
        ident = self._ident_of(dap_id)
        parked = self.engine.parking.parked.get(ident) if ident is not None else None
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
                goto.jump(parked.frame, target, self.engine.registry.file_code(parked.frame.f_code))
            except goto.GotoRefused as exc:
                request.fail(str(exc))
                return
            parked.line = target
            parked.returned = None
            self.handles.clear_thread(parked.dap_id)
            request.reply()
            self.loaded.send_event("stopped", {"reason": "goto", "threadId": parked.dap_id, "allThreadsStopped": True})

        parked.submit(job)

    def _pause(self, request: Request) -> None:
        """Stop the thread at its next line. A thread already paused is reported again with a
        ``stopped`` event (reason "pause"): a client that lost track of a stop regains control."""
        thread_id = request.arguments.get("threadId")
        ident = self._ident_of(thread_id)
        parked = self.engine.parking.parked.get(ident) if ident is not None else None
        if parked is not None:
            request.reply()
            self.loaded.send_event("stopped", {"reason": "pause", "threadId": parked.dap_id, "allThreadsStopped": True})
            return
        self.engine.parking.request_stop("pause", ident)
        request.reply()

    def _disconnect(self, request: Request) -> None:
        """Detach: the program runs on at full speed, without us (reply first: see ``_continue``).
        The connection closing next is then no reason to end a launched program (launcher.py)."""
        self.detached = True
        request.reply()
        self.stop()

    def _ident_of(self, thread_id: Any) -> int | None:
        return self.engine.thread_ids.ident(thread_id) if isinstance(thread_id, int) else None

    # -- requests answered by a paused thread -------------------------------------------------

    def _on_paused_thread(
        self, answer: Callable[[ParkedThread, dict[str, Any]], dict[str, Any] | RawJSON]
    ) -> Callable[[Request], None]:
        """Wrap ``answer(parked, arguments) -> body`` so it runs on the paused thread named by the
        request's ``threadId``, ``frameId`` or ``variablesReference``; failures become error replies."""

        def handler(request: Request) -> None:
            self._inspector  # noqa: B018  # made (imported) here on the I/O thread, not inside a paused thread's callback
            arguments = request.arguments
            dap_id = arguments.get("threadId")
            if not isinstance(dap_id, int):
                reference = arguments.get("frameId", arguments.get("variablesReference"))
                dap_id = self.handles.thread_of(reference) if isinstance(reference, int) else None
            ident = self._ident_of(dap_id)
            parked = self.engine.parking.wait_parked(ident, PARK_WAIT) if ident is not None else None
            if parked is None:
                running = self.engine.user.running_stack(ident) if ident is not None else []
                if request.command == "stackTrace" and running and dap_id is not None:
                    # blocked in native code: it stops when it returns to Python; show where it is now
                    request.reply(self._inspector.stack_trace(dap_id, running, arguments))
                    return
                request.fail(f"{request.command} needs a paused thread: thread {dap_id!r} is not paused")
                return

            def run() -> dict[str, Any] | RawJSON:
                # registered with the interrupter by now: a cancel from here on interrupts it
                if request.seq in self._cancelled:
                    raise EvaluationTimeout("cancelled")
                return answer(parked, arguments)

            def job() -> None:
                try:
                    request.reply(self.interrupter.run(run, self._evaluate_timeout()))
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
                    with self._jobs_lock:
                        self._running_jobs.pop(request.seq, None)
                        self._cancelled.discard(request.seq)

            with self._jobs_lock:  # from now on a cancel can reach it, queued or running
                self._running_jobs[request.seq] = parked.ident
            parked.submit(job)

        return handler

    def _cancel(self, request: Request) -> None:
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
        self.interrupter.interrupt(ident, "cancelled")
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

    def _evaluate_timeout(self) -> float | None:
        """``evaluateTimeout`` of the launch or attach (0: no limit), else EVALUATE_TIMEOUT."""
        value = self._options.get("evaluateTimeout", EVALUATE_TIMEOUT)
        return float(value) if isinstance(value, int | float) and value > 0 else None

    def _scopes(self, parked: ParkedThread, arguments: dict[str, Any]) -> dict[str, Any]:
        """Scopes; after a step out of a function, its return value heads the top frame's first scope
        when the client asked for showReturnValue."""
        top = self.handles.thread_of(arguments.get("frameId", 0)) == parked.dap_id and self._is_top_frame(
            parked, arguments.get("frameId")
        )
        shown = parked.returned if top and self._options.get("showReturnValue") else None
        return self._inspector.scopes(arguments, return_value=shown)

    def _is_top_frame(self, parked: ParkedThread, frame_id: Any) -> bool:
        try:
            return self.handles.get(frame_id, what="frameId") is parked.frame
        except InspectError:
            return False

    def _completions(self, request: Request) -> None:
        """Without a frameId: names of the global scope (``__main__``), here; else on the frame's paused thread."""
        from .completions import complete, frame_of  # imported on the I/O thread, before any job runs

        if request.arguments.get("frameId") is None:
            request.reply(complete(None, request.arguments))
            return
        self._on_paused_thread(lambda _parked, arguments: complete(frame_of(self.handles, arguments), arguments))(
            request
        )

    def _exception_info(self, parked: ParkedThread, arguments: dict[str, Any]) -> dict[str, Any]:
        if parked.exception is None:
            raise InspectError(f"thread {parked.dap_id} did not stop because of an exception")
        return self._client_paths_in(exceptions.exception_info(*parked.exception))

    def _client_paths_in(self, info: dict[str, Any]) -> dict[str, Any]:
        """The ``File "..."`` lines of an exception's traceback texts in client paths (pathMappings)."""
        mapper = self.sources.paths
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

    def _stack_trace(self, parked: ParkedThread, arguments: dict[str, Any]) -> dict[str, Any]:
        return self._inspector.stack_trace(parked.dap_id, self.engine.user.stack_of(parked), arguments)

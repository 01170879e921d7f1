"""The agent's debugger: answers the DAP requests the adapter forwards, on top of the engine."""

from __future__ import annotations

import os
import sys
import threading
import types
from _thread import get_ident  # bound once: the program may patch threading
from collections.abc import Callable

from . import exceptions, ownthread
from .channel import Channel, Request
from .coderules import Rules, RulesError
from .engine import Engine
from .interrupt import Interrupter
from .modules import LoadedCode
from .ownthread import OwnThread
from .sources import Sources, pin_tokenize
from .threads import ParkedThread
from .wiring import ToolBusyError

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

    from .frames import Inspector
    from .handles import Handles
    from .paused import PausedRequests
    from .stepping import StepKind
    from .wire import RawJSON


__all__ = ["Debugger", "ToolBusyError"]


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
        self.loaded = LoadedCode(self.sources, channel.send_events)
        self.engine = Engine(self.sources, self.loaded.send_event, self._own_threads, self.loaded.module_code_started)
        self._handles: Handles | None = None
        self._watcher = OwnThread(self._watch_connection)
        self.interrupter = Interrupter()
        self.engine.parking.nested_stop = self.interrupter.hold
        self._own: set[int] | None = None
        self._forking: int | None = None  # the thread between os.fork's before and after hooks
        #: the adapter detached (``disconnect``): the program is to run on without it
        self.detached = False
        self._inspector_made: Inspector | None = None
        # the time limit the interrupter ends conditions and logpoint expressions after (None: it does not look)
        self._hits_timeout: float | None = None
        self._paused: PausedRequests | None = None
        handlers: dict[str, Callable[[Request], None]] = {
            "setBreakpoints": self._set_breakpoints,
            "breakpointLocations": self._breakpoint_locations,
            "setExceptionBreakpoints": self._set_exception_breakpoints,
            "setFunctionBreakpoints": self._set_function_breakpoints,
            "dataBreakpointInfo": self._data_breakpoint_info,
            "setDataBreakpoints": self._set_data_breakpoints,
            "exceptionInfo": lambda request: self.paused.on_thread(self.paused.exception_info)(request),
            "threads": self._threads,
            "source": self._source,
            "continue": self._continue,
            "pause": self._pause,
            "next": lambda request: self._step(request, "over"),
            "stepIn": lambda request: self._step(request, "in"),
            "stepOut": lambda request: self._step(request, "out"),
            "stepInTargets": lambda request: self.paused.on_thread(self.paused.step_in_targets)(request),
            "gotoTargets": lambda request: self.paused.goto_targets(request),
            "goto": lambda request: self.paused.goto(request),
            "disconnect": self._disconnect,
            "stackTrace": lambda request: self.paused.stack_trace_here(request),
            "scopes": lambda request: self.paused.scopes_here(request),
            "variables": self._inspecting(lambda arguments: self.inspector.variables_json(arguments)),
            "evaluate": self._inspecting(lambda arguments: self.inspector.evaluate(arguments)),
            "setVariable": self._inspecting(lambda arguments: self.inspector.set_variable(arguments)),
            "setExpression": self._inspecting(lambda arguments: self.inspector.set_expression(arguments)),
            "completions": lambda request: self.paused.completions(request),
            "cancel": lambda request: self.paused.cancel(request),
            "modules": lambda request: request.reply(self.loaded.modules(request.arguments)),
            "loadedSources": lambda request: request.reply(self.loaded.loaded_sources()),
        }
        for command, handler in handlers.items():
            channel.register(command, handler)

    @property
    def handles(self) -> Handles:
        """The handles of what a stop showed (frames, variables), made at the first request that needs
        them, on the I/O thread: a program that never stops never loads agent/handles.py (benchmarks A2)."""
        if self._handles is None:
            from .handles import Handles

            self._handles = Handles()
        return self._handles

    def _clear_handles(self, dap_id: int | None = None) -> None:
        """Forget the handles of one thread's stop (None: of every stop), if any were made."""
        if self._handles is not None:
            if dap_id is None:
                self._handles.clear()
            else:
                self._handles.clear_thread(dap_id)

    @property
    def paused(self) -> PausedRequests:
        """The requests a paused thread answers (agent/paused.py), made at the first one, on the I/O
        thread: a program that never stops never loads them (benchmarks A2)."""
        if self._paused is None:
            from .paused import PausedRequests

            pin_tokenize()  # before anything of a stop's imports it (traceback, dataclasses)

            self._paused = PausedRequests(self)
        return self._paused

    def _inspecting(self, answer: Callable[[dict[str, Any]], dict[str, Any] | RawJSON]) -> Callable[[Request], None]:
        """The handler of a request the inspector answers on the paused thread (PausedRequests.on_thread)."""
        return lambda request: self.paused.on_thread(lambda _parked, arguments: answer(arguments))(request)

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
        mappings = options.get("pathMappings")
        if mappings:
            from .pathmap import PathMapper  # only for a session with pathMappings (benchmarks A2)

            self.sources.paths = PathMapper(mappings)
        else:
            self.sources.paths = None
        try:
            rules = Rules.parse(options.get("rules"), os.getcwd())
        except RulesError:  # the adapter refuses bad rules: only a hand-written attach gets here
            rules = Rules()
        self.engine.user.configure(just_my_code=options.get("justMyCode") is not False, rules=rules)
        self._inspector_made = None  # made again with these options when next needed
        self._watch_hits()  # evaluateTimeout may have changed

    @property
    def inspector(self) -> Inspector:
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
            parking = self.engine.parking
            self._inspector_made.run_console = lambda call: parking.run_nested(get_ident(), call)
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
        self._clear_handles()
        if self._hits_timeout is not None:  # no breakpoint is left: the interrupter stops looking
            self._hits_timeout = None
            self.interrupter.watch_hits(None)

    def _watch_hits(self) -> None:
        """While a condition or logpoint expression is set and evaluateTimeout is not 0, the
        interrupter's watchdog ends one that runs past it (agent/hitwatch.py); otherwise it does not
        look. Called when breakpoints or options change."""
        timeout = self.paused.evaluate_timeout() if self.engine.settings.runs_expressions() else None
        if timeout != self._hits_timeout:
            self._hits_timeout = timeout
            if timeout is None:
                self.interrupter.watch_hits(None)
                return
            from .hitwatch import HitWatch  # here: a session without conditions or logpoints never loads it

            self.interrupter.watch_hits(HitWatch(timeout))

    def forget_after_fork(self) -> None:
        """In a child made by ``fork``: the session is the parent's, and so are the threads that
        could resume a stop here. Stop debugging without waiting for a lock a parent thread may have
        held at the fork (the engine's and the handles' are made anew first)."""
        self.engine.parking.forget_other_threads()
        self._handles = None  # made anew when a request needs them
        self._hits_timeout = None  # the interrupter's watchdog is not here (nor may its lock be taken)
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
        breakpoints = self.engine.settings.set_breakpoints(source, specs)
        self._watch_hits()
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
        request.reply({"breakpoints": self.engine.settings.set_function_breakpoints(request.arguments["breakpoints"])})
        self._watch_hits()

    def _data_breakpoint_info(self, request: Request) -> None:
        """What can be watched: a variable of a scope or an object (``variablesReference`` + ``name``),
        or ``name`` as an expression in ``frameId``'s frame; resolved on that frame's paused thread."""
        arguments = request.arguments
        if not isinstance(arguments.get("variablesReference"), int) and not isinstance(arguments.get("frameId"), int):
            request.reply(
                {"dataId": None, "description": "a data breakpoint needs a variable of a paused frame (or a frameId)"}
            )
            return
        self.paused.on_thread(self._data_target)(request)

    def _data_target(self, parked: ParkedThread, arguments: dict[str, Any]) -> dict[str, Any]:
        from .data_targets import resolve  # the inspector's modules are loaded by now (PausedRequests.on_thread)

        target = resolve(self.handles, arguments)
        if isinstance(target, str):
            return {"dataId": None, "description": target}
        data_id = self.engine.settings.add_data_target(target)
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
        request.reply({"breakpoints": self.engine.settings.set_data_breakpoints(specs)})
        self._watch_hits()

    def _set_exception_breakpoints(self, request: Request) -> None:
        """Filters (with conditions) and exceptionOptions; one verified entry per element of the
        ``filters``, ``filterOptions`` and ``exceptionOptions`` arrays, in that order (DAP)."""
        try:
            filters = exceptions.ExceptionFilters.from_arguments(request.arguments)
        except ValueError as exc:
            request.fail(str(exc))
            return
        self.engine.settings.set_exception_filters(filters)
        count = sum(len(request.arguments.get(name) or []) for name in ("filters", "filterOptions", "exceptionOptions"))
        request.reply({"breakpoints": [{"verified": True} for _ in range(count)]})

    def _breakpoint_locations(self, request: Request) -> None:
        arguments = request.arguments
        locations = self.engine.settings.breakpoint_locations(
            arguments["source"], arguments["line"], arguments.get("endLine")
        )
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
        ident = self.ident_of(arguments.get("threadId")) if single else None
        if single and ident is None:
            request.fail(f"unknown threadId {arguments.get('threadId')!r}")
            return
        with self.engine.parking.answered():  # no stop is reported between the reply and the release
            # inside console code that stopped (a nested stop) only that thread runs on (Parking.resume)
            inside = self.engine.parking.evaluating
            for parked in self.engine.parking.parked_threads():
                if (ident is None and (not inside or parked.ident in inside)) or parked.ident == ident:
                    self._clear_handles(parked.dap_id)
            # Reply before releasing: a released program may end (and close the channel) at once.
            request.reply({"allThreadsContinued": not single and not inside})
            self.engine.parking.resume(ident)

    def _step(self, request: Request, kind: StepKind) -> None:
        with self.engine.parking.answered():  # no stop is reported between the reply and the release
            self._step_answered(request, kind)

    def _step_answered(self, request: Request, kind: StepKind) -> None:
        arguments = request.arguments
        ident = self.ident_of(arguments.get("threadId"))
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
        alone = single or bool(self.engine.parking.evaluating)  # a nested stop: the others stay parked
        for other in self.engine.parking.parked_threads():
            if not alone or other.ident == parked.ident:
                self._clear_handles(other.dap_id)
        request.reply()  # before the program runs on (see _continue)
        if not alone:
            # clients take a step to resume only the stepped thread (a step response says nothing else)
            self.loaded.send_event("continued", {"threadId": parked.dap_id, "allThreadsContinued": True})
        self.engine.parking.step(parked.ident, kind, single_thread=single, target=target)

    def _pause(self, request: Request) -> None:
        """Stop the thread at its next line. A thread already paused is reported again with a
        ``stopped`` event (reason "pause"): a client that lost track of a stop regains control."""
        thread_id = request.arguments.get("threadId")
        ident = self.ident_of(thread_id)
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

    def ident_of(self, thread_id: Any) -> int | None:
        return self.engine.thread_ids.ident(thread_id) if isinstance(thread_id, int) else None

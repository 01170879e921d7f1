"""The agent's debugger: answers the DAP requests the adapter forwards, on top of the engine."""

from __future__ import annotations

import os
import sys
import threading
import types
from _thread import get_ident  # bound once: the program may patch threading
from collections.abc import Callable

from . import exceptions
from .breakpoint_requests import BreakpointRequests
from .channel import Channel, Request
from .coderules import Rules, RulesError
from .engine import Engine
from .interrupt import Interrupter
from .modules import LoadedCode
from .ownthread import OwnThread, OwnThreads
from .run_control import RunControl
from .sources import Sources, pin_tokenize
from .wiring import ToolBusyError

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

    from .frames import Inspector
    from .handles import Handles
    from .paused import PausedRequests
    from .stack import StackReader
    from .wire import RawJSON


__all__ = ["Debugger", "ToolBusyError"]


class Debugger:
    """The agent's debugger: owns sys.monitoring DEBUGGER_ID (its engine), the session's options and
    lifetime, and the table of the requests it answers.

    Requests that need no user frame are answered on the channel's I/O thread (breakpoints and
    sources: agent/breakpoint_requests.py; threads, resuming, pausing: agent/run_control.py);
    requests about a paused thread's frames are queued to that thread, which runs them inside its
    monitoring callback (agent/paused.py; docs/architecture.md, "Agent threads").
    """

    def __init__(self, channel: Channel) -> None:
        self._channel = channel
        self._options: dict[str, Any] = {}
        self.sources = Sources()
        # the engine's events pass through it: a stop first announces the modules and sources loaded
        self.loaded = LoadedCode(self.sources, channel.send_events)
        self._watcher = OwnThread(self._watch_connection)
        self.interrupter = Interrupter()
        #: our threads, which never stop: the channel's I/O thread, our watcher, the interrupter's watchdog
        self.own_threads = OwnThreads(lambda: (channel.io_thread_id, self._watcher.ident, self.interrupter.ident))
        self.engine = Engine(
            self.sources, self.loaded.send_event, self.own_threads.idents, self.loaded.module_code_started
        )
        self._handles: Handles | None = None
        self.engine.parking.nested_stop = self.interrupter.hold
        #: the adapter detached (``disconnect``): the program is to run on without it
        self.detached = False
        self._stack_reader_made: StackReader | None = None
        self._inspector_made: Inspector | None = None
        # the time limit the interrupter ends conditions and logpoint expressions after (None: it does not look)
        self._hits_timeout: float | None = None
        self._paused: PausedRequests | None = None
        breakpoints = BreakpointRequests(self)
        run = RunControl(self)
        handlers: dict[str, Callable[[Request], None]] = {
            "setBreakpoints": breakpoints.set_breakpoints,
            "breakpointLocations": breakpoints.breakpoint_locations,
            "setExceptionBreakpoints": breakpoints.set_exception_breakpoints,
            "setFunctionBreakpoints": breakpoints.set_function_breakpoints,
            "dataBreakpointInfo": breakpoints.data_breakpoint_info,
            "setDataBreakpoints": breakpoints.set_data_breakpoints,
            "exceptionInfo": lambda request: self.paused.jobs.on_thread(self.paused.exception_info)(request),
            "threads": run.threads,
            "source": breakpoints.source,
            "continue": run.continue_,
            "pause": run.pause,
            "next": lambda request: run.step(request, "over"),
            "stepIn": lambda request: run.step(request, "in"),
            "stepOut": lambda request: run.step(request, "out"),
            "stepInTargets": lambda request: self.paused.jobs.on_thread(self.paused.step_in_targets)(request),
            "gotoTargets": lambda request: self.paused.goto_targets(request),
            "goto": lambda request: self.paused.goto(request),
            "disconnect": self._disconnect,
            "stackTrace": lambda request: self.paused.stack_trace_here(request),
            "scopes": lambda request: self.paused.scopes_here(request),
            "variables": lambda request: self.paused.variables_here(request),
            "evaluate": self._inspecting(lambda arguments: self.inspector.evaluate(arguments)),
            "setVariable": self._inspecting(lambda arguments: self.inspector.set_variable(arguments)),
            "setExpression": self._inspecting(lambda arguments: self.inspector.set_expression(arguments)),
            "completions": lambda request: self.paused.completions(request),
            "cancel": lambda request: self.paused.jobs.cancel(request),
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

    def clear_handles(self, dap_id: int | None = None) -> None:
        """Forget the handles of one thread's stop (None: of every stop), if any were made."""
        if self._handles is not None:
            if dap_id is None:
                self._handles.clear()
            else:
                self._handles.clear_thread(dap_id)

    @property
    def paused(self) -> PausedRequests:
        """The requests a paused thread answers (agent/paused.py) and their jobs (``jobs``,
        agent/paused_jobs.py), made at the first one, on the I/O thread: a program that never stops
        never loads them (benchmarks A2)."""
        if self._paused is None:
            from .paused import PausedRequests

            pin_tokenize()  # before anything of a stop's imports it (traceback, dataclasses)

            self._paused = PausedRequests(self)
        return self._paused

    def _inspecting(self, answer: Callable[[dict[str, Any]], dict[str, Any] | RawJSON]) -> Callable[[Request], None]:
        """The handler of a request the inspector answers on the paused thread (PausedJobs.on_thread);
        the inspector is made (imported) first, here on the I/O thread."""

        def handler(request: Request) -> None:
            self.inspector  # noqa: B018  # made here, not inside the paused thread's callback
            self.paused.jobs.on_thread(lambda _parked, arguments: answer(arguments))(request)

        return handler

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
        self._stack_reader_made = self._inspector_made = None  # made again with these options when next needed
        self.watch_hits()  # evaluateTimeout may have changed

    @property
    def stack_reader(self) -> StackReader:
        """What answers stackTrace and scopes (agent/stack.py), made at the first request that needs it
        (on the I/O thread): a program that never stops never loads it (benchmarks A2, memory). It
        imports no module the agent had not loaded at start, so a stop's stack is shown even while a
        thread we hold paused is importing one the value readers need (``dataclasses``, ``typing``)."""
        if self._stack_reader_made is None:
            from .stack import StackReader

            self._stack_reader_made = StackReader(
                self.handles,
                source_for=self.sources.source_for,
                options=self._options,
                library=self.engine.user.skipped,
            )
        return self._stack_reader_made

    @property
    def inspector(self) -> Inspector:
        """What reads values (agent/frames.py and the modules it uses: ``dataclasses``, ``typing``,
        ``ast``...), made at the first request that reads them (variables, evaluate, setVariable,
        setExpression), on the I/O thread: a program that never stops never loads them (benchmarks A2,
        memory), and a stop's stack does not wait for them."""
        if self._inspector_made is None:
            from .frames import Inspector

            self._inspector_made = Inspector(self.stack_reader, options=self._options)
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
        self.clear_handles()
        if self._hits_timeout is not None:  # no breakpoint is left: the interrupter stops looking
            self._hits_timeout = None
            self.interrupter.watch_hits(None)

    def watch_hits(self) -> None:
        """While a condition or logpoint expression is set and evaluateTimeout is not 0, the
        interrupter's watchdog ends one that runs past it (agent/hitwatch.py); otherwise it does not
        look. Called when breakpoints or options change."""
        timeout = self.paused.jobs.evaluate_timeout() if self.engine.settings.runs_expressions() else None
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
        self.engine.parking.halt.request_stop("breakpoint", get_ident())

    # -- requests ----------------------------------------------------------------------------

    def _disconnect(self, request: Request) -> None:
        """Detach: the program runs on at full speed, without us (reply first: see ``RunControl.continue_``).
        The connection closing next is then no reason to end a launched program (launcher.py)."""
        self.detached = True
        request.reply()
        self.stop()

    def ident_of(self, thread_id: Any) -> int | None:
        """The ident of the thread a DAP ``threadId`` names; None for an unknown one."""
        return self.engine.thread_ids.ident(thread_id) if isinstance(thread_id, int) else None

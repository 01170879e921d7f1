"""The requests that set where the program stops (breakpoints of every kind) and show its sources.

Answered on the channel's I/O thread, except ``dataBreakpointInfo`` about a paused frame's
variable, which that frame's thread resolves (agent/paused.py). The adapter validated every
request against the DAP schema before forwarding it: the handlers take its types as given and
check only what the schema cannot say.
"""

from __future__ import annotations

import os

from . import exceptions

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

    from .channel import Request
    from .debugger import Debugger
    from .threads import ParkedThread


class BreakpointRequests:
    """One debugger's handlers of setBreakpoints, setFunctionBreakpoints, setExceptionBreakpoints,
    data breakpoints, breakpointLocations and source, on top of its engine's stop settings."""

    def __init__(self, debugger: Debugger) -> None:
        self._debugger = debugger

    def set_breakpoints(self, request: Request) -> None:
        debugger = self._debugger
        arguments = request.arguments
        source = arguments["source"]
        specs = arguments.get("breakpoints")
        if specs is None:  # the deprecated form: just line numbers
            specs = [{"line": line} for line in arguments.get("lines") or []]
        breakpoints = debugger.engine.settings.set_breakpoints(source, specs)
        debugger.watch_hits()
        path = source.get("path")
        mapper = debugger.sources.paths
        if mapper and isinstance(path, str) and mapper.to_program(path) is None and not os.path.exists(path):
            roots = ", ".join(mapper.local_roots())
            for breakpoint_ in breakpoints:
                if not breakpoint_.get("verified"):
                    breakpoint_["message"] = (
                        f"{path} is under no localRoot of pathMappings ({roots}) and the program has no such file"
                    )
        request.reply({"breakpoints": breakpoints})

    def set_function_breakpoints(self, request: Request) -> None:
        settings = self._debugger.engine.settings
        request.reply({"breakpoints": settings.set_function_breakpoints(request.arguments["breakpoints"])})
        self._debugger.watch_hits()

    def data_breakpoint_info(self, request: Request) -> None:
        """What can be watched: a variable of a scope or an object (``variablesReference`` + ``name``),
        or ``name`` as an expression in ``frameId``'s frame; resolved on that frame's paused thread."""
        arguments = request.arguments
        if not isinstance(arguments.get("variablesReference"), int) and not isinstance(arguments.get("frameId"), int):
            request.reply(
                {"dataId": None, "description": "a data breakpoint needs a variable of a paused frame (or a frameId)"}
            )
            return
        self._debugger.inspector  # noqa: B018  # its modules, which data_targets imports, loaded here on the I/O thread
        self._debugger.paused.jobs.on_thread(self._data_target)(request)

    def _data_target(self, parked: ParkedThread, arguments: dict[str, Any]) -> dict[str, Any]:
        from .data_targets import resolve  # the inspector's modules are loaded by now (data_breakpoint_info)

        target = resolve(self._debugger.handles, arguments)
        if isinstance(target, str):
            return {"dataId": None, "description": target}
        data_id = self._debugger.engine.settings.add_data_target(target)
        if data_id is None:
            return {
                "dataId": None,
                "description": "no second sys.monitoring tool id is free: data breakpoints need one",
            }
        return {"dataId": data_id, "description": target.label, "accessTypes": ["write"], "canPersist": False}

    def set_data_breakpoints(self, request: Request) -> None:
        specs = request.arguments.get("breakpoints")
        if not isinstance(specs, list):
            request.fail("setDataBreakpoints 'breakpoints' must be a list of DataBreakpoint objects")
            return
        request.reply({"breakpoints": self._debugger.engine.settings.set_data_breakpoints(specs)})
        self._debugger.watch_hits()

    def set_exception_breakpoints(self, request: Request) -> None:
        """Filters (with conditions) and exceptionOptions; one verified entry per element of the
        ``filters``, ``filterOptions`` and ``exceptionOptions`` arrays, in that order (DAP)."""
        try:
            filters = exceptions.ExceptionFilters.from_arguments(request.arguments)
        except ValueError as exc:
            request.fail(str(exc))
            return
        self._debugger.engine.settings.set_exception_filters(filters)
        count = sum(len(request.arguments.get(name) or []) for name in ("filters", "filterOptions", "exceptionOptions"))
        request.reply({"breakpoints": [{"verified": True} for _ in range(count)]})

    def breakpoint_locations(self, request: Request) -> None:
        arguments = request.arguments
        locations = self._debugger.engine.settings.breakpoint_locations(
            arguments["source"], arguments["line"], arguments.get("endLine")
        )
        request.reply({"breakpoints": locations})

    def source(self, request: Request) -> None:
        try:
            request.reply({"content": self._debugger.sources.content(request.arguments)})
        except LookupError as exc:
            request.fail(str(exc.args[0]) if exc.args else str(exc))

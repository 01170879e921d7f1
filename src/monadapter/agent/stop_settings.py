"""What the client asks the engine to stop on: source and function breakpoints, data breakpoints and
exception filters, each changed under the engine's lock.

These are the debugger's requests into the engine's concerns (agent/debugger.py calls them on the
I/O thread, never a callback). They are apart from ``Engine`` so that agent/engine.py keeps the
mechanism alone (the start, the stop, the callbacks; issue 12's "classes of a few hundred lines"):
each is the lock around one concern's change, and, where the change turns events on or off, the
aux id's global events set again (``sync_aux``, which EVENTS' predicates decide).
"""

from __future__ import annotations

from collections.abc import Callable

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

    # the concerns are the engine's: this module needs their types only
    from .breakpoint_table import BreakpointTable
    from .data_watches import Change, DataWatch, DataWatches, Target
    from .exception_stops import ExceptionStops
    from .exceptions import ExceptionFilters
    from .parking import Parking


class NoDataWatches:
    """The engine's data breakpoints until the first request about them (``dataBreakpointInfo``,
    ``setDataBreakpoints``): none, and agent/data_watches.py and data_stops.py not loaded (~70 KB of
    every debuggee, benchmarks A2). It answers what the engine asks of a ``DataWatches`` as one that
    watches nothing does."""

    watches: tuple[DataWatch, ...] = ()

    @staticmethod
    def frames_watched() -> bool:
        return False

    @staticmethod
    def code_added(added: object) -> None:
        pass

    @staticmethod
    def clear() -> None:
        pass

    @staticmethod
    def changes(watches: tuple[DataWatch, ...]) -> list[Change] | None:
        return None


#: The one stand-in (it holds nothing).
NO_DATA_WATCHES = NoDataWatches()


class StopSettings:
    """The breakpoint, data breakpoint and exception filter requests of one engine."""

    def __init__(
        self,
        parking: Parking,
        breakpoints: BreakpointTable,
        data: Callable[[], DataWatches | NoDataWatches],
        load_data: Callable[[], DataWatches],
        exception_stops: ExceptionStops,
        aux_id: Callable[[], int | None],
        sync_aux: Callable[[], None],
    ) -> None:
        """``parking`` holds the engine's lock (made anew in a forked child: read at each request);
        ``data`` gives the engine's data breakpoints, ``load_data`` makes them first if need be (the
        caller holds the lock); ``aux_id`` gives the aux tool id, None when there is none."""
        self._parking = parking
        self._breakpoints = breakpoints
        self._data = data
        self._load_data = load_data
        self._exception_stops = exception_stops
        self._aux_id = aux_id
        self._sync_aux = sync_aux

    def set_breakpoints(self, source: dict[str, Any], specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        with self._parking.lock:
            return self._breakpoints.set_breakpoints(source, specs)

    def set_function_breakpoints(self, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        with self._parking.lock:
            return self._breakpoints.set_function_breakpoints(specs)

    def breakpoint_locations(self, source: dict[str, Any], line: int, end_line: int | None) -> list[dict[str, int]]:
        with self._parking.lock:
            return self._breakpoints.breakpoint_locations(source, line, end_line)

    def runs_expressions(self) -> bool:
        """Whether a breakpoint runs the program's code at its hits: a condition, or a logpoint's
        ``{expression}`` (agent/hitwatch.py then watches them)."""
        with self._parking.lock:
            return any(
                breakpoint_.runs_expressions
                for breakpoint_ in (*self._breakpoints.all(), *(watch.breakpoint for watch in self._data().watches))
            )

    def add_data_target(self, target: Target) -> str | None:
        """A dataId for ``target`` (dataBreakpointInfo); None without an aux tool id, which carries the probes."""
        if self._aux_id() is None:
            return None
        with self._parking.lock:
            return self._load_data().add_target(target)

    def set_data_breakpoints(self, specs: list[Any]) -> list[dict[str, Any]]:
        with self._parking.lock:
            answers = self._load_data().set(specs)
            self._sync_aux()
            return answers

    def set_exception_filters(self, filters: ExceptionFilters) -> None:
        """Replace the exception filters and options (turning the aux id's RAISE and PY_UNWIND on or off)."""
        with self._parking.lock:
            self._exception_stops.filters = filters
            self._sync_aux()

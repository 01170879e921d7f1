"""Data breakpoint stops: what the aux id's LINE and PY_RETURN callbacks do on code a data breakpoint
watches, between the comparison (``DataWatches.changes``) and the stop.

A concern of its own, apart from the Engine's mechanism: the decision is ``DataWatches``' and the stop
``Halting``'s or ``Parking``'s, but the glue between them (a condition's error reported as output, the
stop's hit ids and description, a watched local's frame ending) was spread over four Engine methods,
and kept the Engine class at the few hundred lines issue 12 sets as the limit. Needs no sys.monitoring.
"""

from __future__ import annotations

from _thread import get_ident  # bound once: callbacks must not depend on a program patching threading
from collections.abc import Callable
from types import CodeType, FrameType

from .data_watches import Change, DataWatches
from .halting import Halting
from .parking import Parking
from .registry import CodeState

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any


def data_changed(
    data: DataWatches, changes: list[Change], frame: FrameType, report: Callable[[str], None]
) -> dict[str, Any] | None:
    """The values the data breakpoints watch that changed, decided in ``frame``: the errors of their
    conditions go to ``report``, and a change that stops gives the stop's ``hit_ids`` and ``description``."""
    stopping = []
    for change in data.decide(changes, frame):
        if change.outcome.error is not None:
            report(change.outcome.error.replace("breakpoint condition at line 1", "data breakpoint condition") + "\n")
        if change.outcome.stop:
            stopping.append(change)
    if not stopping:
        return None
    ids = [change.watch.breakpoint.id for change in stopping]
    return {"hit_ids": ids, "description": "; ".join(change.description() for change in stopping)}


class DataStops:
    """Stops with reason "data breakpoint" where a watched value changed: after a line (in the aux
    id's LINE callback, through ``Halting.park``) or at a return (PY_RETURN, through ``Parking.park``)."""

    def __init__(
        self,
        data: DataWatches,
        halting: Halting,
        parking: Parking,
        output: Callable[[str, str, CodeType, int], None],
        own_threads: Callable[[], set[int]],
        sync_aux: Callable[[], None],
    ) -> None:
        self._data = data
        self._halting = halting
        self._parking = parking
        self._output = output
        self._own_threads = own_threads
        self._sync_aux = sync_aux

    def after_line(self, changes: list[Change], frame: FrameType, code: CodeType, line: int) -> bool:
        """Watched values changed on the line before ``line`` in ``frame``: stop there with reason
        "data breakpoint" when a change's condition and hit condition say so; whether it stopped."""
        stop = data_changed(self._data, changes, frame, lambda text: self._output("stderr", text, code, line))
        ident = get_ident()
        if stop is None or ident in self._own_threads():
            return False
        self._halting.park(ident, code, line, "data breakpoint", frame, **stop)
        return True

    def returned(self, state: CodeState, code: CodeType, frame: FrameType) -> None:
        """``frame``, of watched ``code``, returns: a value its last line changed stops here, in the
        returning frame; a watched local's frame ends, and its watch with it."""
        if get_ident() in self._own_threads():
            return
        line = frame.f_lineno or 0
        changes = self._data.changes(state.data_watches)
        stop = (
            data_changed(self._data, changes, frame, lambda text: self._output("stderr", text, code, line))
            if changes
            else None
        )
        if stop is not None:
            self._parking.park(get_ident(), frame, line, "data breakpoint", event="return", **stop)
        if self._data.frames_watched():
            self.frame_ended(frame)

    def frame_ended(self, frame: FrameType) -> None:
        """A frame returned or unwound: the data breakpoints on its locals end."""
        with self._parking.lock:
            if self._data.frame_ended(frame):
                self._sync_aux()

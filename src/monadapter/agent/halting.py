"""Halting at the next line: where the aux id's LINE callback parks a thread, and the one event of
DEBUGGER_ID's LINE callback that must then be skipped.

A concern of its own, apart from the Engine's mechanism, because it is one decision (does this thread
park on this line, and with which reason?) that reads four others: parking (a stop in force, a pause or
entry request), stepping (a step in), the user-code policy (where a step in may end) and the breakpoint
probes (a line DEBUGGER_ID reports itself). Kept in the Engine it made that class the largest of the
agent (issue 12 asks for classes of a few hundred lines). Needs no sys.monitoring: a test calls ``line``
from a real thread with real code.
"""

from __future__ import annotations

import sys
from _thread import get_ident  # bound once: callbacks must not depend on a program patching threading
from collections.abc import Callable

# bound once too: a program may delete or replace sys._getframe while we run
from sys import _getframe
from types import CodeType, FrameType

from . import codes
from .parking import Parking
from .registry import CodeRegistry
from .stepping import Stepper
from .usercode import UserCode

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

DISABLE = sys.monitoring.DISABLE
#: ``_getframe`` depth of the user's frame inside ``Halting.park`` when it is called through
#: ``Halting.line`` from the Engine's aux LINE callback: park, line, the callback, the user's frame.
PARK_DEPTH = 3


class Halting:
    """Parks threads from the aux id's LINE callback: every user thread while a stop, pause or entry
    stop is in force (``Parking.stopping``), the stepping thread at the next user line of a step in,
    and (through ``park`` with a frame) a data breakpoint's change."""

    def __init__(
        self,
        registry: CodeRegistry,
        user: UserCode,
        stepper: Stepper,
        parking: Parking,
        own_threads: Callable[[], set[int]],
    ) -> None:
        self._codes = registry.codes
        self._plans = stepper.plans
        self._user = user
        self._parking = parking
        self._own_threads = own_threads
        #: maps threading ident -> (frame, line) of the LINE event the aux id just parked it for; the
        #: engine's DEBUGGER_ID LINE callback skips that one event (never replaced: callbacks hold it)
        self.parked_by_aux: dict[int, tuple[FrameType, int]] = {}

    def line(self, code: CodeType, line: int) -> Any:
        """Aux global LINE: parks the thread (reporting the stop if a request waits for one, or a step
        in ends). Returns None for user code (the id is switched off as a whole on resume) and DISABLE
        only in our own files, where we never stop."""
        if codes.is_own_file(code.co_filename):
            return DISABLE
        ident = get_ident()
        parking = self._parking
        if ident in self._own_threads() or ident in parking.parked:
            return None
        plan = self._plans.get(ident) if self._plans else None
        if plan is not None and plan.kind == "in" and not self._user.skipped(code.co_filename):
            self.park(ident, code, line, "step")
            return None
        reason = parking.take_stop_request(ident) if parking.stop_request is not None else None
        if reason is not None:
            self.park(ident, code, line, reason)
        elif parking.halts(ident):
            state = self._codes.get(codes.code_key(code))
            if state is not None and line in state.probes:
                # DEBUGGER_ID's LINE comes next (docs/sys-monitoring/tool_order.py): it reports the breakpoint
                return None
            self.park(ident, code, line, None)
        return None

    def park(
        self, ident: int, code: CodeType, line: int, reason: str | None, frame: FrameType | None = None, **stop: Any
    ) -> None:
        """Park in the aux id's LINE callback (called through ``line``, or by the engine with the user
        ``frame`` for a data breakpoint).

        DEBUGGER_ID's LINE callback runs after it for the same event when the code has live probes
        (tools fire highest id first, docs/sys-monitoring/tool_order.py): it must neither stop a
        second time on this line nor act on the line a goto just moved the frame away from, so it is
        told to skip this one event.
        """
        frame = frame or _getframe(PARK_DEPTH)
        if not self._parking.park(ident, frame, line, reason, **stop):
            return
        state = self._codes.get(codes.code_key(code))
        if state is not None and (line in state.probes or state.line_watchers):
            self.parked_by_aux[ident] = (frame, line)

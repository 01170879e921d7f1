"""Halting at the next line: which user threads are to park at their next line (``Halt``: a stop in
force halts the others, a pause or an entry stop asks for the next line run), where the aux id's LINE
callback parks a thread, and the one event of DEBUGGER_ID's LINE callback that must then be skipped
(``Halting``).

``Halting`` is a concern of its own, apart from the Engine's mechanism, because it is one decision (does
this thread park on this line, and with which reason?) that reads four others: the halt, stepping (a
step in), the user-code policy (where a step in may end) and the breakpoint probes (a line DEBUGGER_ID
reports itself). Kept in the Engine it made that class the largest of the agent (issue 12 asks for
classes of a few hundred lines). ``Halt`` is the state parking and resuming threads change (Parking)
and that decision reads, apart from holding and releasing threads. Neither needs sys.monitoring: a test
calls ``line`` from a real thread with real code.
"""

from __future__ import annotations

import _thread
import sys
import threading
from _thread import get_ident  # bound once: callbacks must not depend on a program patching threading
from collections.abc import Callable

# bound once too: a program may delete or replace sys._getframe while we run
from sys import _getframe
from types import CodeType, FrameType

from . import codes, ownthread
from .registry import CodeRegistry
from .stepping import Stepper
from .usercode import UserCode

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

    from .parking import Parking

DISABLE = sys.monitoring.DISABLE
#: ``_getframe`` depth of the user's frame inside ``Halting.park`` when it is called through
#: ``Halting.line`` from the Engine's aux LINE callback: park, line, the callback, the user's frame.
PARK_DEPTH = 3
#: the ``threading.Thread`` made for a thread threading did not start (a thread of C code, or the main
#: thread of an embedding program), which ``_thread._count()`` does not count
_DummyThread: type = threading._DummyThread


class Halt:
    """Which user threads are to park at their next line: while ``on`` (a stop is in force) every one
    not resumed alone (singleThread: ``running_alone``), and for a pause, an entry stop or
    ``breakpoint()`` (``request``) the next one to run a line. Guarded by the engine's lock
    (``Parking.lock``); parking and resuming threads change it (Parking), the aux id's LINE callback
    reads it (``Halting.line``), and the engine keeps that LINE on globally while ``stopping`` says so
    (``changed`` tells it to look)."""

    def __init__(self, parking: Parking, changed: Callable[[], None]) -> None:
        self._parking = parking  # its lock, its parked threads, whether it is active
        self._changed = changed
        #: every user thread must park at its next line (but those in ``running_alone``)
        self.on = False
        #: threads resumed alone (singleThread) while the others stay parked
        self.running_alone: set[int] = set()
        #: (reason, ident or None for any thread): the next user line reached reports a stop
        self.request: tuple[str, int | None] | None = None

    def stopping(self) -> bool:
        """Threads are to park at their next line: a pause or entry stop waits for any thread's, or a
        stop is in force and a user thread that is not parked may run (``others_may_run``)."""
        return self.request is not None or (self.on and self.others_may_run())

    def others_may_run(self) -> bool:
        """Whether a user thread that is not parked may run Python code now, and must then park at its
        next line. The engine turns the aux id's global LINE on for a stop only then: switching a global
        event makes CPython re-instrument the code on every stack and every code object that runs next
        (on and off again were ~300k instructions, half the debuggee's share of a stop and continue,
        benchmarks S10, 3.13), and a program with one thread has nobody to halt.

        Counted, not listed (no audit event): threads started with ``_thread`` (those of
        ``threading`` too) and running (``_thread._count()``), less ours, against the parked ones; the
        main thread may run unless it is parked. A parked thread that is not a ``threading.Thread``
        (started with ``_thread`` alone, or a thread of C code) makes the count unsure: yes then. Not
        seen: a thread started with ``_thread`` that has not begun to run, and a thread of C code that
        calls into Python later; a ``threading.Thread`` starting while threads are halted makes the
        engine ask again (``AuxCallbacks._on_aux_py_start``)."""
        parked = self._parking.parked
        main = threading.main_thread().ident
        if main not in parked:
            return True
        for ident in parked:
            thread = threading._active.get(ident)  # type: ignore[attr-defined]
            if ident != main and (not isinstance(thread, threading.Thread) or isinstance(thread, _DummyThread)):
                return True
        return _thread._count() - ownthread.running_count() > len(parked) - 1

    def halts(self, ident: int) -> bool:
        """Whether ``ident`` must park at its next line because another thread stopped."""
        return self.on and ident not in self.running_alone

    def hold_others(self, ident: int) -> None:
        """``ident`` stopped (or its first stop is back in force after console code): every other user
        thread parks at its next line, and ``ident`` no longer runs alone. Caller holds the lock."""
        self.running_alone.discard(ident)
        self.on = True
        self._changed()  # from here every other user thread halts at its next line

    def request_stop(self, reason: str, ident: int | None = None) -> None:
        """Stop the next user line run by ``ident`` (any thread when None) with ``reason`` ("pause",
        "entry", "breakpoint"), and halt every other thread. Threads blocked in C stop when they
        return to Python."""
        with self._parking.lock:
            if not self._parking.active:
                return
            self.request = (reason, ident)
            self._changed()

    def take_request(self, ident: int) -> str | None:
        """The reason of the stop request ``ident`` satisfies now, taking it (no other thread will)."""
        request = self.request
        if request is None or (request[1] is not None and request[1] != ident):
            return None
        with self._parking.lock:
            if self.request != request:
                return None
            self.request = None
        return request[0]


class Halting:
    """Parks threads from the aux id's LINE callback: every user thread while a stop, pause or entry
    stop is in force (``Halt.stopping``), the stepping thread at the next user line of a step in,
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
        self._parked = parking.parked  # never replaced
        self._halt = parking.halt
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
        if ident in self._own_threads() or ident in self._parked:
            return None
        plan = self._plans.get(ident) if self._plans else None
        if plan is not None and plan.kind == "in" and not self._user.skipped(code.co_filename):
            self.park(ident, code, line, "step")
            return None
        halt = self._halt
        reason = halt.take_request(ident) if halt.request is not None else None
        if reason is not None:
            self.park(ident, code, line, reason)
        elif halt.halts(ident):
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

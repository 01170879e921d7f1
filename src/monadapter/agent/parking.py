"""Thread parking: which user threads are held in our callbacks, holding one there (its stop reported)
until it is resumed, console code that stops inside a stop, and resuming (continue, steps). Which
threads are to park at their next line is the halt's (agent/halting.py, ``Halt``)."""

from __future__ import annotations

import _thread
import sys
import threading
from collections.abc import Callable
from sys import is_finalizing
from types import FrameType

from . import exceptions
from .halting import Halt
from .stepping import Stepper, StepPlan
from .threads import ParkedThread, Stack, ThreadIds

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

    from .stepping import StepKind


class Parking:
    """The stop state of all threads, guarded by ``lock`` (the engine's one lock).

    A stop is in force while ``halt.on``: every other user thread parks at its next line (the
    engine keeps the aux id's global LINE on for that while one may run, ``changed`` tells it to
    look) unless it was resumed alone (singleThread). Needs no sys.monitoring: a test parks real threads with ``park``
    and resumes them from another thread.
    """

    def __init__(
        self,
        thread_ids: ThreadIds,
        stepper: Stepper,
        send_event: Callable[[str, dict[str, Any]], None],
        changed: Callable[[], None],
    ) -> None:
        self.lock = threading.RLock()
        # notified whenever a thread parks (see wait_parked)
        self._parked_changed = threading.Condition(self.lock)
        self._finalizing = is_finalizing
        self._thread_ids = thread_ids
        self._stepper = stepper
        self._send_event = send_event
        self._changed = changed
        # False before the engine starts and after it stops: nothing parks then
        self.active = False
        # maps threading ident -> the thread parked in one of our callbacks (never replaced)
        self.parked: dict[int, ParkedThread] = {}
        #: which other threads park at their next line, and the stop a pause or an entry asks for
        self.halt = Halt(self, changed)
        # the program is ending (our last atexit handler runs): no new stop is reported (see program_ended)
        self._ending = False
        # called when threads are resumed, before they run (the data breakpoints' values seen then)
        self.resumed: Callable[[], None] | None = None
        # maps ident -> the stops (outermost first) of a thread running console code (run_nested)
        self.evaluating: dict[int, list[ParkedThread]] = {}
        # called when a thread running console code stops again (a nested stop) with its ident; the
        # function it returns is called when that stop is resumed (the evaluation's time limit waits)
        self.nested_stop: Callable[[int], Callable[[], None]] | None = None
        # counts release_all calls: an evaluation that outlived one leaves its thread running
        self._releases = 0

    # -- parking ------------------------------------------------------------------------------------

    def park(
        self,
        ident: int,
        frame: FrameType,
        line: int,
        reason: str | None,
        *,
        hit_ids: list[int] | None = None,
        exception: tuple[BaseException, str] | None = None,
        stack: Stack | None = None,
        description: str | None = None,
        event: str = "line",
    ) -> bool:
        """Hold the current thread (``ident``, in a callback of ``event`` for ``frame`` at ``line``)
        until resumed; False when it did not stop.

        ``reason`` None means a silent stop: the thread stops because another one did, and only while
        a halt is in force. Otherwise a ``stopped`` event reports this thread, every step plan ends,
        and every other user thread is halted at its next line (threads blocked in C stop when they
        come back to Python).
        """
        if self._finalizing():  # no thread of ours runs again to serve it, and the lock may be held for ever (guarded)
            return False
        parked = ParkedThread(
            ident, self._thread_ids.dap_id(ident), frame, line, event, exception=exception, stack=stack
        )
        with self.lock:
            if not self.active or (reason is None and not self.halt.on) or (reason is not None and self._ending):
                return False
            self.parked[ident] = parked
            if reason is not None:
                self.halt.running_alone.clear()
                parked.returned = self._stepper.end_all(ident, reason)
            self.halt.hold_others(ident)
            # loaded at the first park (test_lazy_modules) only now: the load takes milliseconds (it
            # reads a file, letting the others run), in which they ran on to stops of their own
            from .importlocks import note_paused, note_resumed

            # until it goes on, no import of ours waits for an import lock it holds (one that our
            # threads began since it was registered above is woken to look again)
            note_paused(ident)
            self._parked_changed.notify_all()
            # inside console code: its time limit waits from before the client can hear of this stop
            # (a cancel sent on seeing it must find the evaluation held: Interrupter.hold)
            resumed = self.nested_stop(ident) if ident in self.evaluating and self.nested_stop is not None else None
            if reason is not None:
                # sent under the lock, as a resume's answer is (see ``answered``): a stop registered here
                # and reported after that answer, released by it, would be over when the client acts on it
                body: dict[str, Any] = {"reason": reason, "threadId": parked.dap_id, "allThreadsStopped": True}
                if hit_ids:
                    body["hitBreakpointIds"] = hit_ids
                if description:
                    body["description"] = description
                    body["text"] = description
                parked.stop_body = body
                try:
                    self._send_event("stopped", body)
                except BaseException:
                    note_resumed(ident)
                    self.resume()  # nobody heard of this stop, so nobody could end it: let every thread run on
                    if resumed is not None:
                        resumed()
                    raise
        try:
            parked.serve()
        finally:
            note_resumed(ident)
            if resumed is not None:
                resumed()
        return True

    def run_nested[T](self, ident: int, call: Callable[[], T]) -> T:
        """Run ``call`` (console code) on the parked thread ``ident``, from a job it serves, with our
        callbacks live (``sys.call_tracing``: code run inside a monitoring callback fires no event
        otherwise), so a breakpoint it meets stops there: a nested stop, as pdb's ``debug`` command
        gives. Continuing or stepping there resumes only this thread (the others stay parked); when
        ``call`` returns, the thread's first stop is back in force (see ``announce_again``)."""
        with self.lock:
            outer = self.parked.get(ident)
            if outer is None or not self.active:
                return call()
            self.evaluating.setdefault(ident, []).append(outer)
            releases = self._releases
        try:
            return sys.call_tracing(call, ())
        finally:
            with self.lock:
                stops = self.evaluating.get(ident, [])
                if stops and stops[-1] is outer:
                    stops.pop()
                if not stops:
                    self.evaluating.pop(ident, None)
                self._stepper.set_plan(ident, None)  # a step begun inside ends with the evaluation
                outlived = releases != self._releases or not self.active
                if self.parked.get(ident) is not outer and not outlived:
                    outer.stopped_again = True
                    self.parked[ident] = outer
                    self.halt.hold_others(ident)
                    self._parked_changed.notify_all()
            if outlived:
                outer.release()  # disconnected meanwhile: the first stop ends too

    def announce_again(self, parked: ParkedThread) -> None:
        """After an evaluation that stopped inside (``run_nested``) has been answered: report the
        thread's first stop again, so the client shows that frame once more (under the lock: a
        continue answered meanwhile ended it, see ``answered``)."""
        with self.lock:
            if parked.stopped_again and parked.stop_body is not None and self.parked.get(parked.ident) is parked:
                parked.stopped_again = False
                self._send_event("stopped", parked.stop_body)

    def park_on_exception(self, ident: int, stack: Stack, exception: BaseException, kind: exceptions.StopKind) -> None:
        """Stop with reason "exception" showing ``stack`` (innermost first, where the exception is).
        Not inside console code (``run_nested``): the evaluate's answer reports its exception."""
        if not stack or ident in self.evaluating:
            return
        self.park(
            ident,
            stack[0][0],
            stack[0][1],
            "exception",
            event="exception",
            exception=(exception, exceptions.BREAK_MODES[kind]),
            stack=stack,
            description=exceptions.describe(exception),
        )

    # -- requests -------------------------------------------------------------------------------------

    def answered(self) -> threading.RLock:
        """Hold this while answering a request that resumes threads (continue, next, stepIn, stepOut)
        and resuming them: ``park`` registers a thread and sends its ``stopped`` event under it too,
        so every stop is reported either before the answer (the resume ends it: allThreadsContinued)
        or after it, and then it is still in force when the client acts on it. Without it a thread
        registered just before the resume but reported just after it was released by a continue
        the client had already seen answered."""
        return self.lock

    def resume(self, ident: int | None = None) -> list[ParkedThread]:
        """Release every parked thread (``ident`` None, ending the halt) or one (singleThread); returns
        those released."""
        with self.lock:
            if ident is None and self.evaluating:
                # a nested stop: only the threads stopped inside console code run on (they finish it)
                nested = [i for i, stops in self.evaluating.items() if self.parked.get(i) not in (None, stops[-1])]
                released = [self.parked.pop(i) for i in nested]
                self.halt.running_alone.update(nested)
            elif ident is None:
                released = list(self.parked.values())
                self.parked.clear()
                self.halt.on = False
                self.halt.running_alone.clear()
            else:
                parked = self.parked.pop(ident, None)
                released = [parked] if parked is not None else []
                self.halt.running_alone.add(ident)
            if self.resumed is not None and released:
                self.resumed()
            self._changed()
            self._parked_changed.notify_all()  # program_ended waits for this
        for parked_thread in released:
            parked_thread.release()
        return released

    def step(self, ident: int, kind: StepKind, *, single_thread: bool = False, target: int | None = None) -> bool:
        """Resume with a step plan for the parked thread ``ident``; False when it is not parked.

        The other threads resume too unless ``single_thread`` (DAP's default is all of them).
        ``target`` (kind "into_call" only): the offset of the one call of the line to step into.
        """
        with self.lock:
            parked = self.parked.get(ident)
            if parked is None:
                return False
            self._stepper.set_plan(ident, StepPlan(kind, parked.frame, parked.line, target))
        self.resume(ident if single_thread else None)
        return True

    def program_ended(self, gone: threading.Event) -> None:
        """Interpreter shutdown, from our last atexit handler (the program's handlers ran before it):
        from now on no thread stops (a daemon thread hitting a breakpoint now could not be inspected:
        the interpreter is about to end it). A stop reported before stays real: wait until the client
        resumes it, or ``gone`` (the adapter left) is set.

        It runs on the main thread outside our callbacks, where every line of library code fires events,
        so while that stop is in force the thread halts at such a line (Halting.line) like any other.
        Never holding the lock then: halted with it held, it kept every request from the stopped thread
        (a stackTrace waits for it in ``wait_parked``) and the resume too, and the program never ended,
        not even when its adapter left (the watcher's stop waits for it). So under the lock only our own
        lines run (which never halt: Halting.line) and C calls; ``gone.is_set`` (threading's code) and
        the wait, on a lock of ``_thread``, are outside it."""
        with self.lock:
            self._ending = True
        nap = _thread.allocate_lock()
        nap.acquire()
        while True:
            with self.lock:
                if not self.parked:
                    return
            if gone.is_set():
                return
            nap.acquire(timeout=0.1)  # polled: neither a resume nor the adapter leaving wakes it

    def release_all(self) -> None:
        """Lift every stop and step and let all threads run (disconnect, interpreter exit)."""
        with self.lock:
            self.halt.request = None
            self._releases += 1
            self.evaluating.clear()
            for stepping in list(self._stepper.plans):
                self._stepper.set_plan(stepping, None)
        self.resume()

    def parked_threads(self) -> list[ParkedThread]:
        return list(self.parked.values())

    def wait_parked(self, ident: int, timeout: float) -> ParkedThread | None:
        """The parked thread ``ident``, waiting up to ``timeout`` while a stop is in force: a thread
        that runs Python parks at its next line, but a client may ask about it a moment before."""
        with self._parked_changed:
            self._parked_changed.wait_for(lambda: ident in self.parked or not self.halt.on, timeout)
            return self.parked.get(ident)

    def forget_other_threads(self) -> None:
        """In a child made by ``fork``: only the forking thread came along. Another thread of the parent
        may have held the lock at the fork, and the parked threads and the halt are the parent's, so
        the lock is made anew and the stop state dropped."""
        self.lock = threading.RLock()
        self._parked_changed = threading.Condition(self.lock)
        self.parked.clear()
        self.halt.on = False
        self.halt.request = None

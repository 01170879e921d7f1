"""Ending the program's code that a request runs for too long: ``evaluate`` of ``while True: pass``,
a ``__repr__`` or property that never returns while a ``variables`` request lists it.

Standard library only. Requests about a paused thread run on that thread, inside its monitoring
callback (docs/architecture.md, "Agent threads"), so nothing but the thread itself can stop what it
runs. :meth:`Interrupter.run` runs one such request with a deadline; a watchdog thread of ours
raises :class:`EvaluationTimeout` in the running thread once the deadline passes, through
``PyThreadState_SetAsyncExc`` (ctypes, CPython's C API): the interpreter raises it at the thread's
next check point (a backward jump, a call), in whatever Python code it runs. If that code swallows
it (``except BaseException``) it is raised again every :data:`REPEAT` seconds until the request ends.
:meth:`Interrupter.interrupt` raises it at once: a DAP ``cancel`` can use that.

Limits: a thread blocked in C (``time.sleep(1e6)``, a socket read, a lock) is not interrupted until
that call returns; the interrupted code stops half-way, so the program's state may be half updated
(the error says so); without ctypes (or on another interpreter than CPython) nothing is interrupted.

The same watchdog ends a breakpoint condition or logpoint expression that runs too long, on the
program's own thread (:meth:`Interrupter.watch_hits`, agent/hitwatch.py finds them): it raises
:class:`HitTimeout` there, only while that expression's frame still runs, and the hit reports it.

Race-free by construction, without a lock on the request's side (an exception raised while a lock
is held could leave it held): the request says it is done before it looks whether the watchdog is
firing, the watchdog says it is firing before it looks whether the request is done, and a request
that ends after a firing waits for it and clears the exception in case it was not raised yet (see
``Interrupter._end``). So no exception is ever raised in the thread once the request is over.
"""

from __future__ import annotations

import _thread
from collections.abc import Callable
from time import monotonic

from monadapter.agent import PausedImportError
from monadapter.agent.ownthread import OwnThread, running_idents

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

    from monadapter.agent.hitwatch import HitWatch


#: Seconds between two raises in a request that swallowed the first one.
REPEAT = 1.0
#: The deadline of a request without a time limit (interrupt() alone ends it).
INFINITY = float("inf")


class EvaluationTimeout(BaseException):
    """Raised in a paused thread whose request ran past its deadline (or was cancelled). A
    BaseException, so that the program's ``except Exception`` does not swallow it.

    The C API raises an exception *type* (no arguments), so the watchdog raises a subclass made
    for the request whose ``reason`` is the message.
    """

    reason = "interrupted"

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else self.reason


class HitTimeout(EvaluationTimeout):
    """Raised in a program thread whose breakpoint condition or logpoint expression ran past
    evaluateTimeout. The hit that ran it reports it (agent/breakpoints.py); our callbacks catch one
    that lands after the expression returned (a thread sees it at its next switch point: on 3.13+
    one that was waiting for the GIL may see it one point late; one blocked in C when it gets back)."""


class _Request:
    """One running request: the thread it runs on, when it must end, what to say then."""

    __slots__ = ("ident", "deadline", "reason", "fired", "firing", "done", "left")

    def __init__(self, ident: int, deadline: float, reason: str) -> None:
        self.ident = ident
        self.deadline = deadline
        self.reason = reason
        # fired: an exception was raised in the thread; firing: the watchdog is about to (it said so
        # before looking at done); done: the request is over and wants no more
        self.fired = False
        self.firing = False
        self.done = False
        # seconds left while the request is held (hold)
        self.left = INFINITY


def _async_exception_function() -> Any:
    """``PyThreadState_SetAsyncExc(ident, exception_type)`` through ctypes (a ``PyDLL`` function: it
    keeps the GIL and runs no Python code); None without it."""
    try:
        import ctypes

        function = ctypes.pythonapi.PyThreadState_SetAsyncExc
    except PausedImportError:
        raise  # ctypes is there, but a thread we hold paused is importing it
    except (ImportError, AttributeError):
        return None
    function.argtypes = (ctypes.c_ulong, ctypes.py_object)
    function.restype = ctypes.c_int
    return function


def _async_exception_setter(function: Any) -> Callable[[int, Any], int]:
    """The setter that also clears: ``exception`` None clears a pending exception (NULL for the C API)."""
    import ctypes

    null = ctypes.py_object()  # NULL: None would raise None
    return lambda ident, exception: function(ident, null if exception is None else exception)


def _unavailable(ident: int, exception: Any) -> int:
    """The setter without ctypes: nothing can be interrupted."""
    return 0


class Interrupter:
    """Deadlines for requests run on paused threads, kept by one watchdog thread of ours.

    The watchdog uses ``_thread`` locks only and our own code, so it fires no monitoring event in
    library code; it is started with the agent (``start``), before any thread can be halted.
    """

    def __init__(self) -> None:
        self._lock = _thread.allocate_lock()
        # maps thread ident -> its running request (one at a time per paused thread)
        self._running: dict[int, _Request] = {}
        # maps thread ident -> the requests held while their thread stops inside their code (hold)
        self._held: dict[int, list[_Request]] = {}
        # the lock the watchdog sleeps on; released to wake it early
        self._waiter: Any = None
        # when the watchdog wakes up next by itself
        self._planned = INFINITY
        self._set_async: Callable[[int, Any], int] | None = None
        # the C function itself (None until loaded, or without ctypes): see _end_expressions
        self._raise_in: Any = None
        # breakpoint conditions and logpoints to watch (watch_hits), and when to look next
        self._hits: HitWatch | None = None
        self._next_look = INFINITY
        self.ident: int | None = None

    def start(self) -> None:
        """Start the watchdog (an own thread: agent/ownthread.py). ctypes is imported only when the
        first request runs: a program that is never inspected does not load it."""
        watchdog = OwnThread(self._watch)
        watchdog.start()
        self.ident = watchdog.ident

    def run[T](self, call: Callable[[], T], timeout: float | None) -> T:
        """Return ``call()`` run on this thread, interrupted by EvaluationTimeout after ``timeout``
        seconds (None or 0: no limit, but still interruptible by ``interrupt``)."""
        if self.ident is None or not self._load():
            return call()
        ident = _thread.get_ident()
        deadline = monotonic() + timeout if timeout else INFINITY
        reason = f"did not finish within {timeout:g} s (evaluateTimeout)" if timeout else "cancelled"
        request = _Request(ident, deadline, reason)
        try:
            # registered inside the try: once registered it may be fired at once (its deadline can
            # pass before the call starts: a thread held up under load), and what is raised then must
            # end it too, else the watchdog fired it again every REPEAT seconds, in whatever the thread
            # ran next. The watchdog fires only once our lock is released, after the ``with`` in there.
            self._register(request)
            return call()
        finally:
            # Said here, not in _end: entering _end is a check point where a pending exception is
            # raised, which would skip _end and leave the watchdog firing again later, in whatever the
            # thread then runs (seen on 3.14 in CI). No check point comes between call() and this line.
            request.done = True  # from here on the watchdog does not fire (it looks after saying "firing")
            self._end(request)

    def _load(self) -> bool:
        """Load ctypes' setter (once); whether there is one."""
        if self._set_async is None:
            try:
                self._raise_in = _async_exception_function()
            except PausedImportError:
                return False  # none this time: ctypes is loaded at the next call, once the program went on
            self._set_async = _async_exception_setter(self._raise_in) if self._raise_in is not None else _unavailable
        return self._set_async is not _unavailable

    def watch_hits(self, hits: HitWatch | None) -> None:
        """End the breakpoint conditions and logpoint expressions that ``hits`` finds running too long,
        looking every ``hits.period`` seconds; None: stop looking (no condition or logpoint is set,
        or no time limit). Loads ctypes here, on the caller's thread (the I/O thread)."""
        if hits is not None and not self._load():
            hits = None
        with self._lock:
            self._hits = hits
            self._next_look = monotonic() + hits.period if hits is not None else INFINITY
            self._wake()

    def _end_expressions(self, hits: HitWatch, now: float) -> None:
        """Raise HitTimeout in each thread whose expression is overdue, if that expression's frame
        still runs. ``frame.clear()`` raises RuntimeError for a frame that runs (and clears one that
        ended, which nothing else holds), and between that and the C function's call the watchdog
        passes no point where CPython could switch threads (only calls, loop jumps and function
        starts are: the call's own check comes after it), so the thread cannot have left the
        expression in between. Its locals die here: nothing keeps the frames afterwards."""
        due = hits.overdue(now, running_idents())
        if not due:
            return
        kind = type("HitTimeout", (HitTimeout,), {"reason": hits.reason})
        raise_in = self._raise_in
        for ident, frame in due:
            try:
                frame.clear()
            except RuntimeError:  # it runs: raise now, before anything else can run
                raise_in(ident, kind)

    def _end(self, request: _Request) -> None:
        """Make sure nothing is raised in this thread once the request is over (``done`` is set). An
        exception may be raised at any call or jump in here, so no lock is taken (one taken could stay
        held: 3.14 raises right after a ``with`` acquired it) and every step is repeated until it went
        through. If a firing begun before ``done`` raises on entering here, this is skipped, but nothing
        is pending any more and the watchdog does not fire again: only the entry in ``_running`` stays,
        done, until the thread's next request replaces it."""
        while True:
            try:
                while request.firing:  # it looked before done was set: let it finish, then clear
                    pass
                if request.fired:
                    self._fire(request.ident, None)  # clear an exception not raised yet
                break
            except EvaluationTimeout:
                continue  # raised here instead: nothing is pending any more, finish the steps
        self._running.pop(request.ident, None)

    def interrupt(self, ident: int, reason: str = "cancelled") -> bool:
        """Raise EvaluationTimeout(``reason``) now in the request running on thread ``ident`` (one whose
        thread stopped inside its code, ``hold``: as soon as it runs again); False when none runs there."""
        with self._lock:
            held = self._held.get(ident)
            if held:  # stopped inside the code it runs: it ends as soon as that stop is resumed
                held[-1].reason, held[-1].left = reason, 0.0
                return True
            request = self._running.get(ident)
            if request is None or request.done:
                return False
            request.reason = reason
            request.deadline = monotonic()
            self._wake()
        return True

    def hold(self, ident: int) -> Callable[[], None]:
        """Stop the clock of the request running on ``ident`` while its thread stops inside the code
        it runs (a nested stop: the user's time there is not the evaluation's; the requests served
        there get clocks of their own). Returns the function that starts the clock again, called on the
        request's thread: it raises EvaluationTimeout there when the request was cancelled meanwhile."""
        with self._lock:
            request = self._running.pop(ident, None)
            if request is None:
                return lambda: None
            request.left = request.deadline - monotonic()
            self._held.setdefault(ident, []).append(request)

        def again() -> None:
            with self._lock:
                held = self._held.get(ident, [])
                if request in held:
                    held.remove(request)
                if not held:
                    self._held.pop(ident, None)
                request.deadline = monotonic() + max(request.left, 0.0)
                self._running[ident] = request
                self._wake()
            if request.left <= 0:  # cancelled (or out of time) while held: end it here, on its thread
                raise EvaluationTimeout(request.reason)

        return again

    def _register(self, request: _Request) -> None:
        with self._lock:
            self._running[request.ident] = request
            if request.deadline < self._planned:  # else the watchdog wakes up in time anyway
                # it sleeps until then even if the request has ended when it looks (see _watch)
                self._planned = request.deadline
                self._wake()

    def _wake(self) -> None:
        """Wake the watchdog to look at the deadlines again. Caller holds the lock."""
        if self._waiter is not None:
            self._waiter.release()
            self._waiter = None

    def _fire(self, ident: int, exception: Any) -> None:
        assert self._set_async is not None
        self._set_async(ident, exception)

    def _watch(self) -> None:
        """The watchdog: sleep until the nearest deadline (or a wake-up), then fire what is due."""
        while True:
            waiter = _thread.allocate_lock()
            waiter.acquire()
            with self._lock:
                now = monotonic()
                # the deadline it was woken for stays planned when that request ended before this look:
                # else the next request, a moment later, would wake it again, and so would every
                # request (a thread hand-off each: ~87k instructions per benchmarks S10e stop)
                planned = self._planned if self._planned > now else INFINITY
                for request in list(self._running.values()):
                    if request.deadline <= now and not request.done:
                        request.firing = True
                        if not request.done:  # looked at after saying "firing": see _end
                            kind = type("EvaluationTimeout", (EvaluationTimeout,), {"reason": request.reason})
                            self._fire(request.ident, kind)
                            request.fired = True
                        request.firing = False
                        request.deadline = now + REPEAT
                nearest = min((request.deadline for request in list(self._running.values())), default=planned)
                if self._hits is not None:
                    if now >= self._next_look:
                        try:
                            self._end_expressions(self._hits, now)
                        except Exception:  # a bug of ours: the evaluations' deadlines are kept all the same
                            self._hits = None
                        self._next_look = now + self._hits.period if self._hits is not None else INFINITY
                    nearest = min(nearest, self._next_look)
                self._waiter, self._planned = waiter, nearest
            waiter.acquire(timeout=-1 if nearest == INFINITY else max(nearest - monotonic(), 0.0))

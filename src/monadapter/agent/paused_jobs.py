"""Requests run as jobs on a paused thread: the hand-off (a request's answer is queued to the thread it
is about, which runs it inside its monitoring callback), or the answer here on the I/O thread when that
runs none of the program's code; the time limit of the program's code a job runs, and ``cancel`` of a
job queued or running (docs/architecture.md, "Agent threads"). What each request answers is
PausedRequests' (agent/paused.py): this module only decides where and how long an answer runs."""

from __future__ import annotations

import threading
from collections.abc import Callable

from . import LATE_IMPORTERS
from .channel import Request
from .handles import InspectError, NeedsThread
from .interrupt import EvaluationTimeout
from .threads import ParkedThread
from .wire import RawJSON

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

    from .debugger import Debugger

    #: ``answer(parked, arguments) -> body``, run on (or for) the paused thread ``parked``
    Answer = Callable[[ParkedThread, dict[str, Any]], dict[str, Any] | RawJSON]
    #: ``answer(ident, dap_id, arguments) -> body or None`` for a thread that did not park in time
    Unparked = Callable[[int, int, dict[str, Any]], dict[str, Any] | None]


#: Seconds a frame request waits for its thread to reach its next line and park during a stop.
PARK_WAIT = 1.0
#: Seconds the program's code run by one request (evaluate, a __repr__ or property while listing
#: variables) may take before it is interrupted, unless the launch or attach says ``evaluateTimeout``.
EVALUATE_TIMEOUT = 10.0


class PausedJobs:
    """Where a request about a paused thread is answered, the time limit of its job, and its
    ``cancel``: which job (by the request's seq) is queued to or running on which thread, and which
    were cancelled, guarded by a lock of its own (the I/O thread adds and cancels, the paused thread
    ends them)."""

    def __init__(self, debugger: Debugger) -> None:
        self._debugger = debugger
        self._lock = threading.Lock()
        # seq -> the ident of the thread a job is queued to or running on
        self._running: dict[int, int] = {}
        # seqs of those jobs that ``cancel`` asked to end
        self._cancelled: set[int] = set()

    def on_thread(self, answer: Answer, unparked: Unparked | None = None) -> Callable[[Request], None]:
        """Wrap ``answer(parked, arguments) -> body`` so it runs on the paused thread named by the
        request's ``threadId``, ``frameId`` or ``variablesReference``; failures become error replies.
        A thread that does not park in time fails the request, unless ``unparked(ident, dap_id,
        arguments)`` gives a body for it."""

        def handler(request: Request) -> None:
            self._debugger.handles  # noqa: B018  # made here on the I/O thread, not inside a paused thread's callback
            arguments = request.arguments
            dap_id = arguments.get("threadId")
            if not isinstance(dap_id, int):
                reference = arguments.get("frameId", arguments.get("variablesReference"))
                dap_id = self._debugger.handles.thread_of(reference) if isinstance(reference, int) else None
            ident = self._debugger.ident_of(dap_id)
            parked = self._debugger.engine.parking.wait_parked(ident, PARK_WAIT) if ident is not None else None
            if parked is None:
                body = None
                if unparked is not None and ident is not None and dap_id is not None:
                    body = unparked(ident, dap_id, arguments)
                if body is not None:
                    request.reply(body)
                    return
                request.fail(f"{request.command} needs a paused thread: thread {dap_id!r} is not paused")
                return
            self._submit(request, parked, answer)

        return handler

    def _submit(self, request: Request, parked: ParkedThread, answer: Answer) -> None:
        """Queue ``answer`` to ``parked`` as the job of ``request``: run under the time limit, its
        failures and its cancel turned into error replies, the thread's first stop announced again
        after console code that stopped inside."""

        def run() -> dict[str, Any] | RawJSON:
            # registered with the interrupter by now: a cancel from here on interrupts it
            if request.seq in self._cancelled:
                raise EvaluationTimeout("cancelled")
            return answer(parked, request.arguments)

        def job() -> None:
            # the program's imports it runs fail, not wait for ever, where they would wait for
            # another thread we hold paused (agent/importlocks.py); a nested request's is its own
            outermost = parked.ident not in LATE_IMPORTERS
            if outermost:
                LATE_IMPORTERS.add(parked.ident)
            try:
                request.reply(self._debugger.interrupter.run(run, self.evaluate_timeout()))
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
                if outermost:
                    LATE_IMPORTERS.discard(parked.ident)
                with self._lock:
                    self._running.pop(request.seq, None)
                    self._cancelled.discard(request.seq)
                self._debugger.engine.parking.announce_again(parked)  # after console code that stopped inside

        with self._lock:  # from now on a cancel can reach it, queued or running
            self._running[request.seq] = parked.ident
        parked.submit(job)

    def here_or_on_thread(
        self, request: Request, ident: int | None, here: Answer, on_thread: Answer, unparked: Unparked | None = None
    ) -> None:
        """Answer ``request`` with ``here(parked, arguments)`` on this (the I/O) thread when the thread
        ``ident`` is parked and idle and ``here`` does not raise NeedsThread; else with ``on_thread`` on
        the paused thread (:meth:`on_thread`, with ``unparked``). What either needs is made (imported)
        by the caller, here on the I/O thread."""
        parked = self._debugger.engine.parking.parked.get(ident) if ident is not None else None
        if parked is not None and parked.idle():
            try:
                body = here(parked, request.arguments)
            except NeedsThread:
                pass
            except InspectError as exc:
                request.fail(str(exc))
                return
            else:
                request.reply(body)
                return
        self.on_thread(on_thread, unparked)(request)

    def cancel(self, request: Request) -> None:
        """``cancel`` of a request queued to or running on a paused thread (the adapter gives our seq
        of it): the program's code it runs is interrupted at once (agent/interrupt.py), and the request
        fails with the message ``cancelled`` (DAP's word for it). A request that already ended, or
        one answered on the I/O thread, cannot be cancelled: the cancel fails saying so."""
        seq = request.arguments.get("requestId")
        with self._lock:
            ident = self._running.get(seq) if isinstance(seq, int) else None
            if ident is None or not isinstance(seq, int):
                request.fail(f"request {seq!r} is not running on a paused thread: nothing to cancel")
                return
            self._cancelled.add(seq)
        self._debugger.interrupter.interrupt(ident, "cancelled")
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

    def evaluate_timeout(self) -> float | None:
        """``evaluateTimeout`` of the launch or attach (0: no limit), else EVALUATE_TIMEOUT."""
        value = self._debugger.options.get("evaluateTimeout", EVALUATE_TIMEOUT)
        return float(value) if isinstance(value, int | float) and value > 0 else None

"""The requests that list, resume, step and pause the program's threads.

Answered on the channel's I/O thread, on top of the engine's parking: each resuming request
replies before it releases a thread (a released program may end, and close the channel, at once),
and under the parking lock (``Parking.answered``), so no stop is reported between the two.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from .channel import Request
    from .debugger import Debugger
    from .stepping import StepKind


class RunControl:
    """One debugger's handlers of threads, continue, next, stepIn, stepOut and pause."""

    def __init__(self, debugger: Debugger) -> None:
        self._debugger = debugger

    def threads(self, request: Request) -> None:
        debugger = self._debugger
        request.reply({"threads": debugger.engine.thread_ids.listing(debugger.own_threads.idents())})

    def continue_(self, request: Request) -> None:
        debugger = self._debugger
        parking = debugger.engine.parking
        arguments = request.arguments
        single = bool(arguments.get("singleThread"))
        ident = debugger.ident_of(arguments.get("threadId")) if single else None
        if single and ident is None:
            request.fail(f"unknown threadId {arguments.get('threadId')!r}")
            return
        with parking.answered():  # no stop is reported between the reply and the release
            # inside console code that stopped (a nested stop) only that thread runs on (Parking.resume)
            inside = parking.evaluating
            for parked in parking.parked_threads():
                if (ident is None and (not inside or parked.ident in inside)) or parked.ident == ident:
                    debugger.clear_handles(parked.dap_id)
            # Reply before releasing: a released program may end (and close the channel) at once.
            request.reply({"allThreadsContinued": not single and not inside})
            parking.resume(ident)

    def step(self, request: Request, kind: StepKind) -> None:
        with self._debugger.engine.parking.answered():  # no stop is reported between the reply and the release
            self._step_answered(request, kind)

    def _step_answered(self, request: Request, kind: StepKind) -> None:
        debugger = self._debugger
        parking = debugger.engine.parking
        arguments = request.arguments
        ident = debugger.ident_of(arguments.get("threadId"))
        parked = parking.parked.get(ident) if ident is not None else None
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
        alone = single or bool(parking.evaluating)  # a nested stop: the others stay parked
        for other in parking.parked_threads():
            if not alone or other.ident == parked.ident:
                debugger.clear_handles(other.dap_id)
        request.reply()  # before the program runs on (see continue_)
        if not alone:
            # clients take a step to resume only the stepped thread (a step response says nothing else)
            debugger.loaded.send_event("continued", {"threadId": parked.dap_id, "allThreadsContinued": True})
        parking.step(parked.ident, kind, single_thread=single, target=target)

    def pause(self, request: Request) -> None:
        """Stop the thread at its next line. A thread already paused is reported again with a
        ``stopped`` event (reason "pause"): a client that lost track of a stop regains control."""
        debugger = self._debugger
        ident = debugger.ident_of(request.arguments.get("threadId"))
        parked = debugger.engine.parking.parked.get(ident) if ident is not None else None
        if parked is not None:
            request.reply()
            debugger.loaded.send_event(
                "stopped", {"reason": "pause", "threadId": parked.dap_id, "allThreadsStopped": True}
            )
            return
        debugger.engine.parking.halt.request_stop("pause", ident)
        request.reply()

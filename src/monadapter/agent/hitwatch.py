"""Breakpoint conditions and logpoint expressions that run too long: which thread runs one, and since when.

Standard library only. A condition (or a logpoint's ``{expression}``) runs on the program's own
thread, inside our LINE callback, at every hit of its breakpoint: code that never returns
(``[x for x in iter(int, 1)]``, a call that waits for ever) would hang the program there. Nothing
may be added to a hit for it (the hit of a false condition is the hot path, benchmarks S4), so
nothing is noted when a condition starts. Instead the interrupter's watchdog (agent/interrupt.py)
asks :meth:`HitWatch.overdue`, every :attr:`HitWatch.period` seconds while conditions or logpoints
are set, which looks at the stacks of the program's threads (``sys._current_frames``): the frame a
function of agent/breakpoints.py called (those alone run a condition, a logpoint's parts, or
compile a condition's test function), or the engine's LINE callback called when it is not ours (a
condition's test function), runs such an expression, with whatever it called on top.

A frame seen running is marked (``f_trace_lines`` set False: no trace function runs inside our
callbacks, and every new frame object starts with True), so a later look knows the same run from
another one whose frame object took the same address: a loop of fast conditions is never taken for
one slow condition, and nothing holds a frame between two looks (a program's locals must die with
their frames).
"""

from __future__ import annotations

from sys import _current_frames  # bound once: the program may replace sys's functions
from types import FrameType

from . import breakpoints, engine
from .interrupt import REPEAT

#: How many frames below the top of a stack a condition's frame is looked for (the code it called runs above it).
DEPTH = 200
#: The globals of the frames that run conditions and logpoint expressions.
_RUNNERS = vars(breakpoints)
#: The globals of the engine's LINE callback, which calls a condition's compiled test function
#: (``LineProbe.hit``, defined in the program's globals) itself, and otherwise only code of ours.
_ENGINE = vars(engine)


def expression_frame(top: FrameType) -> FrameType | None:
    """The frame, at most DEPTH below ``top``, running a condition or logpoint expression (called by
    agent/breakpoints.py, or a test function called by agent/engine.py: the only code not ours the
    engine calls); None when there is none. Reads only ``f_back`` and ``f_globals``, which raise no
    audit event (``f_code`` would, to every audit hook of the program)."""
    frame: FrameType | None = top
    above: FrameType | None = None
    for _ in range(DEPTH):
        if frame is None:
            return None
        if frame.f_globals is _RUNNERS:
            return above
        if frame.f_globals is _ENGINE and above is not None and not _ours(above):
            return above
        above, frame = frame, frame.f_back
    return None


def _ours(frame: FrameType) -> bool:
    """Whether ``frame`` runs a module of the agent (the engine's callees that are not a test function)."""
    return str(frame.f_globals.get("__name__", "")).startswith(__package__ + ".")


class _Sighting:
    """One run of an expression seen on a thread: its frame object's id (marked, see the module) and
    when it is due to be ended."""

    __slots__ = ("frame_id", "due")

    def __init__(self, frame_id: int, due: float) -> None:
        self.frame_id = frame_id
        self.due = due


class HitWatch:
    """Finds the conditions and logpoint expressions running for ``timeout`` seconds (evaluateTimeout).

    A run is first seen at most ``period`` after it started, so it is ended between ``timeout`` and
    ``timeout + period`` seconds after it started; one that swallows the exception is ended again
    every REPEAT seconds.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        #: seconds between two looks
        self.period = min(max(timeout / 4, 0.05), 1.0)
        #: what the error says of an expression ended
        self.reason = f"did not finish within {timeout:g} s (evaluateTimeout)"
        # thread ident -> the run seen on it at the last look
        self._seen: dict[int, _Sighting] = {}

    def overdue(self, now: float, ours: frozenset[int]) -> list[tuple[int, FrameType]]:
        """The threads (not ``ours``) whose expression is due to be ended at ``now``, each with the
        frame running it (to be dropped at once by the caller)."""
        due: list[tuple[int, FrameType]] = []
        seen: dict[int, _Sighting] = {}
        for ident, top in _current_frames().items():
            frame = expression_frame(top) if ident not in ours else None
            if frame is None:
                continue
            sighting = self._seen.get(ident)
            if sighting is None or sighting.frame_id != id(frame) or frame.f_trace_lines:
                frame.f_trace_lines = False  # seen: the mark of this run (see the module)
                sighting = _Sighting(id(frame), now + self.timeout)
            elif now >= sighting.due:
                due.append((ident, frame))
                sighting.due = now + REPEAT
            seen[ident] = sighting
        self._seen = seen
        return due

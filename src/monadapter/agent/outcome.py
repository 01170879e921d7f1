"""What a breakpoint's hit decides (agent/breakpoints.py decides it), apart so that the engine, whose
hot LINE callback compares with NO_STOP, does not load the breakpoints' module before a breakpoint is
set (benchmarks A2)."""

from __future__ import annotations

from .records import Value


class HitOutcome(Value):
    """What a breakpoint hit does: ``stop``; ``log`` text for the debug console; ``error`` text
    (a condition that failed to evaluate: we say why, and stop the first time)."""

    __slots__ = ("stop", "log", "error")

    def __init__(self, stop: bool, log: str | None = None, error: str | None = None) -> None:
        self.stop = stop
        self.log = log
        self.error = error


#: The outcome of most hits of a conditional breakpoint: shared, it costs no allocation.
NO_STOP = HitOutcome(stop=False)

"""Summaries of repeated measurements: median and range, and ratios against a baseline.

Medians, not means: one run disturbed by another process on a shared machine should not move
the figure. The range (min to max) is shown beside it so the reader sees how noisy it was.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Summary:
    """Median and range of one metric over the repeated runs."""

    median: float
    low: float
    high: float
    count: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Summary:
        """Summarise ``samples`` (at least one)."""
        if not samples:
            raise ValueError("cannot summarise an empty list of samples")
        return cls(statistics.median(samples), min(samples), max(samples), len(samples))

    def scaled(self, factor: float) -> Summary:
        """The same summary with every figure multiplied by ``factor`` (units, e.g. s to ms)."""
        return Summary(self.median * factor, self.low * factor, self.high * factor, self.count)


def ratios(samples: Sequence[float], baseline: Sequence[float]) -> Summary:
    """Each sample divided by the baseline's median.

    Dividing by the baseline median (rather than pairing run i with run i) keeps a single slow
    plain run from producing one wild ratio; the range still shows the debugger's own spread.
    """
    base = statistics.median(baseline)
    return Summary.of([sample / base for sample in samples])


def excess_per(samples: Sequence[float], baseline: Sequence[float], count: float) -> Summary:
    """Extra time per event: ``(sample - median(baseline)) / count`` for each sample."""
    base = statistics.median(baseline)
    return Summary.of([(sample - base) / count for sample in samples])


def differences(samples: Sequence[float], baseline: Sequence[float]) -> Summary:
    """Each sample minus the baseline's median (an absolute overhead, e.g. seconds of start-up)."""
    base = statistics.median(baseline)
    return Summary.of([sample - base for sample in samples])


def cycle_figures(cycles: Sequence[float]) -> dict[str, float]:
    """One run's stop-to-stop cycles reduced to its median and its worst, in seconds."""
    return {"cycle": statistics.median(cycles), "cycle_max": max(cycles), "cycles": float(len(cycles))}

"""Runs every scenario under every debugger, interleaved, and collects the samples.

Interleaving (repeat 1 of everything, then repeat 2, ...) spreads slow phases of a shared machine
over all debuggers alike. The order of the debuggers rotates from one repeat to the next. A
debugger that failed a scenario once, or was cut off for being too slow, is not asked again; one
whose runs of a scenario have used up the cell budget stops after two runs (the table shows
``n=``), so a debugger that is many times slower cannot eat the time of the whole run.

After every run (plain or under a debugger) the runner waits until every process that run
started is gone, killing what is left after a few seconds (benchmarks/isolation.py): a debuggee
or launcher still running or exiting would otherwise be timed with the next run. The log says
what was left, how long it took to go, and what was killed.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import anyio

from benchmarks import isolation
from benchmarks.jobs import Context, Driver, Measurements, NotApplicable, Unsupported
from benchmarks.plain import PlainPython
from benchmarks.scenarios import Scenario


@dataclass(frozen=True, slots=True)
class Outcome:
    """Why a (scenario, debugger) cell has no figures: n/a, not supported, or cut off as too slow."""

    kind: str  # "n/a" | "not supported" | "error" | "cut off"
    message: str
    #: For "cut off": the seconds the run was allowed before it was abandoned.
    seconds: float | None = None


@dataclass
class Results:
    """Everything measured: samples per (scenario key, debugger name) and per plain program."""

    samples: dict[tuple[str, str], list[Measurements]] = field(default_factory=lambda: defaultdict(list))
    plain: dict[str, list[Measurements]] = field(default_factory=lambda: defaultdict(list))
    outcomes: dict[tuple[str, str], Outcome] = field(default_factory=dict)
    seconds: float = 0.0

    def series(self, key: tuple[str, str]) -> dict[str, list[float]]:
        """The samples of one cell, metric by metric."""
        return _by_metric(self.samples.get(key, []))

    def plain_series(self, program_name: str) -> dict[str, list[float]]:
        """The plain-Python samples of one program, metric by metric."""
        return _by_metric(self.plain.get(program_name, []))


def _by_metric(runs: Sequence[Measurements]) -> dict[str, list[float]]:
    series: dict[str, list[float]] = defaultdict(list)
    for run in runs:
        for metric, value in run.items():
            series[metric].append(value)
    return series


async def run_all(
    scenarios: Sequence[Scenario],
    debuggers: Sequence[Driver],
    ctx: Context,
    *,
    repeats: int,
    cutoff: float,
    cell_budget: float,
    progress: Callable[[str], None],
    settle_timeout: float = isolation.SETTLE_TIMEOUT,
) -> Results:
    """Measure ``repeats`` times; a single debugger run longer than ``cutoff`` seconds is abandoned,
    and a cell that has taken ``cell_budget`` seconds over at least two runs is not run again. The
    processes a run leaves get ``settle_timeout`` seconds to exit before the next run, then are killed."""
    results = Results()
    spent: dict[tuple[str, str], float] = defaultdict(float)
    plain = PlainPython()
    started = time.perf_counter()
    for repeat in range(repeats):
        shift = repeat % len(debuggers) if debuggers else 0
        order = list(debuggers[shift:]) + list(debuggers[:shift])
        plain_done: set[str] = set()
        for scenario in scenarios:
            program = scenario.baseline
            if program is not None and program.name not in plain_done:
                plain_done.add(program.name)
                results.plain[program.name].append(await plain.run(program, ctx))
                await _settle(f"[{repeat + 1}/{repeats}] {scenario.key:<16} {'plain':<10}", progress, settle_timeout)
            for debugger in order:
                key = (scenario.key, debugger.name)
                if key in results.outcomes or (
                    spent[key] >= max(cell_budget, scenario.cutoff or 0) and len(results.samples[key]) >= 2
                ):
                    continue
                run_started = time.perf_counter()
                outcome, measured = await _measure_once(debugger, scenario, ctx, scenario.cutoff or cutoff)
                spent[key] += time.perf_counter() - run_started
                cell = f"[{repeat + 1}/{repeats}] {scenario.key:<16} {debugger.name:<10}"
                if outcome is not None:
                    results.outcomes[key] = outcome
                    progress(f"{cell} {outcome.kind}: {outcome.message}")
                else:
                    assert measured is not None
                    results.samples[key].append(measured)
                    progress(f"{cell} {_brief(measured)}")
                await _settle(cell, progress, settle_timeout)
    results.seconds = time.perf_counter() - started
    return results


async def _measure_once(
    debugger: Driver, scenario: Scenario, ctx: Context, cutoff: float
) -> tuple[Outcome | None, Measurements | None]:
    """One run; every way it can fail becomes an :class:`Outcome` so the table can say why."""
    try:
        with anyio.fail_after(cutoff):
            return None, await debugger.measure(scenario.job, ctx)
    except TimeoutError:
        return Outcome("cut off", f"still running after {cutoff:g} s", cutoff), None
    except NotApplicable as exc:
        return Outcome("n/a", str(exc)), None
    except Unsupported as exc:
        return Outcome("not supported", str(exc)), None
    except Exception as exc:  # a broken run must not end the whole benchmark: report it instead
        return Outcome("error", f"{type(exc).__name__}: {exc}"), None


async def _settle(cell: str, progress: Callable[[str], None], timeout: float) -> None:
    """Wait until the processes of the run just logged as ``cell`` are gone; log any it left."""
    settled = await isolation.settle(timeout)
    if settled.found:
        progress(f"{cell} left processes: {settled}")


def _brief(measured: Measurements) -> str:
    shown = {k: v for k, v in measured.items() if k not in {"reported_at", "maxrss_kb"}}
    return " ".join(f"{k}={v:.4g}" for k, v in shown.items())

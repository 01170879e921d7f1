"""The scenarios of the benchmark issue (S1 to S12), each a job plus the figures the table shows.

A figure turns the samples of one debugger (and the plain-Python samples of the same program,
measured in the same run) into a :class:`~benchmarks.stats.Summary`, and carries monadapter's
target so the report can say plainly whether it was met.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from benchmarks import programs
from benchmarks.jobs import (
    BigVariables,
    Breakpoint,
    Detach,
    FirstStop,
    Job,
    RoundTrips,
    RunToEnd,
    Scale,
    StartUp,
    Step,
)
from benchmarks.programs import Program
from benchmarks.stats import Summary, differences, excess_per, ratios

Samples = Mapping[str, Sequence[float]]


@dataclass(frozen=True, slots=True)
class Figure:
    """One row of the table: how to compute it, its unit, and monadapter's target (lower is better)."""

    label: str
    unit: str
    compute: Callable[[Samples, Samples], Summary]
    target: float | None = None
    #: Name of the plain-Python metric shown as the baseline column (``None``: no baseline).
    plain_metric: str | None = None


def ratio(metric: str, plain_metric: str | None = None, target: float | None = None, label: str = "") -> Figure:
    """``metric`` under the debugger divided by the plain run's median of ``plain_metric``."""
    base = plain_metric or metric
    return Figure(
        label or f"{metric} ratio",
        "x",
        lambda run, plain: ratios(run[metric], plain[base]),
        target,
        base,
    )


def absolute(metric: str, unit: str, scale: float, target: float | None = None, label: str = "") -> Figure:
    """``metric`` as measured, in ``unit`` (seconds times ``scale``)."""
    return Figure(label or metric, unit, lambda run, plain: Summary.of(run[metric]).scaled(scale), target)


def per_hit_us(target: float) -> Figure:
    """Extra compute time per breakpoint hit, in microseconds, over the plain run's median."""
    return Figure(
        "extra time per hit",
        "us",
        lambda run, plain: excess_per(run["compute"], plain["compute"], run["hits"][0]).scaled(1e6),
        target,
        "compute",
    )


def over_plain(metric: str, plain_metric: str, target: float, label: str) -> Figure:
    """Seconds the debugger adds over the plain run's median."""
    return Figure(label, "s", lambda run, plain: differences(run[metric], plain[plain_metric]), target, plain_metric)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One line of the issue: a key (``S3 nbody``), what it does, the job, and its figures."""

    key: str
    title: str
    job: Job
    figures: tuple[Figure, ...]
    #: Seconds one run may take before it is cut off, when this scenario needs more than ``--cutoff``.
    cutoff: float | None = None

    @property
    def baseline(self) -> Program | None:
        """The program plain Python must run for this scenario's figures (``None``: none needed)."""
        if any(figure.plain_metric for figure in self.figures):
            return getattr(self.job, "program", None)
        return None


def _program_runs(program: Program, target: float, memory: bool = False) -> tuple[Figure, ...]:
    """Figures of a run-to-end scenario: the program's own compute time, wall time, maybe memory."""
    figures = (
        ratio("compute", target=target, label="compute time ratio"),
        ratio("wall", label="wall ratio, launch to terminated"),
    )
    if memory:
        figures += (
            ratio("maxrss_kb", label="peak RSS ratio of the debuggee"),
            Figure(
                "A2: peak RSS of the debuggee over plain",
                "MB",
                lambda run, plain: differences(run["maxrss_kb"], plain["maxrss_kb"]).scaled(1 / 1024),
                3.0,
                "maxrss_kb",
            ),
        )
    return figures


def all_scenarios(python_version: tuple[int, int]) -> list[Scenario]:
    """Every scenario, with the S4 target that belongs to ``python_version`` (3.12 is slower)."""
    found: list[Scenario] = []
    # S1-S3: each compute program run to its end, with no breakpoint or one that never stops
    for key, title, marker, target in (
        ("S1", "attached, no breakpoints", None, 1.02),
        ("S2", "one breakpoint in a function that never runs, same file", "never-runs", 1.02),
        ("S3", "one breakpoint on a never-reached line inside the hottest function", "rare-line", 1.05),
    ):
        for program in programs.COMPUTE:
            breakpoints = (Breakpoint(program.path, program.line(marker)),) if marker else ()
            found.append(
                Scenario(
                    f"{key} {program.name}",
                    title,
                    RunToEnd(program, breakpoints),
                    _program_runs(program, target, memory=key == "S1"),
                )
            )
    hot = programs.HOTLOOP
    found.append(
        Scenario(
            "S4",
            "conditional breakpoint on a hot line, condition always false",
            RunToEnd(hot, (Breakpoint(hot.path, hot.line("hot-line"), "i < 0"),)),
            (per_hit_us(0.5 if python_version >= (3, 13) else 2.5),),
        )
    )
    exceptions = programs.EXCEPTIONS
    found.append(
        Scenario(
            "S5",
            "`raised` filter on, 200k exceptions raised and caught (in library code)",
            RunToEnd(exceptions, exception_filters=("raised",)),
            _program_runs(exceptions, 1.5),
        )
    )
    found.append(
        Scenario(
            "S6",
            "only `uncaught` filter on, same program",
            RunToEnd(exceptions, exception_filters=("uncaught",)),
            _program_runs(exceptions, 1.02),
        )
    )
    slow = programs.SLOWCALL
    for key, title, start, command in (
        ("S7", "`next` over a line calling a ~1 s pure-Python function", "call-line", "next"),
        ("S8", "`stepOut` of that function from its first line", "slow-first-line", "stepOut"),
    ):
        figure = ratio("step", "call", 1.05, label="step time / plain call time")
        found.append(Scenario(key, title, Step(slow, start, command), (figure,)))
    found.append(
        Scenario(
            "S9",
            "launch to first stop, program importing ~100 stdlib modules",
            FirstStop(programs.IMPORTS, "after-imports"),
            (over_plain("first_stop", "wall", 0.10, "launch to stop minus plain run"),),
        )
    )
    for key, title, inspect, target in (
        ("S10", "stop/continue round trip, breakpoint in a loop", False, 0.5),
        ("S10e", "same, fetching threads, stackTrace, scopes, variables at each stop", True, 2.0),
    ):
        cycles = (
            absolute("cycle", "ms", 1e3, target, "median cycle"),
            absolute("cycle_max", "ms", 1e3, label="worst cycle"),
        )
        found.append(Scenario(key, title, RoundTrips(programs.LOOP, "loop-line", inspect), cycles))
    found.append(
        Scenario(
            "S11",
            "`variables` of a 10k dict and of a 100k list, paged",
            BigVariables(programs.CONTAINERS, "inspect-here"),
            (
                absolute("dict", "ms", 1e3, 20.0, "10k dict, one request"),
                absolute("dict_missing", "entries", 1.0, 0.0, "dict entries not returned"),
                absolute("dict_first_page", "ms", 1e3, label="10k dict, first page of 100 (as an editor pages)"),
                absolute("list_first_page", "ms", 1e3, 5.0, "100k list, first page of 100"),
                absolute("list_page_max", "ms", 1e3, label="100k list, worst page of 1000"),
                absolute("list_missing", "entries", 1.0, 0.0, "list entries not reachable"),
            ),
        )
    )
    found.append(
        Scenario(
            "S12",
            "after detach: the program's remaining work",
            Detach(programs.DETACH, "detach-here"),
            (ratio("compute", target=1.01, label="compute time ratio"),),
        )
    )
    found += scale_scenarios()
    found.append(
        Scenario(
            "start-up",
            "debugger start: spawn to `initialize` response (pdb: to its first prompt)",
            StartUp(),
            (absolute("startup", "ms", 1e3, 100.0, "A1: start-up"),),
        )
    )
    return found


#: Seconds one run of a scale scenario may take: their programs are far larger than the others'.
SCALE_CUTOFF = 60.0


def _scale(key: str, title: str, job: Scale, *figures: Figure) -> Scenario:
    return Scenario(key, title, job, figures, cutoff=SCALE_CUTOFF)


def _ms(metric: str, target: float | None, label: str) -> Figure:
    return absolute(metric, "ms", 1e3, target, label)


def _cycle(target: float) -> Figure:
    """The median round trip of the scale scenarios that stop again and again."""
    return _ms("cycle", target, "median cycle, continue to stopped")


def scale_scenarios() -> list[Scenario]:
    """X1-X5: programs far larger than the others (written by benchmarks/scale_workloads.py).
    Their targets are set from the floors measured on this machine: see RESULTS.md."""
    return [
        _scale(
            "X1 100k code",
            "100k functions (code objects) loaded, then a breakpoint set while stopped in one of them",
            Scale(programs.MANY_CODE, programs.MANY_CODE_LAST_MODULE, "f0-body", late="after-imports"),
            over_plain("first_stop", "wall", 0.5, "launch to first stop minus plain run"),
            _ms("late_set_breakpoints", 20.0, "setBreakpoints while stopped"),
            _ms("late_stop", 5.0, "continue to that breakpoint"),
        ),
        _scale(
            "X2 200 threads",
            "200 threads running Python while the main thread stops 29 times in a loop",
            Scale(programs.MANY_THREADS, programs.MANY_THREADS, "main-loop-line", stops=29, list_threads=True),
            _cycle(10.0),
            _ms("cycle_max", None, "worst cycle"),
            _ms("threads_request", 10.0, "threads request (all 201 listed)"),
            absolute("threads_listed", "threads", 1.0, label="threads listed"),
        ),
        _scale(
            "X3 5000 breakpoints",
            "5,000 breakpoints in one function, then 30 stops on them",
            Scale(programs.MANY_BREAKPOINTS, programs.MANY_BREAKPOINTS, "first-of-many", count=5000, stops=30),
            _ms("set_breakpoints", 200.0, "setBreakpoints of 5,000 lines"),
            _ms("configured_to_stop", 500.0, "configurationDone to the first stop"),
            _cycle(2.0),
        ),
        _scale(
            "X4 100k-line file",
            "a breakpoint in a small loop at the end of a 100k-line module",
            Scale(programs.HUGE_FILE, programs.HUGE_FILE_MODULE, "loop-line", stops=29),
            _ms("set_breakpoints", 1000.0, "setBreakpoints in the 100k-line file"),
            over_plain("first_stop", "wall", 1.5, "launch to first stop minus plain run"),
            _cycle(2.0),
        ),
        _scale(
            "X5 next x1000",
            "`next` 1,000 times in a row through a loop of short lines",
            Scale(programs.STEPPING, programs.STEPPING, "walk-start", steps=1000),
            _ms("step", 1.0, "median step, next to stopped"),
            _ms("step_max", None, "worst step"),
            absolute("steps_total", "s", 1.0, label="1,000 steps in all"),
        ),
    ]


def smoke_scenario(python_version: tuple[int, int]) -> list[Scenario]:
    """The single scenario ``--smoke`` runs: S2 on nbody (launch, a breakpoint, run to the end).

    nbody's smoke size is the least work of the compute programs under pdb's line tracing, which
    makes a busy machine's pdb run take seconds where richards took more than 8."""
    return [s for s in all_scenarios(python_version) if s.key == "S2 nbody"]

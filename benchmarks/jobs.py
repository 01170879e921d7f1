"""What a debugger is asked to do in one measured run, independent of which debugger does it.

Each job is plain data; every debugger driver (DAP adapters, pdb, plain Python) turns it into
its own commands and returns a ``dict`` of named measurements (seconds unless the name says
otherwise). A driver that cannot do a job raises :class:`NotApplicable`; one whose request
fails raises :class:`Unsupported`, so the table says why a cell is empty instead of crashing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from benchmarks.programs import Program

Measurements = dict[str, float]


class NotApplicable(Exception):
    """The debugger has no way to do this at all (e.g. pdb has no ``raised`` exception filter)."""


class Unsupported(Exception):
    """The debugger was asked and refused or failed (a request answered ``success: false``, a stop
    that never came); the message says which request and what it answered."""


@dataclass(frozen=True, slots=True)
class Breakpoint:
    """A source breakpoint, optionally conditional."""

    path: Path
    line: int
    condition: str | None = None


@dataclass(frozen=True, slots=True)
class RunToEnd:
    """Launch, configure, run to the end without stopping; report the program's own figures and
    the wall time from ``launch`` to ``terminated``."""

    program: Program
    breakpoints: tuple[Breakpoint, ...] = ()
    exception_filters: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    """Stop at the ``start`` marker, then time one step command until the program stops again:
    ``next`` over the marked call, or ``stepOut`` of the function from its first line."""

    program: Program
    start: str
    command: Literal["next", "stepOut"]


@dataclass(frozen=True, slots=True)
class FirstStop:
    """Time from ``launch`` to the ``stopped`` event at the marked line."""

    program: Program
    marker: str


@dataclass(frozen=True, slots=True)
class RoundTrips:
    """Stop at the marked line in a loop again and again; time each stop-to-stop cycle.

    With ``inspect`` each stop also fetches threads, stackTrace, scopes and variables of the top
    frame's first scope before continuing, as an editor does.
    """

    program: Program
    marker: str
    inspect: bool

    def stops(self, ctx: Context) -> int:
        """How often the run stops: the loop runs exactly its size argument times."""
        size = self.program.smoke_size if ctx.smoke else self.program.size
        assert size is not None, "a RoundTrips program takes its loop count as size"
        return size


@dataclass(frozen=True, slots=True)
class BigVariables:
    """At the marked line, time ``variables`` on a 10k-entry dict and pages of a 100k list."""

    program: Program
    marker: str


@dataclass(frozen=True, slots=True)
class Detach:
    """Stop at the marked line, detach, and read the program's remaining compute time."""

    program: Program
    marker: str


@dataclass(frozen=True, slots=True)
class StartUp:
    """Time from spawning the debugger to its first answer (``initialize`` response or prompt)."""


@dataclass(frozen=True, slots=True)
class Scale:
    """The scale scenarios (X1-X5): breakpoints on ``count`` lines of ``target`` from its ``marker``
    on, set before ``configurationDone`` (timed), then the first stop (timed from ``launch`` and from
    ``configurationDone``), then ``stops`` stop-to-stop cycles (with a timed ``threads`` request at
    each when ``list_threads``), or ``steps`` ``next`` requests in a row.

    With ``late`` the program first stops at its own ``late`` marker; the breakpoint in ``target``
    is then set while it is stopped (timed) and one ``continue`` runs to it (timed).
    """

    program: Program
    target: Program
    marker: str
    count: int = 1
    stops: int = 0
    steps: int = 0
    list_threads: bool = False
    late: str | None = None


Job = RunToEnd | Step | FirstStop | RoundTrips | BigVariables | Detach | StartUp | Scale

#: The driver method that does each kind of job.
_METHODS: dict[type, str] = {
    StartUp: "start_up",
    RunToEnd: "run_to_end",
    Step: "step",
    FirstStop: "first_stop",
    RoundTrips: "round_trips",
    BigVariables: "big_variables",
    Detach: "detach",
    Scale: "scale",
}


class Driver:
    """Base of the debugger drivers: :meth:`measure` calls the method named after the job's
    kind (``run_to_end`` for :class:`RunToEnd`...); a driver without it cannot do that job."""

    name: str

    async def measure(self, job: Job, ctx: Context) -> Measurements:
        """Do ``job`` once and return its measurements."""
        method = getattr(self, _METHODS[type(job)], None)
        if method is None:
            raise NotApplicable(f"{self.name} has no way to do {type(job).__name__}")
        return await method(job, ctx)


@dataclass(frozen=True, slots=True)
class Context:
    """What every run needs besides the job: the interpreter, a scratch directory, the mode."""

    python: str
    scratch: Path
    smoke: bool
    #: Seconds any single wait may take before the run is abandoned as failed.
    timeout: float = 120.0

"""The workload programs the benchmarks run, where they live, and how to find their marked lines.

Breakpoint lines are found by ``# bench: NAME`` comments in the programs, never by number, so
editing a workload cannot silently move a breakpoint to the wrong line.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

WORKLOADS_DIR = Path(__file__).resolve().parent / "workloads"


@dataclass(frozen=True, slots=True)
class Program:
    """One workload: a script in ``workloads/`` plus the size argument it gets.

    ``size`` is chosen so a plain run takes a few tenths of a second on a 2-core machine;
    ``smoke_size`` makes it finish at once (``--smoke``). ``None`` means the program has no
    size argument.
    """

    name: str
    size: int | None = None
    smoke_size: int | None = None

    @property
    def path(self) -> Path:
        """Absolute path of the script."""
        return WORKLOADS_DIR / f"{self.name}.py"

    def line(self, marker: str) -> int:
        """The 1-based line that carries ``# bench: marker``."""
        return _marked_lines(self.path)[marker]

    def args(self, result_path: Path, *, smoke: bool) -> list[str]:
        """Program arguments: where to write the result, then the size if it has one."""
        size = self.smoke_size if smoke else self.size
        return [str(result_path)] + ([] if size is None else [str(size)])


@functools.cache
def _marked_lines(path: Path) -> dict[str, int]:
    marks: dict[str, int] = {}
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        _, found, marker = text.partition("# bench: ")
        if found:
            marks[marker.strip()] = number
    return marks


RICHARDS = Program("richards", size=8, smoke_size=1)
NBODY = Program("nbody", size=80_000, smoke_size=100)
RAYTRACE = Program("raytrace", size=120, smoke_size=8)
HOTLOOP = Program("hotloop", size=100_000, smoke_size=100)
EXCEPTIONS = Program("exceptions", size=200_000, smoke_size=100)
SLOWCALL = Program("slowcall", size=8_000_000, smoke_size=1000)
IMPORTS = Program("imports")
LOOP = Program("loop", size=30, smoke_size=3)
CONTAINERS = Program("containers")
DETACH = Program("detach", size=8, smoke_size=1)

#: The pyperformance programs, for the scenarios that are about ordinary compute-bound code.
COMPUTE = (RICHARDS, NBODY, RAYTRACE)

#: The scale workloads, written by benchmarks/scale_workloads.py into workloads/generated/.
MANY_CODE = Program("generated/manycode")
MANY_CODE_LAST_MODULE = Program("generated/manycode_modules/m099")
MANY_THREADS = Program("generated/threads", size=30, smoke_size=3)
MANY_BREAKPOINTS = Program("generated/manybreakpoints", size=3, smoke_size=1)
HUGE_FILE = Program("generated/hugefile", size=30, smoke_size=3)
HUGE_FILE_MODULE = Program("generated/hugefile_module")
STEPPING = Program("generated/stepping", size=200, smoke_size=200)

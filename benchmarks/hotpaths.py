"""S4 and S5 measured in-process: the engine's LINE and RAISE callbacks alone, without processes or DAP.

The full benchmarks (``python -m benchmarks``) time whole sessions, whose noise on a shared machine
hides a 10% change in a callback. This runs the two hot paths in one interpreter, against the
workloads' own functions, and reports the best of ``--repeats`` runs:

* S4: extra microseconds per hit of a conditional breakpoint whose condition is false
  (``hotloop.spin``, condition ``i < 0``), over the same loop without the engine;
* S5: the time of 200k exceptions raised and caught in library code (``exceptions.lookups``)
  with the ``raised`` filter on, as a ratio to the same loop without it.

Usage: ``python -m benchmarks.hotpaths [--repeats N]``; ``PYTHONPATH=OTHER/src`` measures another
checkout's engine the same way (how RESULTS.md compares before and after a change).
``--instructions`` counts instructions instead (valgrind's cachegrind, immune to the machine's
load): each figure is (run of N - run of 0) / N, with the engine and without it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from benchmarks.inprocess import best, instructions
from monadapter.agent import exceptions
from monadapter.agent.engine import Engine
from monadapter.agent.sources import Sources

WORKLOADS = Path(__file__).parent / "workloads"
HITS = 100_000
RAISES = 200_000


def _load(name: str) -> tuple[Path, dict[str, Any]]:
    path = WORKLOADS / f"{name}.py"
    namespace: dict[str, Any] = {"__name__": f"bench_{name}", "__file__": str(path)}
    sys.path.insert(0, str(WORKLOADS))
    try:
        exec(compile(path.read_text(), str(path), "exec"), namespace)
    finally:
        sys.path.remove(str(WORKLOADS))
    return path, namespace


def _hot_line(path: Path) -> int:
    return next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "bench: hot-line" in text)


def _run_once(scenario: str, size: int, debugged: bool) -> None:
    """One run of one workload, for the instruction counts (the engine started when ``debugged``)."""
    path, namespace = _load("hotloop" if scenario == "S4" else "exceptions")
    engine = Engine(Sources(), lambda _event, _body: None, lambda: set())
    if debugged:
        engine.start()
        if scenario == "S4":
            engine.settings.set_breakpoints({"path": str(path)}, [{"line": _hot_line(path), "condition": "i < 0"}])
        else:
            engine.settings.set_exception_filters(exceptions.ExceptionFilters.from_arguments({"filters": ["raised"]}))
    if scenario == "S4":
        namespace["spin"](size)
    else:
        namespace["lookups"](size)
    engine.stop()


def _instructions(scenario: str, size: int, debugged: bool) -> int:
    return instructions("benchmarks.hotpaths", ["--once", scenario, str(size), *(["--debugged"] if debugged else [])])


def _count(size: int) -> None:
    for scenario, unit in (("S4", "hit"), ("S5", "exception")):
        per = {}
        for debugged in (False, True):
            per[debugged] = (_instructions(scenario, size, debugged) - _instructions(scenario, 0, debugged)) / size
        print(
            f"{scenario} {per[True] - per[False]:.0f} instructions per {unit} over plain "
            f"({per[True]:.0f} with the engine, {per[False]:.0f} without)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--instructions", type=int, metavar="N", help="count instructions over N hits/raises")
    parser.add_argument("--once", nargs=2, metavar=("SCENARIO", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--debugged", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.once:
        _run_once(options.once[0], int(options.once[1]), options.debugged)
        return
    if options.instructions:
        _count(options.instructions)
        return
    hot_path, hot = _load("hotloop")
    _exc_path, exc = _load("exceptions")
    plain_spin = best(options.repeats, lambda: hot["spin"](HITS))
    plain_raise = best(options.repeats, lambda: exc["lookups"](RAISES))
    engine = Engine(Sources(), lambda _event, _body: None, lambda: set())
    engine.start()
    try:
        engine.settings.set_breakpoints({"path": str(hot_path)}, [{"line": _hot_line(hot_path), "condition": "i < 0"}])
        debugged_spin = best(options.repeats, lambda: hot["spin"](HITS))
        engine.settings.set_exception_filters(exceptions.ExceptionFilters.from_arguments({"filters": ["raised"]}))
        debugged_raise = best(options.repeats, lambda: exc["lookups"](RAISES))
    finally:
        engine.stop()
    print(f"S4 {(debugged_spin - plain_spin) / HITS * 1e6:.3f} us per hit (plain loop {plain_spin * 1e3:.1f} ms)")
    print(f"S5 {debugged_raise / plain_raise:.3f}x with raised (plain {plain_raise * 1e3:.1f} ms)")


if __name__ == "__main__":
    main()

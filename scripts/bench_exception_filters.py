"""Micro-benchmark of what the exception filters cost a program that raises and catches exceptions in a hot loop.

Run: ``python scripts/bench_exception_filters.py`` (each mode runs in a fresh interpreter). Prints nanoseconds
per raise+catch, best of 7 rounds, and the ratio of plain python's time to each mode's (1.00 = full speed).
None of these modes stops: every exception is caught in user code, and "raised" has a condition that
excludes ValueError, so its callback runs but never stops.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parent.parent / "src")

CASE = r"""
import sys, time
sys.path.insert(0, {src!r})
mode = sys.argv[1]
if mode != "plain":
    from monadapter.agent.engine import Engine
    from monadapter.agent.exceptions import ExceptionFilters
    from monadapter.agent.sources import Sources
    engine = Engine(Sources(), lambda event, body: None, lambda: set())
    engine.start()
    arguments = {{
        "no filter": {{"filters": []}},
        "uncaught": {{"filters": ["uncaught"]}},
        "uncaught+userUnhandled": {{"filters": ["uncaught", "userUnhandled"]}},
        "raised (not ValueError)": {{"filters": [], "filterOptions": [{{"filterId": "raised", "condition": "not ValueError"}}]}},
    }}[mode]
    engine.set_exception_filters(ExceptionFilters.from_arguments(arguments))
def raiser():
    raise ValueError("x")
def middle():
    raiser()
def same_frame(n):
    for _ in range(n):
        try:
            raise ValueError("x")
        except ValueError:
            pass
def one_frame(n):
    for _ in range(n):
        try:
            raiser()
        except ValueError:
            pass
def two_frames(n):
    for _ in range(n):
        try:
            middle()
        except ValueError:
            pass
cases = {{"same_frame": same_frame, "one_frame": one_frame, "two_frames": two_frames}}
results = []
for name, run in cases.items():
    best = float("inf")
    for _ in range(7):
        start = time.perf_counter_ns()
        run(50000)
        best = min(best, (time.perf_counter_ns() - start) / 50000)
    results.append(f"{{best:.0f}}")
print(" ".join(results))
"""

MODES = ["plain", "no filter", "uncaught", "uncaught+userUnhandled", "raised (not ValueError)"]
CASES = ["same_frame", "one_frame", "two_frames"]


def main() -> None:
    script = CASE.format(src=SRC)
    timings = {}
    for mode in MODES:
        run = subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True, check=True)
        timings[mode] = [float(cell) for cell in run.stdout.split()]
    print(f"python {sys.version.split()[0]}; ns per raise+catch (ratio plain/mode), best of 7")
    print(f"{'mode':26}" + "".join(f"{case:>20}" for case in CASES))
    for mode in MODES:
        cells = [f"{ns:8.0f} ({timings['plain'][index] / ns:4.2f})" for index, ns in enumerate(timings[mode])]
        print(f"{mode:26}" + "".join(f"{cell:>20}" for cell in cells))


if __name__ == "__main__":
    main()

"""Micro-benchmarks of the engine's fixed costs: the audit hook that captures run-time source, and first sight.

Run: ``python scripts/bench_engine_costs.py`` (each case runs in a fresh interpreter, because an audit
hook cannot be removed once installed). Prints nanoseconds per operation, best of 9 rounds.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parent.parent / "src")

CASE = r"""
import sys, time, os, tempfile
sys.path.insert(0, {src!r})
mode, op = sys.argv[1], sys.argv[2]
engine = None
if mode in ("hook", "engine"):
    from monadapter.agent.sources import Sources
    sources = Sources()
    if mode == "hook":
        sources.start_capture()
    else:
        from monadapter.agent.engine import Engine
        engine = Engine(sources, lambda event, body: None, lambda: set())
        engine.start()
real = os.path.join(tempfile.mkdtemp(), "real.py")
open(real, "w").write("x = 1\n")
counter = iter(range(10**9))
def hot(n):
    total = 0
    for i in range(n):
        total += i
    return total
ops = {{
    "exec_string": (lambda: exec("x = 1"), 20000),
    "compile_real_file": (lambda: compile("x = 1", real, "exec"), 20000),
    "open_devnull": (lambda: open(os.devnull).close(), 20000),
    "new_function_first_call": (lambda: exec(f"def f{{next(counter)}}():\n    return 1\nf{{next(counter)-1}}()", {{}}), 5000),
    "call_known_function": (lambda: hot(3), 200000),
}}
fn, n = ops[op]
best = float("inf")
for _ in range(9):
    start = time.perf_counter_ns()
    for _ in range(n):
        fn()
    best = min(best, (time.perf_counter_ns() - start) / n)
print(f"{{best:.0f}}")
if engine is not None:
    engine.stop()
"""


def main() -> None:
    script = CASE.format(src=SRC)
    ops = ["exec_string", "compile_real_file", "open_devnull", "new_function_first_call", "call_known_function"]
    print(f"python {sys.version.split()[0]}; ns per operation, best of 9")
    print(f"{'operation':28} {'plain':>8} {'hook':>8} {'engine':>8}")
    for op in ops:
        cells = []
        for mode in ("plain", "hook", "engine"):
            run = subprocess.run([sys.executable, "-c", script, mode, op], capture_output=True, text=True, check=True)
            cells.append(run.stdout.strip())
        print(f"{op:28} {cells[0]:>8} {cells[1]:>8} {cells[2]:>8}")


if __name__ == "__main__":
    main()

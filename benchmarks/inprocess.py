"""Measuring helpers shared by the in-process benchmarks (hotpaths.py, datawatch.py).

Both time the engine's callbacks in one interpreter and, for figures the machine's load cannot
move, count instructions with valgrind's cachegrind in a child interpreter; one copy of each
helper keeps their figures comparable.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable


def best(repeats: int, run: Callable[[], object]) -> float:
    """The shortest of ``repeats`` runs of ``run``, in seconds (the least disturbed by the machine)."""
    shortest = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        shortest = min(shortest, time.perf_counter() - start)
    return shortest


def instructions(module: str, arguments: list[str]) -> int:
    """The instructions ``python -m MODULE ARGUMENTS`` executes, counted by cachegrind.

    One hash seed for every run: with random ones, dict layouts alone move the count by a few
    instructions a line.
    """
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    command += [sys.executable, "-m", module, *arguments]
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    output = subprocess.run(command, capture_output=True, text=True, check=True, env=environment).stderr
    line = next(text for text in output.splitlines() if "I" in text and "refs:" in text)
    return int(line.split(":")[1].replace(",", "").strip())

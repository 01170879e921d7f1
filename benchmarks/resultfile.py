"""Reading the JSON result a workload writes (see ``workloads/benchresult.py``)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import anyio

from benchmarks.jobs import Context, Measurements

_counter = itertools.count()


def new_result_path(ctx: Context) -> Path:
    """A path no earlier run used, so a stale file can never be mistaken for this run's."""
    return ctx.scratch / f"result-{next(_counter)}.json"


def read_result(path: Path) -> Measurements:
    """The numbers the workload reported; a missing file means the program did not finish."""
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuntimeError(f"the program wrote no result to {path}: it did not run to its end") from None
    return {key: float(value) for key, value in values.items() if isinstance(value, int | float)}


async def wait_for_result(path: Path, timeout: float) -> Measurements:
    """Poll for the result of a program no one waits on (after a detach nothing reports its exit)."""
    with anyio.fail_after(timeout):
        while not path.exists():
            await anyio.sleep(0.02)
    return read_result(path)

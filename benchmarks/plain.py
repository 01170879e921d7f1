"""The baseline: each workload run by plain Python, with no debugger anywhere."""

from __future__ import annotations

import time

import anyio

from benchmarks.jobs import Context, Measurements
from benchmarks.programs import Program
from benchmarks.resultfile import new_result_path, read_result


class PlainPython:
    """Runs ``python PROGRAM ARGS`` and reports the program's figures plus the process wall time."""

    async def run(self, program: Program, ctx: Context) -> Measurements:
        """Run ``program`` to its end; ``wall`` spans process start to exit."""
        out = new_result_path(ctx)
        argv = [ctx.python, str(program.path), *program.args(out, smoke=ctx.smoke)]
        with anyio.fail_after(ctx.timeout):
            started = time.perf_counter()
            await anyio.run_process(argv, check=True)
            wall = time.perf_counter() - started
        return {**read_result(out), "wall": wall}

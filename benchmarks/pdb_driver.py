"""pdb driven the way a person drives it: ``python -m pdb PROGRAM`` and commands typed at its prompt.

pdb (settrace-based up to 3.13) is the baseline every Python user already has. Where a scenario
has a pdb counterpart it is measured with the nearest commands (``n`` for ``next``, ``r`` for
``stepOut``, which stops at the return rather than in the caller; clearing the breakpoint and
``c`` for a detach, since pdb then removes its trace function); where it has none the cell says n/a.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from anyio.abc import Process

from benchmarks.jobs import (
    BigVariables,
    Context,
    Detach,
    Driver,
    FirstStop,
    Measurements,
    NotApplicable,
    RoundTrips,
    RunToEnd,
    StartUp,
    Step,
    Unsupported,
)
from benchmarks.programs import LOOP, Program
from benchmarks.resultfile import new_result_path, read_result
from benchmarks.stats import cycle_figures

PROMPT = b"(Pdb) "
FINISHED = "The program finished and will be restarted"
#: pdb's nearest commands to DAP's steps. ``r`` stops at the function's return, one event before
#: DAP's ``stepOut`` lands in the caller.
_PDB_STEP = {"next": "n", "stepOut": "r"}


class PdbSession:
    """One ``python -m pdb`` process: send a command, read everything up to the next prompt."""

    def __init__(self, process: Process, timeout: float) -> None:
        self._process = process
        self._timeout = timeout

    async def prompt(self) -> str:
        """Read output until pdb prompts again; return what it printed."""
        assert self._process.stdout is not None
        buffer = bytearray()
        with anyio.fail_after(self._timeout):
            while not buffer.endswith(PROMPT):
                try:
                    buffer += await self._process.stdout.receive()
                except anyio.EndOfStream:
                    raise Unsupported(
                        f"pdb exited; its last output: {buffer[-400:].decode(errors='replace')}"
                    ) from None
        return buffer.decode(errors="replace")

    async def command(self, line: str) -> str:
        """Type ``line`` and return pdb's answer."""
        assert self._process.stdin is not None
        await self._process.stdin.send(line.encode() + b"\n")
        return await self.prompt()

    async def breakpoint(self, path: Path, line: int, condition: str | None = None) -> None:
        """``b FILE:LINE[, CONDITION]``, checking pdb accepted it."""
        answer = await self.command(f"b {path}:{line}" + (f", {condition}" if condition else ""))
        if not answer.startswith("Breakpoint "):
            raise Unsupported(f"pdb refused the breakpoint at line {line}: {answer[:300]!r}")

    async def stop_at(self, program: Program, line: int) -> None:
        """``c`` and check pdb stopped where the breakpoint is."""
        answer = await self.command("c")
        if f"{program.path}({line})" not in answer:
            raise Unsupported(f"pdb did not stop at line {line}: {answer[-300:]!r}")

    async def finish(self) -> None:
        """``c`` to the end of the program (pdb then offers to restart it)."""
        answer = await self.command("c")
        if FINISHED not in answer:
            raise Unsupported(f"the program did not run to its end under pdb: {answer[-300:]!r}")


@asynccontextmanager
async def pdb_session(program: Program, ctx: Context, result: Path) -> AsyncIterator[PdbSession]:
    """Start pdb on ``program``; always end the process, killing it if it does not quit."""
    argv = [ctx.python, "-m", "pdb", str(program.path), *program.args(result, smoke=ctx.smoke)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = await anyio.open_process(argv, stderr=subprocess.STDOUT, env=env)
    try:
        session = PdbSession(process, ctx.timeout)
        yield session
        assert process.stdin is not None
        await process.stdin.send(b"q\n")
        with anyio.fail_after(ctx.timeout):
            await process.wait()
    finally:
        with anyio.CancelScope(shield=True):  # reap the process even when the run was cut off
            if process.returncode is None:
                process.kill()
            await process.aclose()


class Pdb(Driver):
    """Measures the jobs that have a pdb counterpart."""

    name = "pdb"

    async def start_up(self, job: StartUp, ctx: Context) -> Measurements:
        started = time.perf_counter()
        async with pdb_session(LOOP, ctx, new_result_path(ctx)) as session:
            await session.prompt()
            elapsed = time.perf_counter() - started
        return {"startup": elapsed}

    async def run_to_end(self, job: RunToEnd, ctx: Context) -> Measurements:
        if "raised" in job.exception_filters:
            raise NotApplicable("pdb cannot break on raised exceptions")
        out = new_result_path(ctx)
        started = time.perf_counter()
        async with pdb_session(job.program, ctx, out) as session:
            await session.prompt()
            for bp in job.breakpoints:
                await session.breakpoint(bp.path, bp.line, bp.condition)
            await session.finish()
            wall = time.perf_counter() - started
        return {**read_result(out), "wall": wall}

    async def step(self, job: Step, ctx: Context) -> Measurements:
        program = job.program
        async with pdb_session(program, ctx, new_result_path(ctx)) as session:
            await session.prompt()
            await session.breakpoint(program.path, program.line(job.start))
            await session.stop_at(program, program.line(job.start))
            started = time.perf_counter()
            answer = await session.command(_PDB_STEP[job.command])
            step = time.perf_counter() - started
            if job.command == "stepOut" and "--Return--" not in answer:
                raise Unsupported(f"pdb 'r' did not stop at the return: {answer[-300:]!r}")
            await session.command("cl 1")
            await session.finish()
        return {"step": step}

    async def first_stop(self, job: FirstStop, ctx: Context) -> Measurements:
        program = job.program
        started = time.perf_counter()
        async with pdb_session(program, ctx, new_result_path(ctx)) as session:
            await session.prompt()
            await session.breakpoint(program.path, program.line(job.marker))
            await session.stop_at(program, program.line(job.marker))
            first_stop = time.perf_counter() - started
            await session.command("cl 1")
            await session.finish()
        return {"first_stop": first_stop}

    async def round_trips(self, job: RoundTrips, ctx: Context) -> Measurements:
        program = job.program
        line = program.line(job.marker)
        cycles: list[float] = []
        async with pdb_session(program, ctx, new_result_path(ctx)) as session:
            await session.prompt()
            await session.breakpoint(program.path, line)
            await session.stop_at(program, line)
            for _ in range(job.stops(ctx) - 1):
                started = time.perf_counter()
                if job.inspect:
                    await session.command("w")
                    await session.command("p locals()")
                await session.stop_at(program, line)
                cycles.append(time.perf_counter() - started)
            await session.command("cl 1")
            await session.finish()
        return cycle_figures(cycles)

    async def big_variables(self, job: BigVariables, ctx: Context) -> Measurements:
        raise NotApplicable("pdb prints values whole; it has no paged variables to fetch")

    async def detach(self, job: Detach, ctx: Context) -> Measurements:
        program = job.program
        out = new_result_path(ctx)
        async with pdb_session(program, ctx, out) as session:
            await session.prompt()
            await session.breakpoint(program.path, program.line(job.marker))
            await session.stop_at(program, program.line(job.marker))
            await session.command("cl 1")
            await session.finish()
        return read_result(out)

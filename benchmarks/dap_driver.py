"""Debug adapters driven through DAP exactly as an editor drives them: monadapter and debugpy.

A real adapter process on stdio, a real client, a real ``launch``: initialize, launch,
``initialized``, setBreakpoints, setExceptionBreakpoints, configurationDone, then whatever the job
asks, up to ``terminated``. The same request sequence goes to both adapters; only the command
that starts the adapter differs. A request answered with ``success: false`` ends the run as
:class:`~benchmarks.jobs.Unsupported`, carrying the adapter's message.
"""

from __future__ import annotations

import re
import statistics
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.dap_session import DapSession, open_session
from benchmarks.jobs import (
    BigVariables,
    Breakpoint,
    Context,
    Detach,
    Driver,
    FirstStop,
    Measurements,
    RoundTrips,
    RunToEnd,
    Scale,
    StartUp,
    Step,
    Unsupported,
)
from benchmarks.programs import Program
from benchmarks.resultfile import new_result_path, read_result, wait_for_result
from benchmarks.stats import cycle_figures

#: The page an editor asks for first when it opens a long list (VS Code shows chunks of 100).
FIRST_PAGE = 100
#: The page size used to walk a whole 100k list, so the walk takes 100 requests.
SWEEP_PAGE = 1000
DICT_SIZE = 10_000
LIST_SIZE = 100_000


@dataclass(frozen=True, slots=True)
class Launched:
    """A session whose program is running: the session, when ``launch`` was sent, the result file."""

    session: DapSession
    launched_at: float
    result: Path


class DapDebugger(Driver):
    """One adapter (its start command and extra launch arguments) and the jobs it can be given."""

    def __init__(self, name: str, adapter_argv: Sequence[str], launch_extras: dict[str, Any] | None = None) -> None:
        self.name = name
        self._argv = list(adapter_argv)
        self._extras = launch_extras or {}

    @asynccontextmanager
    async def _launched(
        self,
        ctx: Context,
        program: Program,
        breakpoints: Sequence[Breakpoint],
        exception_filters: Sequence[str] = (),
        marks: dict[str, float] | None = None,
    ) -> AsyncIterator[Launched]:
        """Initialize, launch and configure like an editor; yield once the program runs. ``marks``
        receives how long the setBreakpoints requests took and when configurationDone was sent."""
        async with open_session(self._argv, ctx.timeout) as session:
            capabilities = await session.request("initialize", _INITIALIZE)
            offered = {f["filter"] for f in capabilities.get("exceptionBreakpointFilters") or []}
            missing = set(exception_filters) - offered
            if missing:
                raise Unsupported(
                    f"the adapter offers no exception filter {sorted(missing)} (it offers {sorted(offered)})"
                )
            if any(bp.condition for bp in breakpoints) and not capabilities.get("supportsConditionalBreakpoints"):
                raise Unsupported("the adapter does not advertise supportsConditionalBreakpoints")
            result = new_result_path(ctx)
            launched_at = time.perf_counter()
            launch = await session.start_request("launch", self._launch_arguments(program, result, ctx))
            # a launch that fails (its debuggee exited before its agent started) is answered first
            await session.event("initialized", unexpected=("exited", "terminated"), answer=launch)
            started = time.perf_counter()
            await self._set_breakpoints(session, breakpoints, [program.path])
            if marks is not None:
                marks["set_breakpoints"] = time.perf_counter() - started
            if offered:  # an editor sends the filters only to an adapter that offers some
                await session.request("setExceptionBreakpoints", {"filters": list(exception_filters)})
            if marks is not None:
                marks["configuration_done_at"] = time.perf_counter()
            await session.request("configurationDone", {})
            await session.response(launch)
            yield Launched(session, launched_at, result)

    def _launch_arguments(self, program: Program, result: Path, ctx: Context) -> dict[str, Any]:
        return {
            "name": "benchmark",
            "type": "python",
            "request": "launch",
            "program": str(program.path),
            "args": program.args(result, smoke=ctx.smoke),
            "cwd": str(program.path.parent),
            "console": "internalConsole",
            "justMyCode": True,
            "stopOnEntry": False,
            **self._extras,
        }

    @staticmethod
    async def _set_breakpoints(session: DapSession, breakpoints: Sequence[Breakpoint], files: Sequence[Path]) -> None:
        """One ``setBreakpoints`` per file (an empty list clears the file), as an editor sends them."""
        by_file: dict[Path, list[dict[str, Any]]] = defaultdict(list)
        for path in files:
            by_file[path] = []
        for bp in breakpoints:
            by_file[bp.path].append({"line": bp.line} | ({"condition": bp.condition} if bp.condition else {}))
        for path, lines in by_file.items():
            # ``verified`` is not checked: an adapter may verify a breakpoint only when its code
            # loads. Every job that stops checks where it stopped instead.
            await session.request("setBreakpoints", {"source": {"path": str(path)}, "breakpoints": lines})

    async def start_up(self, job: StartUp, ctx: Context) -> Measurements:
        started = time.perf_counter()
        async with open_session(self._argv, ctx.timeout) as session:
            await session.request("initialize", _INITIALIZE)
            return {"startup": time.perf_counter() - started}

    async def run_to_end(self, job: RunToEnd, ctx: Context) -> Measurements:
        async with self._launched(ctx, job.program, job.breakpoints, job.exception_filters) as run:
            await run.session.event("terminated", unexpected=("stopped",))
            wall = time.perf_counter() - run.launched_at
        return {**read_result(run.result), "wall": wall}

    async def step(self, job: Step, ctx: Context) -> Measurements:
        program = job.program
        line = program.line(job.start)
        async with self._launched(ctx, program, [Breakpoint(program.path, line)]) as run:
            thread = await _stopped_at(run.session, line)
            started = time.perf_counter()
            await run.session.request(job.command, {"threadId": thread})
            await run.session.event("stopped", unexpected=("terminated",))
            step = time.perf_counter() - started
            await self._finish(run.session, program, thread)
        return {"step": step}

    async def first_stop(self, job: FirstStop, ctx: Context) -> Measurements:
        program = job.program
        line = program.line(job.marker)
        async with self._launched(ctx, program, [Breakpoint(program.path, line)]) as run:
            stopped = await run.session.event("stopped", unexpected=("terminated",))
            first_stop = time.perf_counter() - run.launched_at
            await _check_location(run.session, stopped, line)
            await self._finish(run.session, program, stopped["threadId"])
        return {"first_stop": first_stop}

    async def round_trips(self, job: RoundTrips, ctx: Context) -> Measurements:
        program = job.program
        line = program.line(job.marker)
        cycles: list[float] = []
        async with self._launched(ctx, program, [Breakpoint(program.path, line)]) as run:
            session = run.session
            thread = await _stopped_at(session, line)
            for _ in range(job.stops(ctx) - 1):
                started = time.perf_counter()
                if job.inspect:
                    await _inspect_like_an_editor(session, thread)
                await session.request("continue", {"threadId": thread})
                stopped = await session.event("stopped", unexpected=("terminated",))
                cycles.append(time.perf_counter() - started)
                thread = stopped["threadId"]
            await self._finish(session, program, thread)
        return cycle_figures(cycles)

    async def big_variables(self, job: BigVariables, ctx: Context) -> Measurements:
        program = job.program
        line = program.line(job.marker)
        async with self._launched(ctx, program, [Breakpoint(program.path, line)]) as run:
            session = run.session
            thread = await _stopped_at(session, line)
            local = {v["name"]: v for v in await _inspect_like_an_editor(session, thread)}
            if "big_dict" not in local or "big_list" not in local:
                raise Unsupported(f"locals lack big_dict/big_list: {sorted(local)[:10]}")
            figures = await _fetch_dict(session, local["big_dict"]) | await _page_list(session, local["big_list"])
            await self._finish(session, program, thread)
        return figures

    async def detach(self, job: Detach, ctx: Context) -> Measurements:
        program = job.program
        line = program.line(job.marker)
        async with self._launched(ctx, program, [Breakpoint(program.path, line)]) as run:
            await _stopped_at(run.session, line)
            await run.session.request("disconnect", {"terminateDebuggee": False})
            return await wait_for_result(run.result, ctx.timeout)

    async def scale(self, job: Scale, ctx: Context) -> Measurements:
        first_line = job.target.line(job.marker)
        wanted = [Breakpoint(job.target.path, first_line + offset) for offset in range(job.count)]
        files = [job.program.path, job.target.path]
        first = wanted if job.late is None else [Breakpoint(job.program.path, job.program.line(job.late))]
        marks: dict[str, float] = {}
        async with self._launched(ctx, job.program, first, marks=marks) as run:
            session = run.session
            stopped = await session.event("stopped", unexpected=("terminated",))
            now = time.perf_counter()
            figures = {
                "set_breakpoints": marks["set_breakpoints"],
                "first_stop": now - run.launched_at,
                "configured_to_stop": now - marks["configuration_done_at"],
            }
            await _check_location(session, stopped, first[0].line)
            thread = int(stopped["threadId"])
            if job.late is not None:
                started = time.perf_counter()
                await self._set_breakpoints(session, wanted, [job.target.path])
                figures["late_set_breakpoints"] = time.perf_counter() - started
                started = time.perf_counter()
                await session.request("continue", {"threadId": thread})
                stopped = await session.event("stopped", unexpected=("terminated",))
                figures["late_stop"] = time.perf_counter() - started
                await _check_location(session, stopped, first_line)
                thread = int(stopped["threadId"])
            if job.stops:
                figures |= await _cycles(session, thread, 2 if ctx.smoke else job.stops, job.list_threads)
            if job.steps:
                figures |= await _steps(session, thread, 10 if ctx.smoke else job.steps)
            await self._finish(session, job.program, thread, files)
        return figures

    async def _finish(
        self, session: DapSession, program: Program, thread: int, files: Sequence[Path] | None = None
    ) -> None:
        """Clear the breakpoints, continue, and wait for the program to end."""
        await self._set_breakpoints(session, [], files or [program.path])
        await session.request("continue", {"threadId": thread})
        await session.event("terminated", unexpected=("stopped",))


_INITIALIZE = {
    "clientID": "monadapter-benchmarks",
    "clientName": "monadapter benchmarks",
    "adapterID": "python",
    "locale": "en",
    "linesStartAt1": True,
    "columnsStartAt1": True,
    "pathFormat": "path",
    "supportsVariableType": True,
    "supportsVariablePaging": True,
    "supportsRunInTerminalRequest": False,
    "supportsMemoryReferences": False,
    "supportsProgressReporting": False,
    "supportsInvalidatedEvent": False,
}


async def _stopped_at(session: DapSession, line: int) -> int:
    """Wait for the first stop, check it is at ``line``, return its thread id."""
    stopped = await session.event("stopped", unexpected=("terminated",))
    await _check_location(session, stopped, line)
    return int(stopped["threadId"])


async def _check_location(session: DapSession, stopped: dict[str, Any], line: int) -> None:
    """Make sure a stop is where the breakpoint is; a stop elsewhere would make timings meaningless."""
    frames = (await session.request("stackTrace", {"threadId": stopped["threadId"], "levels": 1}))["stackFrames"]
    if not frames or frames[0]["line"] != line:
        where = frames[0]["line"] if frames else "nowhere"
        raise Unsupported(f"stopped at line {where}, expected {line} (reason {stopped.get('reason')})")


async def _inspect_like_an_editor(session: DapSession, thread: int) -> list[dict[str, Any]]:
    """threads, stackTrace, scopes and the first scope's variables: what an editor asks at a stop."""
    await session.request("threads", {})
    frames = (await session.request("stackTrace", {"threadId": thread, "startFrame": 0, "levels": 20}))["stackFrames"]
    scopes = (await session.request("scopes", {"frameId": frames[0]["id"]}))["scopes"]
    body = await session.request("variables", {"variablesReference": scopes[0]["variablesReference"]})
    return list(body["variables"])


async def _cycles(session: DapSession, thread: int, stops: int, list_threads: bool) -> Measurements:
    """``stops`` continue-to-stopped cycles; with ``list_threads`` a timed ``threads`` request at
    each stop too, and how many threads it listed."""
    cycles: list[float] = []
    listing: list[float] = []
    listed = 0
    for _ in range(stops):
        if list_threads:
            started = time.perf_counter()
            listed = len((await session.request("threads", {}))["threads"])
            listing.append(time.perf_counter() - started)
        started = time.perf_counter()
        await session.request("continue", {"threadId": thread})
        stopped = await session.event("stopped", unexpected=("terminated",))
        cycles.append(time.perf_counter() - started)
        thread = int(stopped["threadId"])
    figures = cycle_figures(cycles)
    if list_threads:
        figures |= {"threads_request": statistics.median(listing), "threads_listed": float(listed)}
    return figures


async def _steps(session: DapSession, thread: int, count: int) -> Measurements:
    """``next`` ``count`` times in a row, each timed from the request to its ``stopped`` event."""
    steps: list[float] = []
    for _ in range(count):
        started = time.perf_counter()
        await session.request("next", {"threadId": thread})
        await session.event("stopped", unexpected=("terminated",))
        steps.append(time.perf_counter() - started)
    return {"step": statistics.median(steps), "step_max": max(steps), "steps_total": sum(steps)}


_DICT_KEY = re.compile(r"key\d+")
_INDEX = re.compile(r"\d+")


async def _fetch_dict(session: DapSession, variable: dict[str, Any]) -> Measurements:
    """Time one ``variables`` request on the dict and count the entries it returned; then its first
    page of 100 entries, as an editor that pages (VS Code, for ``indexedVariables`` over 100) asks."""
    reference = variable["variablesReference"]
    started = time.perf_counter()
    body = await session.request("variables", {"variablesReference": reference})
    elapsed = time.perf_counter() - started
    keys = {v["name"] for v in body["variables"] if _DICT_KEY.search(v["name"])}
    started = time.perf_counter()
    await session.request(
        "variables", {"variablesReference": reference, "filter": "indexed", "start": 0, "count": FIRST_PAGE}
    )
    first_page = time.perf_counter() - started
    return {"dict": elapsed, "dict_missing": float(DICT_SIZE - len(keys)), "dict_first_page": first_page}


async def _page_list(session: DapSession, variable: dict[str, Any]) -> Measurements:
    """Time the first page of the list, then walk it page by page and count the indices seen."""
    reference = variable["variablesReference"]
    started = time.perf_counter()
    await session.request(
        "variables", {"variablesReference": reference, "filter": "indexed", "start": 0, "count": FIRST_PAGE}
    )
    first_page = time.perf_counter() - started
    seen: set[int] = set()
    worst = 0.0
    for start in range(0, LIST_SIZE, SWEEP_PAGE):
        started = time.perf_counter()
        body = await session.request(
            "variables", {"variablesReference": reference, "filter": "indexed", "start": start, "count": SWEEP_PAGE}
        )
        worst = max(worst, time.perf_counter() - started)
        seen.update(int(m.group()) for v in body["variables"] if (m := _INDEX.fullmatch(v["name"].strip("[]"))))
    return {"list_first_page": first_page, "list_page_max": worst, "list_missing": float(LIST_SIZE - len(seen))}

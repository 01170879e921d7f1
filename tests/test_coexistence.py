"""Living beside other sys.monitoring tools: coverage.py's sysmon core, a tool already holding DEBUGGER_ID,
and the promise never to call ``restart_events()`` nor set LINE globally on DEBUGGER_ID."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import (
    launch_arguments,
    line_of,
    next_stop,
    run_to_exit,
    session,
    stop_location,
    top_frame,
    write_program,
)

from monadapter.client import DapError

MODULE = """
    def classify(n):
        if n % 2:
            kind = "odd"  # odd branch
        else:
            kind = "even"
        if n > 100:
            kind = "huge"  # never runs
        return kind
"""


async def test_coverage_sysmon_and_breakpoints_both_see_everything(tmp_path: Path) -> None:
    module = write_program(tmp_path, MODULE, name="classifier.py")
    report = tmp_path / "coverage.json"
    program = write_program(
        tmp_path,
        f"""
        import json, sys
        import coverage
        cov = coverage.Coverage(data_file=None, include=[{str(module)!r}])
        cov.start()
        import classifier
        kinds = [classifier.classify(n) for n in range(4)]
        tools = [sys.monitoring.get_tool(i) for i in range(6)]
        cov.stop()
        _, statements, _, missing, _ = cov.analysis2(classifier.__file__)
        json.dump({{"kinds": kinds, "missing": missing, "statements": statements, "tools": tools}},
                  open({str(report)!r}, "w"))
    """,
    )
    odd = line_of(module, "# odd branch")
    async with session() as client:
        arguments = launch_arguments(program, env={"COVERAGE_CORE": "sysmon"}, cwd=str(tmp_path))
        stopped = await client.launch_and_stop({module: [odd]}, **arguments)
        stops = [await stop_location(client, stopped)]
        stopped = await next_stop(client, stopped)
        stops.append(await stop_location(client, stopped))
        assert stops == [("classify", odd), ("classify", odd)]
        assert await run_to_exit(client, stopped) == 0
        assert len([event for event in client.events if event.get("event") == "stopped"]) == 2
    result = json.loads(report.read_text())
    assert result["kinds"] == ["even", "odd", "even", "odd"]
    assert result["missing"] == [line_of(module, "# never runs")]
    # coverage really ran on sys.monitoring, beside us, with a tool id of its own
    assert result["tools"][0] == "monadapter"
    assert any(tool and "coverage" in tool for tool in result["tools"][1:]), result["tools"]


RECORDER = """
    import sys
    calls = []
    original = sys.monitoring.restart_events
    def restart_events():
        calls.append(1)
        return original()
    sys.monitoring.restart_events = restart_events
    sys.restart_events_calls = calls
"""


async def test_restart_events_is_never_called_and_line_is_never_global(tmp_path: Path) -> None:
    """A sitecustomize in the debuggee records every restart_events() call from interpreter start;
    the session sets, moves and removes breakpoints, stops, and detaches."""
    write_program(tmp_path / "site", RECORDER, name="sitecustomize.py")
    report = tmp_path / "report.json"
    program = write_program(
        tmp_path,
        f"""
        import json, sys
        def work(n):
            total = n + 1  # work body
            return total
        for n in range(6):
            work(n)  # loop body
        events = sys.monitoring.get_events(sys.monitoring.DEBUGGER_ID)
        json.dump({{"restarts": len(sys.restart_events_calls),
                   "global_line": bool(events & sys.monitoring.events.LINE)}}, open({str(report)!r}, "w"))
    """,
    )
    body, loop = line_of(program, "# work body"), line_of(program, "# loop body")
    async with session() as client:
        arguments = launch_arguments(program, env={"PYTHONPATH": str(tmp_path / "site")})
        stopped = await client.launch_and_stop({program: [body]}, **arguments)
        await client.set_breakpoints(program, [loop])  # move: re-arms the module code
        stopped = await next_stop(client, stopped)
        assert (await stop_location(client, stopped))[1] == loop
        await client.set_breakpoints(program, [body, loop])
        stopped = await next_stop(client, stopped)
        await client.set_breakpoints(program, [])
        assert await run_to_exit(client, stopped) == 0
    assert json.loads(report.read_text()) == {"restarts": 0, "global_line": False}


async def test_launch_fails_clearly_when_another_tool_holds_debugger_id(tmp_path: Path) -> None:
    write_program(
        tmp_path / "site",
        """
        import sys
        sys.monitoring.use_tool_id(sys.monitoring.DEBUGGER_ID, "other-debugger")
    """,
        name="sitecustomize.py",
    )
    program = write_program(tmp_path, "print('never debugged')\n")
    async with session() as client:
        launched = await client.launch(**launch_arguments(program, env={"PYTHONPATH": str(tmp_path / "site")}))
        with pytest.raises(DapError, match="other-debugger"):
            await launched


MEASURED = """
    import json, os, sys, threading

    def helper(n):
        total = n + 1
        return total

    def work():
        return helper(1) + len(str(helper))  # stop here

    def profile():
        import cProfile, pstats
        profiler = cProfile.Profile()
        profiler.enable()
        work()
        profiler.disable()
        return sorted(
            [os.path.basename(file), line, name, calls, primitive, sorted(caller[2] for caller in callers)]
            for (file, line, name), (primitive, calls, _, _, callers) in pstats.Stats(profiler).stats.items()
        )

    def cover():
        import coverage
        cov = coverage.Coverage(data_file=None, branch=True)
        cov.start()
        work()
        cov.stop()
        data = cov.get_data()
        return {os.path.basename(file): sorted(data.arcs(file)) for file in data.measured_files()}

    def trace():
        seen = []
        def tracer(frame, event, arg):
            seen.append([threading.current_thread().name, frame.f_code.co_name, event, frame.f_lineno])
            return tracer
        threading.settrace_all_threads(tracer)
        sys.settrace(tracer)
        work()
        sys.settrace(None)
        threading.settrace_all_threads(None)
        return seen

    print(json.dumps({"profile": profile, "cover": cover, "trace": trace}[sys.argv[1]]()))
"""


@pytest.mark.parametrize(
    ("tool", "env"),
    [
        ("profile", {}),
        ("cover", {"COVERAGE_CORE": "sysmon"}),
        ("cover", {"COVERAGE_CORE": "ctrace"}),
        ("trace", {}),
    ],
    ids=["cProfile", "coverage-sysmon", "coverage-ctrace", "settrace"],
)
async def test_profilers_coverage_and_tracers_measure_the_same_with_and_without_a_stop(
    tmp_path: Path, tool: str, env: dict[str, str]
) -> None:
    """The program measures itself while one of our breakpoints stops it and the client inspects the
    paused frame (an evaluation calls the program's function) and steps in, over and out: what cProfile, coverage.py (both cores) or its own tracer report must be
    what they report when nothing stops. Our threads answering the client meanwhile are not the program's."""
    program = write_program(tmp_path, MEASURED)
    arguments = launch_arguments(program, args=[tool], env=env, cwd=str(tmp_path))
    async with session() as client:
        assert await client.run_to_end(**arguments) == 0
        undisturbed = json.loads(client.output("stdout"))
    async with session() as client:
        stopped = await client.launch_and_stop({program: [line_of(program, "# stop here")]}, **arguments)
        frame = await top_frame(client, stopped)
        scopes = await client.scopes(frame["id"])
        await client.variables(scopes[0]["variablesReference"])
        await client.evaluate("helper(2)", frame["id"], context="watch")
        for step in ("stepIn", "next", "stepOut", "next"):  # into helper, over a line, out, over the calls
            await client.request(step, {"threadId": stopped["body"]["threadId"]})
            stopped = await client.wait_for_event("stopped")
        assert await run_to_exit(client, stopped) == 0
        stopped_once = json.loads(client.output("stdout"))
    assert stopped_once == undisturbed


RESTARTING = {
    "function": """
        import sys
        def work(n):
            total = n + 1  # stop here
            return total
        for n in range(HITS):
            work(n)
            sys.monitoring.restart_events()
    """,
    "one-line def": """
        import sys
        def work(n): return n + 1  # stop here
        for n in range(HITS):
            work(n)
            sys.monitoring.restart_events()
    """,
    "same code": """
        import sys
        for n in range(HITS):
            total = n + 1  # stop here
            sys.monitoring.restart_events()
    """,
    "threads": """
        import queue, sys, threading
        inbox = [queue.SimpleQueue(), queue.SimpleQueue()]
        def work(n, me):
            inbox[1 - me].put(n); inbox[me].get()  # C calls only: both threads reach the next line together
            total = n + 1  # stop here
            return total
        def loop(me):
            for n in range(HITS // 2):
                work(n, me)
                sys.monitoring.restart_events()
        workers = [threading.Thread(target=loop, args=(me,)) for me in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    """,
}


def sent_after(seq: int) -> Callable[[dict[str, Any]], bool]:
    """Whether an event was sent after the message numbered ``seq`` (the adapter numbers all it sends)."""
    return lambda event: int(event["seq"]) > seq


@pytest.mark.parametrize("shape", list(RESTARTING))
async def test_restart_events_between_hits_loses_no_stop(tmp_path: Path, shape: str) -> None:
    """The program's restart_events() revives every DISABLEd event of every tool, ours too: the
    breakpoint must still stop at every one of many hits (counted exactly, no timing involved).

    Threads: both hit the breakpoint at once. The second's stop may be reported before the answer to
    the continue of the first, which releases it too (``allThreadsContinued``): that event is stale.
    Every ``stopped`` event after an answer must name a thread stopped at the breakpoint (a stop
    reported after the resume that released it named a running thread: Parking.park)."""
    hits = 40
    program = write_program(tmp_path, RESTARTING[shape].replace("HITS", str(hits)))
    marker = line_of(program, "# stop here")
    async with session() as client:
        stopped = await client.launch_and_stop({program: [marker]}, **launch_arguments(program))
        while stopped["event"] == "stopped":
            if shape != "one-line def" or (await stop_location(client, stopped))[0] == "work":
                assert (await stop_location(client, stopped))[1] == marker, stopped
            pending = await client.send_request("continue", {"threadId": stopped["body"]["threadId"]})
            answer = await client.response(pending.seq)
            assert answer["success"], answer
            stopped = await client.wait_for_any_event("stopped", "terminated", predicate=sent_after(answer["seq"]))
        stops = sum(event["event"] == "stopped" for event in client.events)
    # the one-line def also stops once where the module runs its def statement
    assert stops == hits + (shape == "one-line def")

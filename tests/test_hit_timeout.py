"""evaluateTimeout covers breakpoint conditions and logpoint expressions too: they run the program's
code on its own thread, inside our LINE callback, at every hit, so one that never returns would hang
the program. The interrupter's watchdog ends one that runs past the timeout (agent/hitwatch.py,
agent/interrupt.py): a condition is then reported as a condition that raised (an output event naming
its line and the timeout; it stops the first time only), a logpoint shows the error in its place,
and the program and the session go on. (Hit conditions run none of the program's code.)
"""

from __future__ import annotations

import importlib.util
import queue
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from engine_helpers import launch_arguments, line_of, our_tool_ids_free, session, top_frame, write_program
from inspection_helpers import finish

from monadapter.agent.breakpoints import Breakpoint, LineProbe, render_log
from monadapter.agent.engine import Engine
from monadapter.agent.hitwatch import HitWatch, expression_frame
from monadapter.agent.interrupt import Interrupter
from monadapter.agent.outcome import HitOutcome
from monadapter.agent.sources import Sources

PROGRAM = """
    import threading

    def slow():
        while True:
            pass

    total = 0
    for i in range(3):
        total += i  # the breakpoint line
    print("total", total, [thread.name for thread in threading.enumerate()])
"""
#: What the condition's error says (its tail: stopped the first time, not later).
ENDED = "breakpoint condition at line {line} did not finish within 0.3 s (evaluateTimeout), so it was ended"


async def test_a_condition_that_never_ends_is_ended_and_the_program_goes_on(tmp_path: Path) -> None:
    program = write_program(tmp_path, PROGRAM)
    line = line_of(program, "# the breakpoint line")
    spec = {"line": line, "condition": "[x for x in iter(int, 1)]"}
    async with session() as client:
        stopped = await client.launch_and_stop({program: [spec]}, **launch_arguments(program, evaluateTimeout=0.3))
        assert stopped["body"]["reason"] == "breakpoint"
        first = ENDED.format(line=line) + "; stopped there (later errors of it are reported without stopping)\n"
        await client.wait_for_output(first, category="stderr")
        frame = await top_frame(client, stopped)
        assert frame["line"] == line
        assert (await client.evaluate("i", frame["id"], context="watch"))["result"] == "0"
        output = await finish(client, stopped["body"]["threadId"])
        assert output == "total 3 ['MainThread']\n"  # our watchdog is no thread of the program's
        later = ENDED.format(line=line) + "; not stopping (it stopped the first time)\n"
        assert client.output("stderr") == first + later * 2


PROFILED = """
    import cProfile, pstats, time

    profiler = cProfile.Profile()
    profiler.enable()
    end = time.monotonic() + 0.5
    n = 0
    while time.monotonic() < end:
        n += 1  # the breakpoint line
    profiler.disable()
    seen = {f"{path}:{name}" for path, _line, name in pstats.Stats(profiler).stats}
    print(sorted(name for name in seen if "monadapter" in name or "current_frames" in name))
"""


async def test_the_watchdogs_looks_are_not_seen_by_the_programs_profiler(tmp_path: Path) -> None:
    """While a condition is set the watchdog looks at the stacks every 0.05 s here (ten times while the
    program profiles itself): cProfile sees none of it (our threads run inside a callback of ours,
    agent/quiet.py), nor our LINE callback."""
    program = write_program(tmp_path, PROFILED)
    spec = {"line": line_of(program, "# the breakpoint line"), "condition": "n < 0"}
    async with session() as client:
        await client.configuration_sequence({program: [spec]}, **launch_arguments(program, evaluateTimeout=0.2))
        await client.wait_for_event("terminated")
        assert client.output("stdout") == "[]\n"


async def test_a_logpoint_that_never_ends_shows_the_timeout_and_the_program_goes_on(tmp_path: Path) -> None:
    program = write_program(tmp_path, PROGRAM)
    spec = {"line": line_of(program, "# the breakpoint line"), "logMessage": "i={i} slow={slow()}"}
    async with session() as client:
        await client.configuration_sequence({program: [spec]}, **launch_arguments(program, evaluateTimeout=0.3))
        await client.wait_for_event("terminated")
        ended = "<error: did not finish within 0.3 s (evaluateTimeout), so it was ended>"
        lines = client.output("stdout").splitlines()  # the agent's and the program's: in no fixed order
        assert [line for line in lines if line.startswith("i=")] == [f"i={i} slow={ended}" for i in range(3)]
        assert len(lines) == 4 and "total 3 ['MainThread']" in lines


def run_watched(target: Callable[[], None], timeout: float) -> None:
    """Run ``target`` on a thread of its own (in-process) while an interrupter ends the conditions and
    logpoint expressions that run for ``timeout`` seconds; wait (bounded) until it returned."""
    interrupter = Interrupter()
    interrupter.start()
    interrupter.watch_hits(HitWatch(timeout))
    try:
        thread = threading.Thread(target=target)
        thread.start()
        thread.join(30)
    finally:
        interrupter.watch_hits(None)
    assert not thread.is_alive()


@pytest.mark.unit
def test_a_condition_that_swallows_the_end_is_ended_again_and_reported_once() -> None:
    """On the hitting thread itself (in-process): the condition catches the first HitTimeout and
    spins on; the watchdog raises it again REPEAT seconds later, and the hit reports one error."""
    breakpoint_ = Breakpoint.from_request(1, {"line": 7, "condition": "swallow_then_spin()"})
    outcomes: list[HitOutcome] = []

    def hit() -> None:
        frame = sys._getframe()
        outcomes.append(LineProbe(breakpoint_).hit(frame, frame.f_code))
        outcomes.append(LineProbe(breakpoint_).hit(frame, frame.f_code))  # a second run, ended too

    run_watched(hit, 0.1)
    ended = "breakpoint condition at line 7 did not finish within 0.1 s (evaluateTimeout), so it was ended; "
    assert outcomes == [
        HitOutcome(stop=True, error=ended + "stopped there (later errors of it are reported without stopping)"),
        HitOutcome(stop=False, error=ended + "not stopping (it stopped the first time)"),
    ]


EDGES = """
    import time

    def busy(seconds):
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            pass
        return False

    def run(durations, escaped):
        for duration in durations:
            try:
                busy(0)  # the breakpoint line
                busy(0.02)
            except BaseException as exc:
                escaped.append(repr(exc))
"""


@pytest.mark.unit
def test_a_condition_ended_at_its_edge_never_raises_into_the_program(tmp_path: Path) -> None:
    """A real engine in this process: conditions that return just before, around or after their time
    limit, many times. The end is raised inside the condition (and reported) or not at all, never in
    the program's code: a thread may see it one switch point late (3.13+ look at it at the next one),
    after the condition returned, and our LINE callback catches it there (``except HitTimeout``)
    before it returns. (Without that clause, 1 to 3 of these 40 runs raised into the program.)"""
    our_tool_ids_free()
    path = write_program(tmp_path, EDGES, "edges.py")
    spec = importlib.util.spec_from_file_location("edges", path)
    assert spec is not None and spec.loader is not None
    program = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(program)
    output: list[str] = []
    engine = Engine(Sources(), lambda _event, body: output.append(body.get("output", "")), lambda: set())
    engine.start()
    try:
        engine.settings.set_breakpoints(
            {"path": str(path)}, [{"line": line_of(path, "# the breakpoint line"), "condition": "busy(duration)"}]
        )
        for breakpoint_ in engine.breakpoints.all():
            breakpoint_.condition_failed = True  # as if it had stopped once: no stop (nobody would resume it)
        escaped: list[str] = []
        durations = (0.0, 0.3, *(0.05 + 0.002 * k for k in range(40)))  # around 0.05 s + a look's 0.05
        run_watched(lambda: program.run(durations, escaped), 0.05)
    finally:
        engine.stop()
    ended = sum("so it was ended" in text for text in output)
    assert escaped == [] and 1 <= ended < len(durations), (escaped, ended)


def swallow_then_spin() -> bool:
    try:
        while True:
            pass
    except BaseException:
        pass
    while True:
        pass


@pytest.mark.unit
def test_a_logpoint_expression_is_ended_on_its_thread() -> None:
    breakpoint_ = Breakpoint.from_request(1, {"line": 1, "logMessage": "before {spin()} after"})
    assert breakpoint_.log_parts is not None and breakpoint_.runs_expressions
    rendered: list[str] = []
    run_watched(lambda: rendered.append(render_log(breakpoint_.log_parts or (), sys._getframe())), 0.1)
    assert rendered == ["before <error: did not finish within 0.1 s (evaluateTimeout), so it was ended> after"]


def spin() -> None:
    while True:
        pass


#: What the condition of the next test waits on: a run says it is inside, then waits for its turn.
INSIDE = threading.Event()
TURNS: queue.SimpleQueue[int] = queue.SimpleQueue()


@pytest.mark.unit
def test_the_watch_tells_one_long_run_from_two_runs_in_the_same_frame_memory() -> None:
    """HitWatch.overdue with times of our choosing: a run seen at two looks a timeout apart is due (with
    its frame); a new run is not, even when its frame object has the same address as the last one's
    (the mark on the frame tells them apart: a loop of fast conditions is never one slow condition)."""
    breakpoint_ = Breakpoint.from_request(1, {"line": 1, "condition": "INSIDE.set() or TURNS.get(timeout=30)"})
    watch = HitWatch(5.0)
    INSIDE.clear()
    while not TURNS.empty():  # left by an earlier run in this process
        TURNS.get()

    def hits() -> None:
        frame = sys._getframe()
        for _ in range(2):
            LineProbe(breakpoint_).hit(frame, frame.f_code)

    def wait_inside() -> None:
        assert INSIDE.wait(30)
        INSIDE.clear()

    thread = threading.Thread(target=hits)
    thread.start()
    try:
        wait_inside()
        assert watch.overdue(100.0, frozenset()) == []  # first seen
        assert watch.overdue(104.0, frozenset()) == []
        ((ident, frame),) = watch.overdue(105.0, frozenset())
        assert ident == thread.ident and expression_frame(sys._current_frames()[ident]) is frame
        del frame  # nothing holds it: the next run's frame object may take its address
        assert watch.overdue(105.5, frozenset()) == []  # ended again only REPEAT s later
        TURNS.put(1)
        wait_inside()  # the second run
        assert watch.overdue(200.0, frozenset()) == []  # a new run: first seen, whatever its address
        assert watch.overdue(204.9, frozenset()) == []
        assert watch.overdue(300.0, frozenset({ident})) == []  # our own threads are never looked at
    finally:
        TURNS.put(2)
        TURNS.put(3)
        thread.join(30)
    assert not thread.is_alive()

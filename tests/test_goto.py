"""gotoTargets / goto through the real adapter: jumps forwards and backwards, refusals that leave the thread paused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dap_schema import validate_outgoing
from engine_helpers import (
    evaluate_in_top_frame,
    launch_arguments,
    line_of,
    run_to_exit,
    session,
    stop_location,
    write_program,
)

from monadapter.client import DapClient, DapError

TRACE = """
    def work():
        trace = []
        trace.append("a")  # line a
        trace.append("b")  # line b
        trace.append("c")  # line c
        return trace  # line return

    def other():
        return 0  # other body

    print(work())
"""

LOOP = """
    def work():
        total = 0  # start
        for i in range(3):
            total += i  # loop body
        # a comment
        return total  # end

    def helper():
        return 1  # helper body

    print(work(), helper())
"""


async def goto_targets(client: DapClient, program: Path, line: int) -> list[dict[str, Any]]:
    """The gotoTargets answer for ``line``, checked against the DAP schema."""
    body = await client.request("gotoTargets", {"source": {"path": str(program)}, "line": line})
    response = {"type": "response", "seq": 1, "request_seq": 1, "command": "gotoTargets", "success": True}
    assert validate_outgoing([{**response, "body": body}]) == []
    return body["targets"]


async def goto(client: DapClient, stopped: dict[str, Any], line: int) -> dict[str, Any]:
    """goto ``line`` (its target id is the line) and return the ``stopped`` event that reports it."""
    await client.request("goto", {"threadId": stopped["body"]["threadId"], "targetId": line})
    event = await client.wait_for_event("stopped")
    assert event["body"]["reason"] == "goto" and event["body"]["threadId"] == stopped["body"]["threadId"]
    return event


async def test_goto_forwards_skips_lines_and_next_stops_after_the_target(tmp_path: Path) -> None:
    program = write_program(tmp_path, TRACE)
    line_a, line_c = line_of(program, "# line a"), line_of(program, "# line c")
    async with session() as client:
        assert client.capabilities["supportsGotoTargetsRequest"] is True
        stopped = await client.launch_and_stop({program: [line_a]}, **launch_arguments(program))
        targets = await goto_targets(client, program, line_c)
        assert targets == [{"id": line_c, "label": f"line {line_c}", "line": line_c}]
        stopped = await goto(client, stopped, line_c)
        assert await stop_location(client, stopped) == ("work", line_c)
        assert await evaluate_in_top_frame(client, stopped, "trace") == "[]"  # nothing ran yet: the target runs next
        await client.next(stopped["body"]["threadId"])
        stopped = await client.wait_for_event("stopped")
        assert stopped["body"]["reason"] == "step"
        assert await stop_location(client, stopped) == ("work", line_of(program, "# line return"))
        assert await evaluate_in_top_frame(client, stopped, "trace") == "['c']"
        assert await run_to_exit(client, stopped) == 0
        assert "['c']" in client.output("stdout")
        assert validate_outgoing(client.events) == []


async def test_goto_backwards_runs_lines_again(tmp_path: Path) -> None:
    program = write_program(tmp_path, TRACE)
    line_a, line_c = line_of(program, "# line a"), line_of(program, "# line c")
    async with session() as client:
        stopped = await client.launch_and_stop({program: [line_c]}, **launch_arguments(program))
        assert await evaluate_in_top_frame(client, stopped, "trace") == "['a', 'b']"
        stopped = await goto(client, stopped, line_a)
        assert await stop_location(client, stopped) == ("work", line_a)
        await client.set_breakpoints(program, [])
        assert await run_to_exit(client, stopped) == 0
        assert "['a', 'b', 'a', 'b', 'c']" in client.output("stdout")


@pytest.mark.parametrize(
    ("marker", "reason"),
    [("# loop body", "'for' loop"), ("# helper body", "another function"), ("# a comment", "has no code")],
)
async def test_goto_refuses_bad_targets_and_the_thread_stays_paused(tmp_path: Path, marker: str, reason: str) -> None:
    program = write_program(tmp_path, LOOP)
    start, target = line_of(program, "# start"), line_of(program, marker)
    async with session() as client:
        stopped = await client.launch_and_stop({program: [start]}, **launch_arguments(program))
        assert await goto_targets(client, program, target) == []
        with pytest.raises(DapError, match=reason):
            await client.request("goto", {"threadId": stopped["body"]["threadId"], "targetId": target})
        assert await stop_location(client, stopped) == ("work", start)
        assert await evaluate_in_top_frame(client, stopped, "'total' in locals()") == "False"  # still paused before it
        assert await run_to_exit(client, stopped) == 0
        assert "3 1" in client.output("stdout")


async def test_goto_inside_the_loop_it_is_in_is_allowed(tmp_path: Path) -> None:
    program = write_program(tmp_path, LOOP)
    body = line_of(program, "# loop body")
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [{"line": body, "condition": "i == 2"}]}, **launch_arguments(program)
        )
        stopped = await goto(client, stopped, line_of(program, "# end"))  # out of the loop: allowed
        assert await evaluate_in_top_frame(client, stopped, "total") == "1"
        await client.set_breakpoints(program, [])
        assert await run_to_exit(client, stopped) == 0
        assert "1 1" in client.output("stdout")


async def test_goto_is_refused_where_the_thread_is_not_paused_at_a_line(tmp_path: Path) -> None:
    """After a step out the thread is held in the callee's return event, in the caller's frame: a
    jump there is a jump of a frame that is not the one being monitored (3.13.0 would crash)."""
    program = write_program(tmp_path, TRACE)
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# other body"), line_of(program, "# line b")]}, **launch_arguments(program)
        )
        await client.step_out(stopped["body"]["threadId"])
        stopped = await client.wait_for_event("stopped")
        assert await stop_location(client, stopped) == ("<module>", line_of(program, "print(work())"))
        with pytest.raises(DapError, match="not at the start of a line"):
            await client.request("goto", {"threadId": stopped["body"]["threadId"], "targetId": 1})
        assert await goto_targets(client, program, 1) == []
        assert await stop_location(client, stopped) == ("<module>", line_of(program, "print(work())"))
        assert await run_to_exit(client, stopped) == 0
        assert "['a', 'b', 'c']" in client.output("stdout")


async def test_goto_from_an_entry_stop_moves_the_first_line(tmp_path: Path) -> None:
    """stopOnEntry stops in the first LINE event of the program (a line stop, not PY_START), where
    CPython allows the jump: skipping the first statement is possible."""
    program = write_program(
        tmp_path,
        """
        first = "ran"  # first line
        second = globals().get("first", "skipped")  # second line
        print(second)
    """,
    )
    async with session() as client:
        await client.configuration_sequence(**launch_arguments(program, stopOnEntry=True))
        stopped = await client.wait_for_event("stopped")
        assert stopped["body"]["reason"] == "entry"
        stopped = await goto(client, stopped, line_of(program, "# second line"))
        assert await run_to_exit(client, stopped) == 0
        assert client.output("stdout") == "skipped\n"


async def test_goto_and_goto_targets_reject_bad_arguments(tmp_path: Path) -> None:
    program = write_program(tmp_path, TRACE)
    async with session() as client:
        stopped = await client.launch_and_stop({program: [line_of(program, "# line a")]}, **launch_arguments(program))
        with pytest.raises(DapError, match="not paused"):
            await client.request("goto", {"threadId": 999, "targetId": 3})
        with pytest.raises(DapError, match="no thread is paused in that source"):
            await client.request("gotoTargets", {"source": {"path": str(tmp_path / "elsewhere.py")}, "line": 1})
        assert await stop_location(client, stopped) == ("work", line_of(program, "# line a"))
        assert await run_to_exit(client, stopped) == 0


async def test_goto_after_a_step_in_then_next_stops_after_the_target(tmp_path: Path) -> None:
    """A step in stops in the aux id's LINE callback; DEBUGGER_ID's LINE callback (breakpoints in the
    same function) runs after it for the same event, on the line the goto left: it must not stop there."""
    program = write_program(
        tmp_path,
        """
        def work():
            a = 1  # work first
            b = 2  # work second
            c = 3  # work third
            return c  # work return
        print(work())  # call
    """,
    )
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# call"), line_of(program, "# work return")]}, **launch_arguments(program)
        )
        await client.step_in(stopped["body"]["threadId"])
        stopped = await client.wait_for_event("stopped")
        assert await stop_location(client, stopped) == ("work", line_of(program, "# work first"))
        stopped = await goto(client, stopped, line_of(program, "# work third"))
        await client.next(stopped["body"]["threadId"])
        stopped = await client.wait_for_event("stopped")
        assert await stop_location(client, stopped) == ("work", line_of(program, "# work return"))
        # CPython sets the locals a jump skipped to None (with a RuntimeWarning on the program's stderr)
        assert await evaluate_in_top_frame(client, stopped, "(a, b, c)") == "(None, None, 3)"
        await client.set_breakpoints(program, [])
        assert await run_to_exit(client, stopped) == 0


async def test_a_step_in_onto_a_breakpoint_line_stops_once(tmp_path: Path) -> None:
    program = write_program(
        tmp_path,
        """
        def work():
            a = 1  # work first
            return a
        print(work())  # call
        print("end")  # end
    """,
    )
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# call"), line_of(program, "# work first")]}, **launch_arguments(program)
        )
        await client.step_in(stopped["body"]["threadId"])
        stopped = await client.wait_for_event("stopped")
        assert await stop_location(client, stopped) == ("work", line_of(program, "# work first"))
        await client.set_breakpoints(program, [line_of(program, "# work first"), line_of(program, "# end")])
        await client.continue_(stopped["body"]["threadId"])
        stopped = await client.wait_for_event("stopped")
        assert await stop_location(client, stopped) == ("<module>", line_of(program, "# end"))
        assert await run_to_exit(client, stopped) == 0


async def test_goto_is_refused_at_an_exception_stop(tmp_path: Path) -> None:
    program = write_program(
        tmp_path,
        """
        try:
            raise ValueError("x")  # raise
        except ValueError:
            pass
        print("done")
    """,
    )
    async with session() as client:
        await client.configuration_sequence(exception_filters=["raised"], **launch_arguments(program))
        stopped = await client.wait_for_event("stopped")
        assert stopped["body"]["reason"] == "exception"
        with pytest.raises(DapError, match="paused at an exception, not at the start of a line"):
            target = line_of(program, "print")
            await client.request("goto", {"threadId": stopped["body"]["threadId"], "targetId": target})
        assert await stop_location(client, stopped) == ("<module>", line_of(program, "# raise"))
        assert await run_to_exit(client, stopped) == 0
        assert client.output("stdout") == "done\n"

"""next / stepIn / stepOut through the real adapter: frame identity, callers, return values, justMyCode, await."""

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

CALLS = """
    def inner(v):
        w = v + 1  # inner first
        return w  # inner return

    def outer(x):
        y = inner(x)  # outer call
        z = y * 2  # outer after
        return z

    a = outer(1)  # module call
    b = outer(2)  # module next
    print(a, b)
"""


async def step(client: DapClient, command: str, stopped: dict[str, Any]) -> dict[str, Any]:
    """Send a step request for the stopped thread and return the ``stopped`` event that ends it."""
    await client.request(command, {"threadId": stopped["body"]["threadId"]})
    event = await client.wait_for_event("stopped")
    assert event["body"]["reason"] == "step"
    return event


async def test_next_steps_over_calls_and_back_to_the_caller(tmp_path: Path) -> None:
    program = write_program(tmp_path, CALLS)
    call, after = line_of(program, "# outer call"), line_of(program, "# outer after")
    async with session() as client:
        stopped = await client.launch_and_stop({program: [call]}, **launch_arguments(program))
        stopped = await step(client, "next", stopped)
        assert await stop_location(client, stopped) == ("outer", after)
        stopped = await step(client, "next", stopped)
        stopped = await step(client, "next", stopped)  # off the return line: into the caller, at the call
        assert await stop_location(client, stopped) == ("<module>", line_of(program, "# module call"))
        stopped = await step(client, "next", stopped)
        assert await stop_location(client, stopped) == ("<module>", line_of(program, "# module next"))
        await client.set_breakpoints(program, [])
        assert await run_to_exit(client, stopped) == 0
        assert "4 6" in client.output("stdout")


async def test_step_in_enters_the_callee_and_step_out_shows_its_return_value(tmp_path: Path) -> None:
    program = write_program(tmp_path, CALLS)
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# outer call")]}, **launch_arguments(program, showReturnValue=True)
        )
        stopped = await step(client, "stepIn", stopped)
        assert await stop_location(client, stopped) == ("inner", line_of(program, "# inner first"))
        stopped = await step(client, "stepOut", stopped)
        assert await stop_location(client, stopped) == ("outer", line_of(program, "# outer call"))
        frames = await client.stack_trace(stopped["body"]["threadId"])
        [first_scope, *_] = await client.scopes(frames[0]["id"])
        variables = {item["name"]: item["value"] for item in await client.variables(first_scope["variablesReference"])}
        assert variables["(return) inner"] == "2"
        await client.set_breakpoints(program, [])
        assert await run_to_exit(client, stopped) == 0


async def test_next_over_a_recursive_call_stays_in_the_same_frame(tmp_path: Path) -> None:
    program = write_program(
        tmp_path,
        """
        def fact(n):
            if n <= 1:
                return 1
            rest = fact(n - 1)  # recursive call
            return n * rest  # after call
        print(fact(4))
    """,
    )
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# recursive call")]}, **launch_arguments(program)
        )
        frames = await client.stack_trace(stopped["body"]["threadId"])
        depth = len(frames)
        await client.set_breakpoints(program, [])
        stopped = await step(client, "next", stopped)
        assert await stop_location(client, stopped) == ("fact", line_of(program, "# after call"))
        assert len(await client.stack_trace(stopped["body"]["threadId"])) == depth
        frames = await client.stack_trace(stopped["body"]["threadId"])
        assert (await client.evaluate("n", frames[0]["id"], context="watch"))["result"] == "4"
        assert await run_to_exit(client, stopped) == 0


async def test_step_in_with_just_my_code_skips_the_standard_library(tmp_path: Path) -> None:
    program = write_program(
        tmp_path,
        """
        import json
        def hook(obj):
            return dict(obj)  # user hook
        text = json.loads('{"a": 1}', object_hook=hook)  # library call
        print(text)
    """,
    )
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# library call")]}, **launch_arguments(program)
        )
        stopped = await step(client, "stepIn", stopped)  # through json's code, into the user's hook
        assert await stop_location(client, stopped) == ("hook", line_of(program, "# user hook"))
        assert await run_to_exit(client, stopped) == 0


async def test_step_in_without_just_my_code_enters_the_standard_library(tmp_path: Path) -> None:
    program = write_program(
        tmp_path,
        """
        import json
        text = json.dumps([1])  # library call
    """,
    )
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# library call")]}, **launch_arguments(program, justMyCode=False)
        )
        stopped = await step(client, "stepIn", stopped)
        [frame, *_] = await client.stack_trace(stopped["body"]["threadId"])
        assert frame["name"] == "dumps" and frame["source"]["path"].endswith("json/__init__.py")
        assert await run_to_exit(client, stopped) == 0


async def test_step_out_of_a_raising_function_lands_in_the_handler(tmp_path: Path) -> None:
    program = write_program(
        tmp_path,
        """
        def fail():
            marker = 1  # fail body
            raise ValueError("x")
        try:
            fail()
        except ValueError:
            handled = True  # handler
        print("handled")
    """,
    )
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# fail body")]}, **launch_arguments(program)
        )
        stopped = await step(client, "stepOut", stopped)
        assert await stop_location(client, stopped) == ("<module>", line_of(program, "# handler") - 1)
        assert await run_to_exit(client, stopped) == 0


async def test_next_across_await_stays_with_its_own_task(tmp_path: Path) -> None:
    """Two tasks run the same coroutine code; stepping over the await must come back in the same task."""
    program = write_program(
        tmp_path,
        """
        import asyncio
        async def worker(tag):
            first = tag  # worker start
            await asyncio.sleep(0)
            second = tag * 10  # worker after
            return second
        async def main():
            print(await asyncio.gather(worker(1), worker(2)))
        asyncio.run(main())
    """,
    )
    start = line_of(program, "# worker start")
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [{"line": start, "condition": "tag == 1"}]}, **launch_arguments(program)
        )
        stopped = await step(client, "next", stopped)
        stopped = await step(client, "next", stopped)
        assert await stop_location(client, stopped) == ("worker", line_of(program, "# worker after"))
        frames = await client.stack_trace(stopped["body"]["threadId"])
        assert (await client.evaluate("tag", frames[0]["id"], context="watch"))["result"] == "1"
        assert await run_to_exit(client, stopped) == 0
        assert "[10, 20]" in client.output("stdout")


async def test_step_request_for_a_running_thread_fails_clearly(tmp_path: Path) -> None:
    program = write_program(tmp_path, CALLS)
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# outer call")]}, **launch_arguments(program)
        )
        response = await client.response((await client.send_request("next", {"threadId": 999})).seq)
        assert response["success"] is False and "not paused" in response["message"]
        await client.set_breakpoints(program, [])
        assert await run_to_exit(client, stopped) == 0


async def test_step_in_reaches_a_one_line_function(tmp_path: Path) -> None:
    """3.13 emits no LINE for a one-line def's line unless PY_START is on too (cpython#155992): the
    step-in's global events include it."""
    program = write_program(
        tmp_path,
        """
        def inc(x): return x + 1
        value = inc(1)  # call
        print(value)
    """,
    )
    async with session() as client:
        stopped = await client.launch_and_stop({program: [line_of(program, "# call")]}, **launch_arguments(program))
        stopped = await step(client, "stepIn", stopped)
        assert await stop_location(client, stopped) == ("inc", 1)
        stopped = await step(client, "stepIn", stopped)  # off the return: back in the caller, at the call
        assert await stop_location(client, stopped) == ("<module>", line_of(program, "# call"))
        assert await run_to_exit(client, stopped) == 0


async def test_next_over_a_multi_line_statement_is_one_step(tmp_path: Path) -> None:
    program = write_program(
        tmp_path,
        """
        def pair(a, b):
            return (a, b)
        value = pair(  # statement head
            1,
            2,
        )
        after = value  # after statement
    """,
    )
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# statement head")]}, **launch_arguments(program)
        )
        stopped = await step(client, "next", stopped)
        assert await stop_location(client, stopped) == ("<module>", line_of(program, "# after statement"))
        assert await run_to_exit(client, stopped) == 0


TWO_CALLS = """
    def first(v):
        return v + 1  # first body

    def second(v):
        doubled = v * 2  # second body
        return doubled

    def both(flag):
        value = first(1) + second(2)  # two calls
        other = first(3) if flag else second(4)  # one of two
        return value + other  # both return

    print(both(True))
"""


async def step_in_targets(client: DapClient, stopped: dict[str, Any]) -> list[dict[str, Any]]:
    """The stepInTargets answer for the top frame, checked against the DAP schema."""
    [frame, *_] = await client.stack_trace(stopped["body"]["threadId"])
    body = await client.request("stepInTargets", {"frameId": frame["id"]})
    response = {"type": "response", "seq": 1, "request_seq": 1, "command": "stepInTargets", "success": True}
    assert validate_outgoing([{**response, "body": body}]) == []
    return body["targets"]


async def test_step_in_targets_lists_the_calls_and_step_in_enters_the_chosen_one(tmp_path: Path) -> None:
    program = write_program(tmp_path, TWO_CALLS)
    line = line_of(program, "# two calls")
    async with session() as client:
        assert client.capabilities["supportsStepInTargetsRequest"] is True
        stopped = await client.launch_and_stop({program: [line]}, **launch_arguments(program))
        targets = await step_in_targets(client, stopped)
        assert [target["label"] for target in targets] == ["first", "second"]
        assert all(target["line"] == line for target in targets)
        text = program.read_text().splitlines()[line - 1]
        assert text[targets[1]["column"] - 1 : targets[1]["endColumn"] - 1] == "second(2)"
        await client.step_in(stopped["body"]["threadId"], targetId=targets[1]["id"])
        stopped = await client.wait_for_event("stopped")
        assert stopped["body"]["reason"] == "step"
        assert await stop_location(client, stopped) == ("second", line_of(program, "# second body"))
        frames = await client.stack_trace(stopped["body"]["threadId"])
        assert [frame["name"] for frame in frames[:2]] == ["second", "both"]
        assert (await client.evaluate("v", frames[0]["id"], context="watch"))["result"] == "2"
        await client.set_breakpoints(program, [])
        assert await run_to_exit(client, stopped) == 0
        assert "10" in client.output("stdout")


async def test_step_in_to_a_call_that_does_not_happen_stops_like_next(tmp_path: Path) -> None:
    program = write_program(tmp_path, TWO_CALLS)
    line = line_of(program, "# one of two")
    async with session() as client:
        stopped = await client.launch_and_stop({program: [line]}, **launch_arguments(program))
        targets = await step_in_targets(client, stopped)
        assert [target["label"] for target in targets] == ["first", "second"]
        await client.step_in(stopped["body"]["threadId"], targetId=targets[1]["id"])  # flag is True: never called
        stopped = await client.wait_for_event("stopped")
        assert await stop_location(client, stopped) == ("both", line_of(program, "# both return"))
        with pytest.raises(DapError, match="not a call of the paused line"):
            await client.step_in(stopped["body"]["threadId"], targetId=targets[1]["id"])
        assert await run_to_exit(client, stopped) == 0


async def test_a_step_that_resumes_every_thread_says_so_with_continued(tmp_path: Path) -> None:
    """A step response implies only the stepped thread runs (VS Code marks only it running): the
    other threads resumed with it are announced by a ``continued`` event."""
    program = write_program(tmp_path, CALLS)
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# outer call")]}, **launch_arguments(program)
        )
        thread_id = stopped["body"]["threadId"]
        stopped = await step(client, "next", stopped)
        continued = [event for event in client.events if event["event"] == "continued"]
        assert [event["body"] for event in continued] == [{"threadId": thread_id, "allThreadsContinued": True}]
        await client.next(thread_id, singleThread=True)
        stopped = await client.wait_for_event("stopped")
        assert len([event for event in client.events if event["event"] == "continued"]) == 1
        await client.set_breakpoints(program, [])
        assert await run_to_exit(client, stopped) == 0
        assert validate_outgoing(client.events) == []


async def test_next_over_a_yield_stops_in_the_same_generator_after_it_resumes(tmp_path: Path) -> None:
    """Two generators of one function: while g1 is suspended, g2 runs the very lines g1's step
    waits for. The step ends in g1 only, on its line after the yield."""
    program = write_program(
        tmp_path,
        """
        def gen(tag):
            yield tag  # gen first
            seen = tag * 10  # gen second
            yield seen
        g1, g2 = gen(1), gen(2)
        print(next(g1))
        print(next(g2))
        print(next(g2))  # g2 runs 'gen second' before g1 does
        print(next(g1))  # resume g1
    """,
    )
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [{"line": line_of(program, "# gen first"), "condition": "tag == 1"}]}, **launch_arguments(program)
        )
        stopped = await step(client, "next", stopped)
        assert await stop_location(client, stopped) == ("gen", line_of(program, "# gen second"))
        [frame, *caller] = await client.stack_trace(stopped["body"]["threadId"])
        assert (await client.evaluate("tag", frame["id"], context="watch"))["result"] == "1"
        assert caller[0]["line"] == line_of(program, "# resume g1")
        assert client.output("stdout").split() == ["1", "2", "20"]
        assert await run_to_exit(client, stopped) == 0


ASYNC_CHAIN = """
    import asyncio
    async def leaf(tag):
        await asyncio.sleep(0)  # leaf await
        value = tag + 1  # leaf body
        return value
    async def worker(tag):
        result = await leaf(tag)  # worker await
        return result * 10  # worker after
    async def main():
        print(await asyncio.gather(worker(1), worker(2)))
    asyncio.run(main())
"""


async def test_step_out_of_a_suspending_coroutine_stops_in_its_own_awaiter(tmp_path: Path) -> None:
    """leaf(1) suspends, the other task runs leaf(2) to its return meanwhile; stepping out of leaf(1)
    ends in worker(1), the coroutine awaiting it, and next stays with that task."""
    program = write_program(tmp_path, ASYNC_CHAIN)
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [{"line": line_of(program, "# leaf await"), "condition": "tag == 1"}]},
            **launch_arguments(program),
        )
        stopped = await step(client, "stepOut", stopped)
        assert await stop_location(client, stopped) == ("worker", line_of(program, "# worker await"))
        assert await evaluate_in_top_frame(client, stopped, "tag") == "1"
        stopped = await step(client, "next", stopped)
        assert await stop_location(client, stopped) == ("worker", line_of(program, "# worker after"))
        assert await evaluate_in_top_frame(client, stopped, "(tag, result)") == "(1, 2)"
        assert await run_to_exit(client, stopped) == 0
        assert "[20, 30]" in client.output("stdout")


async def test_next_over_an_await_that_suspends_returns_to_the_same_task(tmp_path: Path) -> None:
    program = write_program(tmp_path, ASYNC_CHAIN)
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [{"line": line_of(program, "# worker await"), "condition": "tag == 1"}]},
            **launch_arguments(program),
        )
        stopped = await step(client, "next", stopped)  # leaf(1) and leaf(2) suspend and run meanwhile
        assert await stop_location(client, stopped) == ("worker", line_of(program, "# worker after"))
        assert await evaluate_in_top_frame(client, stopped, "(tag, result)") == "(1, 2)"
        assert await run_to_exit(client, stopped) == 0

"""next / stepIn / stepOut through the real adapter: frame identity, callers, return values, justMyCode, await."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine_helpers import launch_arguments, line_of, run_to_exit, session, stop_location, write_program
from monadapter.client import DapClient

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
    program = write_program(tmp_path, """
        def fact(n):
            if n <= 1:
                return 1
            rest = fact(n - 1)  # recursive call
            return n * rest  # after call
        print(fact(4))
    """)
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
    program = write_program(tmp_path, """
        import json
        def hook(obj):
            return dict(obj)  # user hook
        text = json.loads('{"a": 1}', object_hook=hook)  # library call
        print(text)
    """)
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# library call")]}, **launch_arguments(program)
        )
        stopped = await step(client, "stepIn", stopped)  # through json's code, into the user's hook
        assert await stop_location(client, stopped) == ("hook", line_of(program, "# user hook"))
        assert await run_to_exit(client, stopped) == 0


async def test_step_in_without_just_my_code_enters_the_standard_library(tmp_path: Path) -> None:
    program = write_program(tmp_path, """
        import json
        text = json.dumps([1])  # library call
    """)
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# library call")]}, **launch_arguments(program, justMyCode=False)
        )
        stopped = await step(client, "stepIn", stopped)
        [frame, *_] = await client.stack_trace(stopped["body"]["threadId"])
        assert frame["name"] == "dumps" and frame["source"]["path"].endswith("json/__init__.py")
        assert await run_to_exit(client, stopped) == 0


async def test_step_out_of_a_raising_function_lands_in_the_handler(tmp_path: Path) -> None:
    program = write_program(tmp_path, """
        def fail():
            marker = 1  # fail body
            raise ValueError("x")
        try:
            fail()
        except ValueError:
            handled = True  # handler
        print("handled")
    """)
    async with session() as client:
        stopped = await client.launch_and_stop({program: [line_of(program, "# fail body")]}, **launch_arguments(program))
        stopped = await step(client, "stepOut", stopped)
        assert await stop_location(client, stopped) == ("<module>", line_of(program, "# handler") - 1)
        assert await run_to_exit(client, stopped) == 0


async def test_next_across_await_stays_with_its_own_task(tmp_path: Path) -> None:
    """Two tasks run the same coroutine code; stepping over the await must come back in the same task."""
    program = write_program(tmp_path, """
        import asyncio
        async def worker(tag):
            first = tag  # worker start
            await asyncio.sleep(0)
            second = tag * 10  # worker after
            return second
        async def main():
            print(await asyncio.gather(worker(1), worker(2)))
        asyncio.run(main())
    """)
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
        stopped = await client.launch_and_stop({program: [line_of(program, "# outer call")]}, **launch_arguments(program))
        response = await client.response((await client.send_request("next", {"threadId": 999})).seq)
        assert response["success"] is False and "not paused" in response["message"]
        await client.set_breakpoints(program, [])
        assert await run_to_exit(client, stopped) == 0


async def test_step_in_reaches_a_one_line_function(tmp_path: Path) -> None:
    """3.13 emits no LINE for a one-line def's line unless PY_START is on too (cpython#155992): the
    step-in's global events include it."""
    program = write_program(tmp_path, """
        def inc(x): return x + 1
        value = inc(1)  # call
        print(value)
    """)
    async with session() as client:
        stopped = await client.launch_and_stop({program: [line_of(program, "# call")]}, **launch_arguments(program))
        stopped = await step(client, "stepIn", stopped)
        assert await stop_location(client, stopped) == ("inc", 1)
        stopped = await step(client, "stepIn", stopped)  # off the return: back in the caller, at the call
        assert await stop_location(client, stopped) == ("<module>", line_of(program, "# call"))
        assert await run_to_exit(client, stopped) == 0


async def test_next_over_a_multi_line_statement_is_one_step(tmp_path: Path) -> None:
    program = write_program(tmp_path, """
        def pair(a, b):
            return (a, b)
        value = pair(  # statement head
            1,
            2,
        )
        after = value  # after statement
    """)
    async with session() as client:
        stopped = await client.launch_and_stop({program: [line_of(program, "# statement head")]}, **launch_arguments(program))
        stopped = await step(client, "next", stopped)
        assert await stop_location(client, stopped) == ("<module>", line_of(program, "# after statement"))
        assert await run_to_exit(client, stopped) == 0

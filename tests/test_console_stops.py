"""A debug console that behaves like code (issue 15): console (``repl``) code that calls a function
with a breakpoint stops there, a nested stop on the same thread, as pdb's ``debug`` command gives;
its stack shows the called function above the frame that was paused; steps work inside; continue
finishes the evaluation, whose result is then the evaluate's answer, and the first stop is
reported again. Watch and hover evaluations never stop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from engine_helpers import line_of, write_program
from inspection_helpers import finish, stop_at

from monadapter.client import DapClient, DapError, PendingResponse

PROGRAM = """
    def compute(n):
        total = n * 10  # inner
        total += 1
        return total

    value = 4
    print("paused", value)  # stop here
    print("after", value)
"""


async def paused_with_inner_breakpoint(client: DapClient, tmp_path: Path, text: str) -> tuple[Path, int, int]:
    """(program, thread id, frame id) paused at ``# stop here``, with a breakpoint on ``# inner`` too."""
    program = write_program(tmp_path, text)
    thread_id, frame = await stop_at(client, program, "# stop here")
    await client.set_breakpoints(program, [line_of(program, "# stop here"), line_of(program, "# inner")])
    return program, thread_id, frame["id"]


async def console_stop(client: DapClient, frame_id: int, expression: str) -> tuple[PendingResponse, dict[str, Any]]:
    """Sends ``expression`` as console code in ``frame_id`` and waits for the stop inside it: (the
    evaluate, still unanswered; the nested ``stopped`` event)."""
    pending = await client.send_request("evaluate", {"expression": expression, "frameId": frame_id, "context": "repl"})
    return pending, await client.wait_for_event("stopped")


async def assert_first_stop_back(client: DapClient, program: Path, thread_id: int) -> None:
    """The console code ended: the first stop is reported again and its frame is on top."""
    again = (await client.wait_for_event("stopped"))["body"]
    assert (again["reason"], again["threadId"]) == ("breakpoint", thread_id)
    top = (await client.stack_trace(thread_id))[0]
    assert (top["name"], top["line"]) == ("<module>", line_of(program, "# stop here"))


async def test_a_console_call_stops_at_its_breakpoint_steps_and_returns_its_result(
    client: DapClient, tmp_path: Path
) -> None:
    program, thread_id, frame_id = await paused_with_inner_breakpoint(client, tmp_path, PROGRAM)
    # a watch runs the same call without stopping
    assert (await client.evaluate("compute(1)", frame_id, context="watch"))["result"] == "11"
    pending, nested = await console_stop(client, frame_id, "compute(value)")
    assert (nested["body"]["reason"], nested["body"]["threadId"]) == ("breakpoint", thread_id)
    stack = await client.stack_trace(thread_id)
    names = [(entry["name"], entry["line"]) for entry in stack]
    # the called function, the console's code (line 1 of its text), the paused frame
    assert names == [
        ("compute", line_of(program, "# inner")),
        ("<module>", 1),
        ("<module>", line_of(program, "# stop here")),
    ]
    # a step inside the console's call
    await client.next(thread_id)
    stepped = await client.wait_for_event("stopped")
    assert stepped["body"]["reason"] == "step"
    top = (await client.stack_trace(thread_id))[0]
    assert (top["name"], top["line"]) == ("compute", line_of(program, "total += 1"))
    assert (await client.evaluate("total", top["id"], context="watch"))["result"] == "40"
    # continue ends the call: the evaluate answers with its result, and the first stop is back
    await client.continue_(thread_id)
    assert (await pending)["result"] == "41"
    await assert_first_stop_back(client, program, thread_id)
    top = (await client.stack_trace(thread_id))[0]
    assert (await client.evaluate("value + 1", top["id"], context="repl"))["result"] == "5"
    assert await finish(client, thread_id) == "paused 4\nafter 4\n"


ASYNC_PROGRAM = """
    import asyncio

    async def ready_value():
        await asyncio.sleep(0)
        return 42

    async def main():
        local = 2
        slow = asyncio.ensure_future(asyncio.sleep(100))
        done = asyncio.get_running_loop().create_future()
        done.set_result("ready")
        print("in main", local)  # stop in task
        slow.cancel()

    def after():
        print("after")  # stop outside the loop

    asyncio.run(main())
    after()
"""


async def test_await_in_the_console(client: DapClient, tmp_path: Path) -> None:
    """Paused in a task, the loop runs on the paused thread: what needs no loop turn is awaited
    (stepped with send), what waits for the loop is refused, saying why. Paused outside any loop,
    a new loop runs the awaited code."""
    program = write_program(tmp_path, ASYNC_PROGRAM)
    thread_id, frame = await stop_at(client, program, "# stop in task")
    await client.set_breakpoints(program, [line_of(program, "# stop in task"), line_of(program, "# stop outside")])

    async def repl(text: str, frame_id: int) -> str:
        return (await client.evaluate(text, frame_id, context="repl"))["result"]

    assert await repl("await ready_value() + local", frame["id"]) == "44"
    assert await repl("await done", frame["id"]) == "'ready'"
    assert await repl("found = await ready_value()", frame["id"]) == ""
    assert await repl("found", frame["id"]) == "42"
    with pytest.raises(DapError, match="await cannot finish while paused: it waits for <Task pending"):
        await repl("await slow", frame["id"])
    assert await repl("local", frame["id"]) == "2"  # the session goes on
    await client.continue_(thread_id)
    outside = await client.wait_for_event("stopped")
    top = (await client.stack_trace(thread_id))[0]
    assert (outside["body"]["reason"], top["name"]) == ("breakpoint", "after")
    assert await repl("await asyncio.sleep(0.01, result=7)", top["id"]) == "7"
    assert await finish(client, thread_id) == "in main 2\nafter\n"


async def test_a_step_out_of_the_console_call_and_over_the_console_line_ends_the_evaluation(
    client: DapClient, tmp_path: Path
) -> None:
    """stepOut of the called function stops in the console's code (``<debug>``, line 1); a ``next``
    there finishes it: the evaluate answers and the first stop is reported again."""
    program, thread_id, frame_id = await paused_with_inner_breakpoint(client, tmp_path, PROGRAM)
    pending, _ = await console_stop(client, frame_id, "compute(value) + 1")
    await client.step_out(thread_id)
    assert (await client.wait_for_event("stopped"))["body"]["reason"] == "step"
    stack = await client.stack_trace(thread_id)
    assert [(entry["name"], entry["line"], entry["source"]["name"]) for entry in stack] == [
        ("<module>", 1, "<debug>"),
        ("<module>", line_of(program, "# stop here"), "prog.py"),
    ]
    await client.next(thread_id)
    assert (await pending)["result"] == "42"
    await assert_first_stop_back(client, program, thread_id)
    assert await finish(client, thread_id) == "paused 4\nafter 4\n"


async def test_console_code_that_raises_answers_with_the_error_and_makes_no_exception_stop(
    client: DapClient, tmp_path: Path
) -> None:
    """With the raised and userUnhandled filters on, an exception in console code (its own text or a
    function it calls) is the evaluate's error, not a stop: only breakpoints and steps stop inside."""
    program = write_program(tmp_path, PROGRAM)
    thread_id, frame = await stop_at(client, program, "# stop here")
    await client.set_exception_breakpoints(["raised", "userUnhandled"])
    with pytest.raises(DapError, match="ZeroDivisionError: division by zero"):
        await client.evaluate("1 / 0", frame["id"], context="repl")
    with pytest.raises(DapError, match="TypeError: can only concatenate str"):
        await client.evaluate("compute('x') + 1", frame["id"], context="repl")
    assert [event["body"]["reason"] for event in client.events if event.get("event") == "stopped"] == ["breakpoint"]
    assert await finish(client, thread_id) == "paused 4\nafter 4\n"


THREADED_PROGRAM = """
    import threading

    def compute(n):
        return n * 10  # inner

    done = False
    counter = 0

    def spin():
        global counter
        while not done:
            counter += 1

    worker = threading.Thread(target=spin, name="spinner")
    worker.start()
    while counter == 0:
        pass
    print("paused")  # stop here
    done = True
    worker.join()
"""


async def test_other_threads_stay_paused_during_a_nested_stop(client: DapClient, tmp_path: Path) -> None:
    """Continuing a nested stop runs only the thread inside console code: the other paused thread
    does not run (its variables stay readable, its counter unchanged), and the continue says so."""
    _, thread_id, frame_id = await paused_with_inner_breakpoint(client, tmp_path, THREADED_PROGRAM)
    spinner = next(thread["id"] for thread in await client.threads() if thread["name"] == "spinner")
    spin_frame = (await client.stack_trace(spinner))[0]
    counter = (await client.evaluate("counter", spin_frame["id"], context="watch"))["result"]
    pending, nested = await console_stop(client, frame_id, "compute(2)")
    assert nested["body"]["threadId"] == thread_id
    assert (await client.continue_(thread_id))["allThreadsContinued"] is False
    assert (await pending)["result"] == "20"
    await client.wait_for_event("stopped")
    # the spinner's frame id from before still answers: it never ran
    assert (await client.evaluate("counter", spin_frame["id"], context="watch"))["result"] == counter
    assert await finish(client, thread_id) == "paused\n"


async def test_cancelling_console_code_stopped_inside_ends_it_when_resumed(client: DapClient, tmp_path: Path) -> None:
    """``cancel`` of the evaluate while its code is stopped inside: once continued, the code is
    interrupted, the evaluate fails with ``cancelled`` and the first stop is reported again."""
    program, thread_id, frame_id = await paused_with_inner_breakpoint(client, tmp_path, PROGRAM)
    pending, _ = await console_stop(client, frame_id, "compute(value)")
    await client.request("cancel", {"requestId": pending.seq})
    await client.continue_(thread_id)
    response = await client.response(pending.seq)
    assert (response["success"], response["message"]) == (False, "cancelled")
    await assert_first_stop_back(client, program, thread_id)
    assert await finish(client, thread_id) == "paused 4\nafter 4\n"


STEP_IN_PROGRAM = """
    def helper(n):
        doubled = n * 2
        return doubled

    def compute(n):
        result = helper(n)  # inner
        return result + 1

    value = 4
    print("paused", value)  # stop here
"""


async def test_a_step_in_inside_console_code(client: DapClient, tmp_path: Path) -> None:
    program, thread_id, frame_id = await paused_with_inner_breakpoint(client, tmp_path, STEP_IN_PROGRAM)
    pending, _ = await console_stop(client, frame_id, "compute(value)")
    await client.step_in(thread_id)
    assert (await client.wait_for_event("stopped"))["body"]["reason"] == "step"
    stack = await client.stack_trace(thread_id)
    assert [(entry["name"], entry["line"]) for entry in stack] == [
        ("helper", line_of(program, "doubled = n * 2")),
        ("compute", line_of(program, "# inner")),
        ("<module>", 1),
        ("<module>", line_of(program, "# stop here")),
    ]
    await client.continue_(thread_id)
    assert (await pending)["result"] == "9"
    await client.wait_for_event("stopped")
    assert await finish(client, thread_id) == "paused 4\n"

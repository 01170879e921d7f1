"""Exception breakpoints through the real adapter: the "uncaught" and "raised" filters, exceptionInfo."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine_helpers import launch_arguments, line_of, next_stop, run_to_exit, session, write_program
from monadapter.client import DapError

PROGRAM = """
    import threading
    def deep(n):
        if n == 0:
            raise KeyError("boom")  # raise here
        return deep(n - 1)  # recurse
    def caught():
        try:
            deep(1)
        except KeyError:
            return "handled"
    print(caught())
    def worker():
        deep(2)  # worker call
    thread = threading.Thread(target=worker, name="worker")
    thread.start()
    thread.join()
    deep(0)  # main call
"""


async def test_uncaught_stops_in_the_raising_frame_of_each_thread_with_the_whole_stack(tmp_path: Path) -> None:
    program = write_program(tmp_path, PROGRAM)
    raise_line = line_of(program, "# raise here")
    async with session() as client:
        stopped = await client.launch_and_stop(exception_filters=["uncaught"], **launch_arguments(program))
        # the exception caught inside caught() never stops; the worker's escapes its thread
        assert stopped["body"]["reason"] == "exception"
        assert stopped["body"]["description"] == "KeyError: 'boom'"
        frames = await client.stack_trace(stopped["body"]["threadId"])
        assert [(frame["name"], frame["line"]) for frame in frames[:4]] == [
            ("deep", raise_line), ("deep", raise_line + 1), ("deep", raise_line + 1),
            ("worker", line_of(program, "# worker call")),
        ]
        threads = {thread["id"]: thread["name"] for thread in await client.threads()}
        assert threads[stopped["body"]["threadId"]] == "worker"
        assert (await client.evaluate("n", frames[1]["id"], context="watch"))["result"] == "1"
        info = await client.request("exceptionInfo", {"threadId": stopped["body"]["threadId"]})
        assert info["exceptionId"] == "KeyError" and info["breakMode"] == "unhandled"
        assert "raise KeyError" in info["details"]["stackTrace"]
        stopped = await next_stop(client, stopped)  # then the main thread's
        frames = await client.stack_trace(stopped["body"]["threadId"])
        assert [(frame["name"], frame["line"]) for frame in frames] == [
            ("deep", raise_line), ("<module>", line_of(program, "# main call"))
        ]
        assert await run_to_exit(client, stopped) == 1
        assert "KeyError: 'boom'" in client.output("stderr")


async def test_raised_stops_once_where_each_exception_is_raised(tmp_path: Path) -> None:
    program = write_program(tmp_path, PROGRAM)
    raise_line = line_of(program, "# raise here")
    async with session() as client:
        stopped = await client.launch_and_stop(exception_filters=["raised"], **launch_arguments(program))
        callers = []
        for _ in range(3):
            frames = await client.stack_trace(stopped["body"]["threadId"])
            assert (frames[0]["name"], frames[0]["line"]) == ("deep", raise_line)
            callers.append(next(frame["name"] for frame in frames if frame["name"] != "deep"))
            info = await client.request("exceptionInfo", {"threadId": stopped["body"]["threadId"]})
            assert info["breakMode"] == "always"
            if len(callers) < 3:
                stopped = await next_stop(client, stopped)
        assert callers == ["caught", "worker", "<module>"]
        assert await run_to_exit(client, stopped) == 1
        assert len([event for event in client.events if event.get("event") == "stopped"]) == 3


async def test_no_filter_no_stop_and_system_exit_never_stops(tmp_path: Path) -> None:
    program = write_program(tmp_path, """
        import sys
        try:
            raise ValueError("caught")
        except ValueError:
            pass
        sys.exit(3)
    """)
    async with session() as client:
        await client.configuration_sequence(exception_filters=["uncaught"], **launch_arguments(program))
        assert await run_to_exit(client) == 3
        assert not [event for event in client.events if event.get("event") == "stopped"]


async def test_unknown_filter_is_refused(tmp_path: Path) -> None:
    program = write_program(tmp_path, "print('x')\n")
    async with session() as client:
        launched = await client.launch(**launch_arguments(program))
        await client.wait_for_event("initialized")
        with pytest.raises(DapError, match="sometimes"):
            await client.set_exception_breakpoints(["sometimes"])
        await client.configuration_done()
        await launched
        assert await run_to_exit(client) == 0


async def test_exception_info_on_a_breakpoint_stop_fails_clearly(tmp_path: Path) -> None:
    program = write_program(tmp_path, "x = 1\nprint(x)\n")
    async with session() as client:
        stopped = await client.launch_and_stop({program: [2]}, **launch_arguments(program))
        with pytest.raises(DapError, match="did not stop because of an exception"):
            await client.request("exceptionInfo", {"threadId": stopped["body"]["threadId"]})
        assert await run_to_exit(client, stopped) == 0

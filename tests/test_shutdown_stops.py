"""Stops while the interpreter shuts down (atexit handlers, daemon threads at exit) are real stops
(the thread is paused and can be inspected until the client resumes it) or are not reported."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from engine_helpers import (
    evaluate_in_top_frame,
    launch_arguments,
    line_of,
    run_to_exit,
    session,
    stop_location,
    top_frame,
    write_program,
)


async def test_a_breakpoint_in_an_atexit_handler_is_a_real_stop(tmp_path: Path) -> None:
    program = write_program(
        tmp_path,
        """
        import atexit
        def goodbye():
            word = "bye"  # in the handler
            print(word)
        atexit.register(goodbye)
        print("main done")
        """,
    )
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# in the handler")]}, **launch_arguments(program)
        )
        assert await stop_location(client, stopped) == ("goodbye", line_of(program, "# in the handler"))
        assert [thread["id"] for thread in await client.threads()] == [stopped["body"]["threadId"]]
        assert await run_to_exit(client, stopped) == 0
        assert client.output("stdout") == "main done\nbye\n"


async def test_a_daemon_thread_stopped_at_exit_stays_paused_until_resumed_and_stops_no_more(tmp_path: Path) -> None:
    """See ``_a_daemon_thread_stopped_at_exit``."""
    await _a_daemon_thread_stopped_at_exit(tmp_path)


async def test_a_daemon_thread_stopped_at_exit_never_hangs_the_exit_in_ten_runs(tmp_path: Path) -> None:
    """``_a_daemon_thread_stopped_at_exit`` ten times: the daemon thread stopping again just as the main thread entered our last
    atexit handler halted the main thread there holding the engine's lock (1 run in 10 to 15 hung:
    the stop's stackTrace was never answered, the program never ended). Parking.program_ended now runs
    no library code under the lock."""
    for attempt in range(10):
        run = tmp_path / str(attempt)
        run.mkdir()
        await _a_daemon_thread_stopped_at_exit(run)


async def _a_daemon_thread_stopped_at_exit(tmp_path: Path) -> None:
    """The program's atexit handler lets a daemon thread loop over a breakpoint and waits for a signal
    that the client gives from the daemon's stop, so the main thread goes on into our own last atexit
    handler while the daemon thread is paused: that stop must stay inspectable until the client
    continues; from then on the ending program stops no more. (The signal used to come from the
    daemon thread itself, on the line before the breakpoint: on a loaded machine the main thread then
    reached our handler, where no new stop is reported, before the daemon got to the breakpoint.)"""
    program = write_program(
        tmp_path,
        """
        import atexit, threading
        go, there = threading.Event(), threading.Event()
        def loop():
            go.wait()
            while True:
                spins = 1  # daemon line
        threading.Thread(target=loop, daemon=True, name="looper").start()
        def release():
            go.set()
            there.wait()  # the last line: returning from here runs no line of the program
        atexit.register(release)
        print("main done")
        """,
    )
    async with session() as client:
        event = await client.launch_and_stop(
            {program: [line_of(program, "# daemon line")]}, **launch_arguments(program)
        )
        top = await top_frame(client, event)
        # the main thread leaves release() for our handler without running another line of the program,
        # so the stop in force does not hold it
        await client.evaluate("there.set()", top["id"], context="repl")
        stops = 0
        while event["event"] == "stopped":  # one stop, or more while the main thread is not yet in our handler
            stops += 1
            for _ in range(3):  # the thread stays paused, whatever the main thread does meanwhile
                assert await stop_location(client, event) == ("loop", line_of(program, "# daemon line"))
                assert await evaluate_in_top_frame(client, event, "there.is_set()") == "True"
            await client.continue_(event["body"]["threadId"])
            event = await client.wait_for_any_event("stopped", "exited")
        assert stops >= 1 and event["body"]["exitCode"] == 0


async def test_no_tool_of_ours_is_left_when_the_interpreter_finalizes(tmp_path: Path) -> None:
    """Our threads are daemon threads (``_thread``): once the interpreter finalizes, one that waits for
    the GIL never runs again, whatever lock it holds, the engine's too. So nothing of ours that takes
    that lock may run then: our last atexit handler stops the engine (every callback unregistered, the
    tool ids freed) before finalization begins. A ``__del__`` run by finalization's garbage collection
    (code seen for the first time: a PY_START would register it under the engine's lock) finds no tool."""
    program = write_program(
        tmp_path,
        """
        import os, sys

        class Late:
            def __init__(self):
                self.me = self  # a cycle: collected when the interpreter finalizes

            def __del__(self, write=os.write, monitoring=sys.monitoring, finalizing=sys.is_finalizing):
                tools = [monitoring.get_tool(tool) for tool in range(6)]
                write(1, f"finalizing {finalizing()} tools {tools}\\n".encode())

        late = Late()
        print("main done", flush=True)
        """,
    )
    async with session() as client:
        await client.configuration_sequence(**launch_arguments(program))
        assert await run_to_exit(client) == 0
        await client.wait_for_event("terminated")
        assert client.output("stdout") == "main done\nfinalizing True tools [None, None, None, None, None, None]\n"


def test_a_callback_at_finalization_never_waits_for_a_lock_a_frozen_thread_of_ours_holds(tmp_path: Path) -> None:
    """Our threads are daemon threads: once the interpreter finalizes, one that needs the GIL never
    runs again, whatever lock it holds. A thread of ours holding the engine's lock is made to hold
    it for ever at that moment (it takes it when the last atexit handler asks, then blocks); the
    engine is still started (as in an attached program whose client had not finished configuring);
    a ``__del__`` run by finalization's garbage collection then runs code seen for the first time.
    Its PY_START waited for the lock for ever: the process never ended."""
    program = tmp_path / "prog.py"
    program.write_text(
        textwrap.dedent(
            """
            import _thread, atexit, gc, os, sys
            from monadapter.agent.engine import Engine
            from monadapter.agent.sources import Sources

            engine = Engine(Sources(), lambda _event, _body: None, lambda: set())
            engine.start()
            go, held, forever = _thread.allocate_lock(), _thread.allocate_lock(), _thread.allocate_lock()
            for lock in (go, held, forever):
                lock.acquire()

            def hold_the_engine_lock():
                go.acquire()
                with engine.parking.lock:  # frozen with it held, as finalization freezes our threads
                    held.release()
                    forever.acquire()

            def at_exit():  # registered first: runs last, just before the interpreter finalizes
                go.release()
                held.acquire()
                os.write(1, b"held\\n")

            class Late:
                def __init__(self):
                    self.me = self  # a cycle: left to the collection at finalization

                def __del__(self, run=exec, build=compile, write=os.write, finalizing=sys.is_finalizing):
                    write(1, f"finalizing {finalizing()}\\n".encode())
                    run(build("seen = 'for the first time'", "<late>", "exec"), {})  # new code: PY_START
                    write(1, b"ran\\n")

            _thread.start_new_thread(hold_the_engine_lock, ())
            atexit.register(at_exit)
            gc.disable()
            Late()
            print("main done", flush=True)
            """
        )
    )
    result = subprocess.run([sys.executable, str(program)], capture_output=True, text=True, timeout=30, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "main done\nheld\nfinalizing True\nran\n", "")

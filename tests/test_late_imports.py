"""Modules the agent imports late, after the program runs, never wait for an import lock a thread we
hold paused owns (agent/__init__.py, ``_import``): such a request fails and says why, and the session
and the program go on. A paused thread in the middle of importing ``dataclasses`` (a breakpoint at
module level of the standard library's own file) holds importlib's lock for it until resumed; the
first stackTrace loads the agent's frame and value readers, which import ``dataclasses``."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from engine_helpers import launch_arguments, line_of, run_to_exit, session, write_program

from monadapter.client import DapError

#: The standard library's dataclasses.py: the debuggee runs this interpreter's, as the tests do.
DATACLASSES = Path(dataclasses.__file__)

PROGRAM = """
    import dataclasses
    done = dataclasses.is_dataclass(1)  # imported
"""


async def test_a_request_that_imports_a_module_a_paused_thread_is_importing_fails_and_says_why(
    tmp_path: Path,
) -> None:
    program = write_program(tmp_path, PROGRAM)
    inside = line_of(DATACLASSES, "__all__ = [")
    async with session() as client:
        stopped = await client.launch_and_stop(
            {str(DATACLASSES): [inside], program: [line_of(program, "# imported")]},
            **launch_arguments(program, justMyCode=False),
        )
        thread_id = stopped["body"]["threadId"]
        with pytest.raises(DapError, match="the program is paused while importing dataclasses"):
            await client.request("stackTrace", {"threadId": thread_id}, timeout=10)
        threads = await client.request("threads")  # the agent still answers
        assert [thread["id"] for thread in threads["threads"]] == [thread_id]
        await client.continue_(thread_id)
        stopped = await client.wait_for_event("stopped")  # the program went on, finished its import
        frames = await client.stack_trace(stopped["body"]["threadId"])
        assert frames[0]["line"] == line_of(program, "# imported")
        assert await run_to_exit(client, stopped) == 0


STEPPER = """
    import threading
    def importer():
        import bisect  # the program's own bisect.py, which stops in helper.pause_here
    worker = threading.Thread(target=importer)
    worker.start()
    for count in range(10**9):
        total = (count +
                 1)  # stepped over
"""

#: The program's own bisect.py (its directory is first on sys.path), which the agent's late ``import
#: bisect`` finds too: the worker stops (a function breakpoint, which needs no statement heads) while
#: its module code runs.
SHADOW_BISECT = """
    from helper import pause_here
    pause_here()
    from _bisect import bisect_left, bisect_right, insort_left, insort_right
"""


async def test_a_single_thread_step_while_another_thread_is_paused_importing_bisect_ends(tmp_path: Path) -> None:
    """A step's callback finds statement heads with ``ast`` and ``bisect`` (sourcemap.StatementHeads):
    a thread stepping alone while the worker stays paused inside ``bisect``'s import must not wait
    for it; the step ends all the same."""
    program = write_program(tmp_path, STEPPER)
    write_program(tmp_path, SHADOW_BISECT, name="bisect.py")
    write_program(tmp_path, "def pause_here():\n    return 1\n", name="helper.py")
    async with session() as client:
        launched = await client.send_request("launch", launch_arguments(program))
        await client.wait_for_event("initialized")
        await client.request("setFunctionBreakpoints", {"breakpoints": [{"name": "pause_here"}]})
        await client.configuration_done()
        await launched
        stopped = await client.wait_for_event("stopped")
        worker = stopped["body"]["threadId"]
        threads = await client.request("threads")
        main = next(thread["id"] for thread in threads["threads"] if thread["id"] != worker)
        # main parks at the next line it reaches (a stackTrace waits for that: Parking.wait_parked), in
        # the loop or in threading's code still: its step ends in the loop, whose statement heads the
        # step's callback needs
        assert await client.stack_trace(main)
        await client.request("next", {"threadId": main, "singleThread": True})
        stepped = await client.wait_for_event("stopped")
        assert stepped["body"]["threadId"] == main and stepped["body"]["reason"] == "step"


FORK_WHILE_IMPORTING = """
    import importlib.machinery, os, select, signal, sys, threading
    blocked, proceed = threading.Event(), threading.Event()

    class Held:
        \"\"\"Holds the thread that runs selectors' code (socket's import does) before it runs.\"\"\"
        def __init__(self, loader):
            self.loader = loader
        def create_module(self, spec):
            return self.loader.create_module(spec)
        def exec_module(self, module):
            blocked.set()
            proceed.wait(60)
            self.loader.exec_module(module)

    class Holdup:
        def find_spec(self, name, path=None, target=None):
            if name != "selectors" or threading.current_thread() is threading.main_thread():
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            spec.loader = Held(spec.loader)
            return spec

    sys.meta_path.insert(0, Holdup())
    sys.modules.pop("selectors", None)
    sys.modules.pop("socket", None)
    importer = threading.Thread(target=lambda: __import__("socket"))
    importer.start()
    assert blocked.wait(60)  # it holds the import locks of socket and selectors
    ready, written = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(written, b"ran")  # the child's own code: after the fork hooks, ours among them
        os._exit(7)
    proceed.set()
    importer.join()
    if not select.select([ready], [], [], 10)[0]:
        os.kill(pid, signal.SIGKILL)  # its session start waited for ever
    print("fork child exit code", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""


async def test_a_forked_child_never_waits_for_an_import_lock_a_thread_the_fork_left_behind_held(
    tmp_path: Path,
) -> None:
    """A forked child's session imports ``socket`` on the forking thread, in the fork hook; a lock
    another parent thread held at the fork stays held in the child for ever (agent/children.py)."""
    program = write_program(tmp_path, FORK_WHILE_IMPORTING)
    async with session() as client:
        await client.configuration_sequence(**launch_arguments(program, subProcess=True))
        assert await run_to_exit(client) == 0
        assert "fork child exit code 7\n" in client.output("stdout")
        assert "a thread the fork did not copy was importing" in client.output("stderr")

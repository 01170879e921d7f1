"""subProcess: Python children of a launched program (subprocess, multiprocessing fork/spawn/forkserver)
become debug sessions of their own through startDebugging; without it, or where they cannot, they run on.
"""

from __future__ import annotations

import glob
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from monadapter.agent.children import BOOTSTRAP_DIR, NOTIFY_ENV
from monadapter.client import DapClient

PARENT = """
import subprocess, sys, os
child = os.path.join(os.path.dirname(os.path.abspath(__file__)), "child.py")
done = subprocess.run([sys.argv[1] if len(sys.argv) > 1 else sys.executable, child, "x"])
print("child exit code", done.returncode)
sys.exit(4)
"""

CHILD = """
import os, sys
value = 41 + 1  # child line
print("child says", value, sys.argv[1:], os.environ.get("MONADAPTER_CHILD_NOTIFY") is not None, flush=True)
sys.exit(5)
"""

WORKERS = """
import multiprocessing as mp, sys

def work(x):
    y = x * 2  # worker line
    sys.exit(10 + x)

if __name__ == "__main__":
    mp.set_start_method(sys.argv[1])
    workers = [mp.Process(target=work, args=(i,)) for i in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print("exit codes", [worker.exitcode for worker in workers])
    sys.exit(3)
"""


async def follow(parent: DapClient, count: int, session: Callable[[dict[str, Any]], Any]) -> None:
    """Run ``session(start)`` for each of the next ``count`` startDebugging requests, side by side
    (as an editor does: a child waits until its session attaches)."""
    async with anyio.create_task_group() as sessions:
        for _ in range(count):
            sessions.start_soon(session, await parent.wait_for_child(timeout=20))


async def test_breakpoint_in_a_subprocess_run_child(client: DapClient, make_program: Callable[..., Path]) -> None:
    parent = make_program(PARENT, "parent.py")
    child_program = make_program(CHILD, "child.py")
    client.follow_children = True
    await client.configuration_sequence(program=str(parent), justMyCode=False, stopOnEntry=False)
    start = await client.wait_for_child(timeout=20)
    configuration = start["configuration"]
    assert start["request"] == "attach"
    assert configuration["justMyCode"] is False and "stopOnEntry" not in configuration and "type" not in configuration
    assert configuration["connect"]["host"] == "127.0.0.1"
    assert configuration["name"] == f"child.py (pid {configuration['subProcessId']})"
    async with client.attached_child(start, {child_program: [2]}) as child:
        stopped = await child.wait_for_event("stopped", timeout=20)
        frames = await child.stack_trace(stopped["body"]["threadId"])
        assert [(frame["name"], frame["line"], frame["source"]["path"]) for frame in frames] == [
            ("<module>", 2, str(child_program))
        ]
        process = await child.wait_for_event("process")
        assert process["body"]["systemProcessId"] == configuration["subProcessId"]
        await child.continue_(stopped["body"]["threadId"])
        await child.wait_for_event("terminated", timeout=20)
    exited = await client.wait_for_event("exited", timeout=20)
    assert exited["body"]["exitCode"] == 4
    assert client.output("stdout") == "child says 42 ['x'] True\nchild exit code 5\n"


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
async def test_breakpoint_in_multiprocessing_workers(
    client: DapClient, make_program: Callable[..., Path], method: str
) -> None:
    program = make_program(WORKERS)
    stops: list[tuple[str, int, int]] = []

    async def worker(start: dict[str, Any]) -> None:
        async with client.attached_child(start, {program: [4]}) as child:
            stopped = await child.wait_for_event("stopped", timeout=20)
            top = (await child.stack_trace(stopped["body"]["threadId"]))[0]
            x = await child.evaluate("x", top["id"], context="watch")
            stops.append((top["name"], top["line"], int(x["result"])))
            await child.continue_(stopped["body"]["threadId"])
            await child.wait_for_event("terminated", timeout=20)

    client.follow_children = True
    await client.configuration_sequence(program=str(program), args=[method])
    await follow(client, 2, worker)
    exited = await client.wait_for_event("exited", timeout=20)
    assert exited["body"]["exitCode"] == 3
    assert client.output("stdout") == "exit codes [10, 11]\n"
    assert sorted(stops) == [("work", 4, 0), ("work", 4, 1)]
    names = [request["arguments"]["configuration"]["name"] for request in client.reverse_requests]
    assert len(names) == 2  # the workers only: neither the resource tracker nor the fork server


@pytest.mark.parametrize("how", ["subProcess false", "client without startDebugging", "client declines"])
async def test_children_run_undebugged_when_not_followed(
    client: DapClient, make_program: Callable[..., Path], how: str
) -> None:
    """Not asked for, or the client cannot or will not open child sessions: the child runs on at once
    (a declined child is told so on its notify connection and does not wait for an attach)."""
    parent = make_program(PARENT, "parent.py")
    make_program(CHILD, "child.py")
    if how == "client without startDebugging":
        await client.initialize(supportsStartDebuggingRequest=False)
    arguments = {"subProcess": False} if how == "subProcess false" else {}
    assert await client.run_to_end(program=str(parent), **arguments) == 4
    notified = how == "client declines"
    assert client.output("stdout") == f"child says 42 ['x'] {notified}\nchild exit code 5\n"
    assert [request["command"] for request in client.reverse_requests] == ["startDebugging"] * notified


def older_python() -> str:
    """An interpreter older than 3.12 (the agent cannot run there)."""
    candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[01]*/bin/python"))) + ["/usr/bin/python3"]
    for candidate in candidates:
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info < (3, 12))"], capture_output=True, text=True
        )
        if probe.stdout.strip() == "True":
            return candidate
    raise AssertionError(f"no Python older than 3.12 among {candidates}")


async def test_a_child_of_an_older_python_runs_normally(client: DapClient, make_program: Callable[..., Path]) -> None:
    parent = make_program(PARENT, "parent.py")
    make_program(CHILD, "child.py")
    assert await client.run_to_end(program=str(parent), args=[older_python()]) == 4
    assert client.output("stdout") == "child says 42 ['x'] True\nchild exit code 5\n"
    assert client.output("stderr") == ""
    assert client.reverse_requests == []


def test_without_the_notify_listener_a_child_runs_normally_and_chains_sitecustomize(
    make_program: Callable[..., Path], tmp_path: Path
) -> None:
    """The bootstrap alone (no adapter): the listener is gone, so the child runs at once; the
    sitecustomize it shadows still runs; our directory is not on the child's sys.path."""
    child = make_program(
        CHILD + "print(sys.modules['sitecustomize'].REAL, any('bootstrap' in entry for entry in sys.path))\n",
        "child.py",
    )
    own_site = make_program("REAL = 'real sitecustomize ran'\n", "site/sitecustomize.py")
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = {
        **os.environ,
        NOTIFY_ENV: f"127.0.0.1:{port}:token",
        "PYTHONPATH": os.pathsep.join([BOOTSTRAP_DIR, str(own_site.parent)]),
    }
    done = subprocess.run([sys.executable, str(child), "y"], env=env, capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stderr) == (5, "")
    # (sys.exit(5) ends the child before the last line; run it again without the exit)
    child.write_text(child.read_text().replace("sys.exit(5)\n", ""))
    done = subprocess.run([sys.executable, str(child), "y"], env=env, capture_output=True, text=True, timeout=30)
    assert done.stdout == "child says 42 ['y'] True\nreal sitecustomize ran False\n"
    assert (done.returncode, done.stderr) == (0, "")


async def test_ending_the_parent_session_ends_the_child_and_its_session(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    parent = make_program(PARENT, "parent.py")
    child_program = make_program("import time\ntime.sleep(60)  # child line\n", "child.py")
    client.follow_children = True
    await client.configuration_sequence(program=str(parent))
    start = await client.wait_for_child(timeout=20)
    async with client.attached_child(start, {child_program: [2]}) as child:
        stopped = await child.wait_for_event("stopped", timeout=20)
        assert stopped["body"]["reason"] == "breakpoint"
        await client.disconnect()
        await child.wait_for_event("terminated", timeout=20)
    assert not running(start["configuration"]["subProcessId"])


def running(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie nobody reaped yet does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


async def test_an_uncaught_exception_stops_the_child(client: DapClient, make_program: Callable[..., Path]) -> None:
    """python itself runs a started child's program: the "uncaught" stop comes from its excepthook,
    and the traceback python then prints is the program's own."""
    parent = make_program(PARENT, "parent.py")
    make_program("def fail():\n    raise ValueError('boom')\nfail()\n", "child.py")
    client.follow_children = True
    await client.configuration_sequence(program=str(parent))
    start = await client.wait_for_child(timeout=20)
    async with client.child_client() as child:
        await child.initialize()
        await child.configuration_sequence(exception_filters=["uncaught"], request="attach", **start["configuration"])
        stopped = await child.wait_for_event("stopped", timeout=20)
        assert (stopped["body"]["reason"], stopped["body"]["description"]) == ("exception", "ValueError: boom")
        frames = await child.stack_trace(stopped["body"]["threadId"])
        assert [(frame["name"], frame["line"]) for frame in frames] == [("fail", 2), ("<module>", 3)]
        await child.continue_(stopped["body"]["threadId"])
        await child.wait_for_event("terminated", timeout=20)
    assert await client.wait_for_event("exited", timeout=20)
    assert client.output("stdout") == "child exit code 1\n"
    traceback = client.output("stderr")
    assert traceback.startswith("Traceback (most recent call last):\n") and traceback.endswith("ValueError: boom\n")
    assert "monadapter" not in traceback


async def test_a_preexec_fn_fork_is_no_session_of_its_own(client: DapClient, make_program: Callable[..., Path]) -> None:
    """subprocess forks, runs ``preexec_fn`` (so the at-fork hooks run in that child) and execs: only
    the program it execs becomes a session."""
    parent = make_program(PARENT.replace(', "x"])', ', "x"], preexec_fn=lambda: None)'), "parent.py")
    child_program = make_program(CHILD, "child.py")
    client.follow_children = True
    await client.configuration_sequence(program=str(parent))
    async with client.attached_child(await client.wait_for_child(timeout=20), {child_program: [2]}) as child:
        stopped = await child.wait_for_event("stopped", timeout=20)
        await child.continue_(stopped["body"]["threadId"])
    exited = await client.wait_for_event("exited", timeout=20)
    assert exited["body"]["exitCode"] == 4
    assert client.output("stdout") == "child says 42 ['x'] True\nchild exit code 5\n"
    assert [request["command"] for request in client.reverse_requests] == ["startDebugging"]

"""The README's "Guarantees", each tested against the real processes: what happens to the program
when its client or its adapter goes away, when it crashes, and on bad input.

Killing is real (SIGKILL to the adapter process); a program's end is read from /proc.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from engine_helpers import WAIT, launch_arguments, line_of, write_program
from test_launch import ListeningProgram, alive, wait_for_file

from monadapter.client import DapClient


@contextmanager
def adapter_server() -> Iterator[tuple[subprocess.Popen[str], int]]:
    """``python -m monadapter --port 0`` as a process of its own (so a test can kill it): (process, port)."""
    adapter = subprocess.Popen([sys.executable, "-m", "monadapter", "--port", "0"], stderr=subprocess.PIPE, text=True)
    try:
        assert adapter.stderr is not None
        yield adapter, int(adapter.stderr.readline().rsplit(":", 1)[1])
    finally:
        adapter.kill()
        adapter.wait(WAIT)
        assert adapter.stderr is not None
        adapter.stderr.close()


@asynccontextmanager
async def connected(port: int) -> AsyncIterator[DapClient]:
    async with DapClient.connect("127.0.0.1", port, timeout=WAIT) as client:
        await client.initialize()
        yield client


async def until_gone(pid: int) -> None:
    with anyio.fail_after(WAIT):
        while alive(pid):
            await anyio.sleep(0.05)


async def launched(client: DapClient, program: Path, marker: str | None, **arguments: Any) -> int:
    """Launches ``program`` with a breakpoint on the line of ``marker`` and waits for its stop there
    (None: no breakpoint, no wait); returns the program's pid."""
    breakpoints = {program: [line_of(program, marker)]} if marker else None
    await client.configuration_sequence(breakpoints, **launch_arguments(program, **arguments))
    pid = int((await client.wait_for_event("process"))["body"]["systemProcessId"])
    if marker:
        await client.wait_for_event("stopped")
    return pid


async def attached(client: DapClient, listening: ListeningProgram, program: Path, marker: str) -> dict[str, Any]:
    """Attaches to ``listening`` (running ``program``) with a breakpoint on the line of ``marker``;
    returns the stop there."""
    await client.configuration_sequence(
        {program: [line_of(program, marker)]},
        request="attach",
        connect={"host": "127.0.0.1", "port": listening.port},
        accessToken=listening.token,
    )
    return await client.wait_for_event("stopped")


PAUSED_OR_RUNNING = """
    import subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    open(sys.argv[1], "w").write(f"{child.pid}\\n")
    value = 42  # stop here
    while True:
        time.sleep(0.05)
"""


@pytest.mark.parametrize("stopped", [True, False], ids=["paused", "running"])
async def test_a_launched_program_ends_when_its_adapter_is_killed(tmp_path: Path, stopped: bool) -> None:
    """Adapter loss, launch: nobody could see or end the program any more, so it ends (SIGTERM to
    its process group, SIGKILL after a grace), paused at a breakpoint or running, with its children."""
    program = write_program(tmp_path, PAUSED_OR_RUNNING)
    pid_file = tmp_path / "child.pid"
    with adapter_server() as (adapter, port):
        async with connected(port) as client:
            pid = await launched(client, program, "# stop here" if stopped else None, args=[str(pid_file)])
            child = int(await wait_for_file(pid_file))
            assert alive(pid) and alive(child)
            adapter.send_signal(signal.SIGKILL)
            adapter.wait(WAIT)
            await until_gone(pid)
            await until_gone(child)


async def test_an_attached_program_runs_on_when_its_adapter_is_killed(tmp_path: Path) -> None:
    """Adapter loss, attach: the program is released from its stop and runs on to its own end,
    a paused non-daemon thread included."""
    program = write_program(
        tmp_path,
        """
        import threading
        def work():
            value = 42  # work body
            print("worker done", value)
        threading.Thread(target=work).start()
        """,
    )
    listening = ListeningProgram(program)
    with adapter_server() as (adapter, port):
        async with connected(port) as client:
            assert (await attached(client, listening, program, "# work body"))["body"]["reason"] == "breakpoint"
            adapter.send_signal(signal.SIGKILL)
            adapter.wait(WAIT)
    assert listening.finish()[:2] == (0, "worker done 42\n")


async def test_a_launched_program_that_detached_outlives_its_adapter(tmp_path: Path) -> None:
    """Detach, then adapter loss: the program was let go on purpose and runs on to its end."""
    marker = tmp_path / "done.txt"
    program = write_program(
        tmp_path,
        f"""
        import sys, time
        value = 1  # stop here
        time.sleep(0.5)
        open({str(marker)!r}, "w").write("finished\\n")
        """,
    )
    with adapter_server() as (adapter, port):
        async with connected(port) as client:
            pid = await launched(client, program, "# stop here")
            await client.disconnect(terminate_debuggee=False)
        adapter.send_signal(signal.SIGKILL)
        adapter.wait(WAIT)
    assert await wait_for_file(marker) == "finished\n"
    await until_gone(pid)


async def still_serves(port: int, tmp_path: Path) -> None:
    """The adapter server runs a new session to its end."""
    program = write_program(tmp_path, "print('next session')\n", name="next.py")
    async with connected(port) as client:
        assert await client.run_to_end(**launch_arguments(program)) == 0
        assert client.output("stdout") == "next session\n"


async def test_a_launched_program_ends_when_its_client_goes_away(tmp_path: Path) -> None:
    """Client loss, launch: the client's connection ends without a disconnect; the adapter ends the
    program it launched (as disconnect does by default) and serves the next client."""
    program = write_program(tmp_path, PAUSED_OR_RUNNING)
    with adapter_server() as (_adapter, port):
        async with connected(port) as client:
            pid = await launched(client, program, "# stop here", args=[str(tmp_path / "c")])
        # the connection is closed here, no disconnect sent
        await until_gone(pid)
        await still_serves(port, tmp_path)


async def test_an_attached_program_runs_on_when_its_client_goes_away(tmp_path: Path) -> None:
    """Client loss, attach: the program is released from its stop and runs on to its own end."""
    program = write_program(tmp_path, "value = 42  # stop here\nprint('ran on', value)\n")
    listening = ListeningProgram(program)
    with adapter_server() as (_adapter, port):
        async with connected(port) as client:
            await attached(client, listening, program, "# stop here")
        assert listening.finish()[:2] == (0, "ran on 42\n")
        await still_serves(port, tmp_path)


async def test_a_crashing_program_is_reported_and_the_session_ends_cleanly(tmp_path: Path) -> None:
    """Debuggee crash: a program killed by a signal while another of its threads is paused gives
    ``exited`` with 128+N and ``terminated``; the adapter goes on serving."""
    program = write_program(
        tmp_path,
        """
        import os, signal, threading
        def crash():
            os.kill(os.getpid(), signal.SIGSEGV)
        value = 1  # stop here
        threading.Thread(target=crash).start()
        """,
    )
    with adapter_server() as (_adapter, port):
        async with connected(port) as client:
            stopped = await client.launch_and_stop(
                {program: [line_of(program, "# stop here")]}, **launch_arguments(program)
            )
            await client.continue_(stopped["body"]["threadId"])
            exited = await client.wait_for_event("exited")
            await client.wait_for_event("terminated")
            assert exited["body"]["exitCode"] == 128 + signal.SIGSEGV
        await still_serves(port, tmp_path)

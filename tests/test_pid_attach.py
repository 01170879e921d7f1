"""``attach`` with ``processId``: a running Python 3.14+ program (sys.remote_exec), and the clear refusal before 3.14.

The program is started with ``-I`` (no PYTHONPATH, no user site): it has no monadapter to import,
and must not need one. The adapter runs on the suite's Python, whatever its version: it has the
target's own interpreter binary hand the bootstrap over. A 3.14+ target is the suite's Python when
it is 3.14+, else one of ``$MONADAPTER_PYTHONS/3.14``/``3.15`` (where scripts/get-python unpacks
them); a pre-3.14 target is the suite's Python when it is older, else a 3.12/3.13 found on the machine.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from attach_helpers import RunningProgram, looping_program, work_line
from conftest import AdapterAddress

from monadapter.client import DapClient, DapError

#: The first Python that can be attached to by process id.
REMOTE_EXEC = (3, 14)
#: The program attached to: it notes its sys.path, says it runs, then loops (attach_helpers.LOOP).
PROGRAM = looping_program('ORIGINAL_PATH = list(sys.path)\nprint("READY", flush=True)')
WORK_LINE = work_line(PROGRAM)


def pythons_root() -> Path:
    return Path(os.environ.get("MONADAPTER_PYTHONS") or Path.home() / ".cache" / "monadapter-pythons")


def python_with_remote_exec() -> str | None:
    """A Python 3.14+ to run the target with, None when the machine has none."""
    if sys.version_info >= REMOTE_EXEC:
        return sys.executable
    for version in ("3.14", "3.15"):
        candidate = pythons_root() / version / "usr" / "bin" / f"python{version}"
        if os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def python_without_remote_exec() -> str | None:
    """A Python 3.12/3.13 to run the target with, None when the machine has none that runs (a pyenv
    shim on PATH may name a version it then refuses to run)."""
    if sys.version_info < REMOTE_EXEC:
        return sys.executable
    for version in ("3.13", "3.12"):
        candidates = [str(pythons_root() / version / "usr" / "bin" / f"python{version}")]
        candidates += sorted(glob.glob(str(Path.home() / ".pyenv" / "versions" / f"{version}.*" / "bin" / "python")))
        candidates += [found] if (found := shutil.which(f"python{version}")) else []
        for candidate in candidates:
            if os.access(candidate, os.X_OK) and _runs_as(candidate, version):
                return candidate
    return None


def _runs_as(python: str, version: str) -> bool:
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    try:
        result = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=30)
    except OSError:
        return False
    return result.returncode == 0 and result.stdout.strip() == version


def start_target(python: str, tmp_path: Path) -> RunningProgram:
    path = tmp_path / "target.py"
    path.write_text(PROGRAM, encoding="utf-8")
    program = RunningProgram([python, "-I", str(path)], cwd=tmp_path)
    program.wait_for_line("stdout", "READY")
    program.path = path
    return program


@pytest.fixture
def target(tmp_path: Path) -> Iterator[RunningProgram]:
    python = python_with_remote_exec()
    if python is None:  # only when the suite runs on 3.12/3.13 and no 3.14+ is unpacked
        pytest.skip("no Python 3.14+ on this machine to attach to by process id")
    program = start_target(python, tmp_path)
    yield program
    program.kill()


async def attach_by_id(client: DapClient, program: RunningProgram) -> dict:
    await client.configuration_sequence({program.path: [WORK_LINE]}, request="attach", processId=program.process.pid)
    return await client.wait_for_event("stopped")


async def test_attach_by_process_id_stops_and_detaches_twice(adapter: AdapterAddress, target: RunningProgram) -> None:
    for _ in range(2):
        async with DapClient.connect(adapter.host, adapter.port) as client:
            await client.initialize()
            stopped = await attach_by_id(client, target)
            process = (await client.wait_for_event("process"))["body"]
            assert process["systemProcessId"] == target.process.pid and process["startMethod"] == "attach"
            frames = await client.stack_trace(stopped["body"]["threadId"])
            assert [frame["name"] for frame in frames] == ["work", "<module>"]
            assert frames[0]["source"]["path"] == str(target.path) and frames[0]["line"] == WORK_LINE
            # the bootstrap leaves the program's sys.path as it was
            untouched = await client.evaluate("sys.path == ORIGINAL_PATH", frames[1]["id"])
            assert untouched["result"] == "True"
            # ... and none of our modules in sys.modules
            ours = await client.evaluate(
                "[name for name in sys.modules if name.startswith('monadapter')]", frames[1]["id"]
            )
            assert ours["result"] == "[]"
            # what the program writes after the attach reaches us, and still its own stdout
            await client.evaluate("print('said after the attach', flush=True)", frames[0]["id"], context="repl")
            assert await client.wait_for_output("said after the attach\n", category="stdout")
            await client.disconnect()
    assert target.wait_for_line("stdout", "said after the attach")
    assert target.finish() == 0
    assert target.stdout[-1] == "done\n" and target.stderr == []


async def test_attach_by_process_id_refuses_a_second_client_and_survives_a_vanishing_one(
    adapter: AdapterAddress, target: RunningProgram
) -> None:
    async with DapClient.connect(adapter.host, adapter.port) as first:
        await first.initialize()
        await attach_by_id(first, target)
        async with DapClient.connect(adapter.host, adapter.port) as second:
            await second.initialize()
            with pytest.raises(DapError, match="another client is already attached to this program"):
                await second.attach(processId=target.process.pid)
        # the first client goes away without a disconnect, with the program paused (its main thread
        # could not even run the attach code: the process says it has a session by its marker)
    async with DapClient.connect(adapter.host, adapter.port) as client:
        await client.initialize()
        stopped = await attach_by_id(client, target)
        assert stopped["body"]["reason"] == "breakpoint"
        await client.disconnect()
    assert target.finish() == 0


async def test_attach_by_process_id_before_3_14_fails_at_once_saying_what_to_do(
    client: DapClient, tmp_path: Path
) -> None:
    python = python_without_remote_exec()
    if python is None:  # only when the suite runs on 3.14+ and no 3.12/3.13 is installed
        pytest.skip("no Python 3.12/3.13 on this machine to be refused")
    program = start_target(python, tmp_path)
    try:
        with pytest.raises(DapError) as refused:
            await client.attach(processId=program.process.pid)
        message = str(refused.value)
        assert f"process {program.process.pid} runs Python 3.1" in message
        assert "needs Python 3.14 or newer" in message and "sys.remote_exec" in message
        assert "python -m monadapter --listen 5678 PROGRAM" in message and "monadapter.listen(5678)" in message
        assert program.finish() == 0 and program.stderr == []
    finally:
        program.kill()


@pytest.mark.parametrize(
    ("process_id", "message"),
    [(2**22 + 12345, "there is no process 4206649"), (0, "processId: Input should be greater than or equal to 1")],
    ids=["no such process", "zero"],
)
async def test_attach_by_a_bad_process_id_fails_with_a_message(
    client: DapClient, process_id: int, message: str
) -> None:
    with pytest.raises(DapError, match=message):
        await client.attach(processId=process_id)


async def test_attach_by_the_id_of_a_process_that_is_not_python_fails_with_a_message(client: DapClient) -> None:
    other = subprocess.Popen(["sleep", "60"])
    try:
        with pytest.raises(DapError, match=f"process {other.pid} runs .*sleep, which is not a Python interpreter"):
            await client.attach(processId=str(other.pid))  # as text, as ${command:pickProcess} gives it
    finally:
        other.kill()
        other.wait()


async def test_listen_with_pid_makes_a_running_process_listen_for_clients(
    client: DapClient, target: RunningProgram, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "monadapter", "--listen", "127.0.0.1:0", "--access-token", "pid-token"]
    result = subprocess.run([*command, "--pid", str(target.process.pid)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout == "", result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"process {target.process.pid} listening on 127.0.0.1:")
    port = int(line.rsplit(":", 1)[1])
    await client.configuration_sequence(
        {target.path: [WORK_LINE]}, request="attach", connect={"port": port}, accessToken="pid-token"
    )
    stopped = await client.wait_for_event("stopped")
    (frame, *_) = await client.stack_trace(stopped["body"]["threadId"])
    assert frame["line"] == WORK_LINE
    await client.disconnect()
    assert target.finish() == 0 and target.stderr == []

"""``python -m monadapter --listen ...`` (and its older name ``python -m monadapter.agent``), and the API's rules.

Real processes throughout: the command line's errors, a program started under it that clients
attach to while it runs, ``--wait-for-client``, ``monadapter.breakpoint()`` and its
``PYTHONBREAKPOINT`` hook, and the API misused (listen twice, listen in a launched program).
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from attach_helpers import RunningProgram, attach_and_stop, connect_to, looping_program, work_line
from conftest import AdapterAddress

from monadapter.client import DapClient, DapError

TOKEN = "cli-token"
#: Prints its arguments, then loops (attach_helpers.LOOP); its breakpoint line is LOOP_LINE.
LOOPING = looping_program('print("args", sys.argv[1:], flush=True)')
LOOP_LINE = work_line(LOOPING)


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monadapter", *args], capture_output=True, text=True, timeout=30, cwd=cwd
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--listen", "0", "/no/such.py"], "no such file: /no/such.py"),
        (["--listen", "70000", "x.py"], "--listen: 70000 is not a port number (0 to 65535"),
        (["--listen", "abc", "x.py"], "--listen: 'abc' is not a port number"),
        (["--listen", "0"], "nothing to debug: give FILE, -m MODULE, -c CODE or --pid PID"),
        (["--listen", "0", "--pid", "x"], "--pid wants a process id, got 'x'"),
        (["--listen", "0", "--frobnicate", "x.py"], "unknown option '--frobnicate'"),
        (["--listen", "0", "--port", "5", "x.py"], "--port is the adapter's option"),
        (["--listen", "0.0.0.0:0", "-c", "pass"], "listening on 0.0.0.0 without an access token"),
        (["--listen", "0", "-m"], "-m needs a value"),
    ],
)
def test_bad_command_lines_are_one_line_and_exit_code_2(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("monadapter: error: ") and message in line, line


def test_a_port_in_use_is_one_line_and_exit_code_2() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_cli("--listen", str(port), "-c", "print('never runs')")
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"monadapter: error: cannot listen on 127.0.0.1:{port}: "), line


@pytest.mark.parametrize("module", ["monadapter", "monadapter.agent"])
def test_help_exits_0_and_describes_the_command_line(module: str) -> None:
    result = subprocess.run([sys.executable, "-m", module, "--listen", "0", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("usage: python -m monadapter --listen [HOST:]PORT [--wait-for-client]")
    assert "--pid PID" in result.stdout


def test_help_after_the_program_is_the_programs() -> None:
    result = run_cli("--listen", "0", "--access-token", TOKEN, "-c", "import sys; print(sys.argv)", "--help")
    assert (result.returncode, result.stdout) == (0, "['-c', '--help']\n")


async def test_a_program_under_listen_runs_at_once_and_clients_attach_while_it_runs(
    adapter: AdapterAddress, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    path = make_program(LOOPING)
    program = RunningProgram(
        [sys.executable, "-m", "monadapter", "--listen", "127.0.0.1:0", "--access-token", TOKEN, str(path), "a1"],
        cwd=tmp_path,
    )
    try:
        port = int(program.wait_for_line("stderr", "monadapter agent listening on 127.0.0.1:").rsplit(":", 1)[1])
        for _ in range(2):
            async with DapClient.connect(adapter.host, adapter.port) as client:
                await client.initialize()
                stopped = await attach_and_stop(client, path, LOOP_LINE, **connect_to(port, TOKEN))
                frames = await client.stack_trace(stopped["body"]["threadId"])
                # the runner's and runpy's frames under the program's own are not shown
                assert [(frame["name"], frame["source"]["path"]) for frame in frames] == [
                    ("work", str(path)),
                    ("<module>", str(path)),
                ]
                await client.disconnect()
        assert program.finish() == 0
        assert program.stdout == ["args ['a1']\n", "done\n"]
        assert program.stderr == [f"monadapter agent listening on 127.0.0.1:{port}\n"]  # a token given: none printed
    finally:
        program.kill()


async def test_a_stop_before_configuration_done_shows_the_programs_frames_only(
    adapter: AdapterAddress, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    """A running program stops at a breakpoint as soon as it is set, before the client's
    configurationDone; its stack then already ends at the program's main code (runpy's frames showed
    under it before: the session learned the main code only once configured)."""
    path = make_program(LOOPING)
    program = RunningProgram(
        [sys.executable, "-m", "monadapter", "--listen", "127.0.0.1:0", "--access-token", TOKEN, str(path)],
        cwd=tmp_path,
    )
    try:
        port = int(program.wait_for_line("stderr", "monadapter agent listening on 127.0.0.1:").rsplit(":", 1)[1])
        async with DapClient.connect(adapter.host, adapter.port) as client:
            await client.initialize()
            attached = await client.send_request("attach", connect_to(port, TOKEN))
            await client.wait_for_event("initialized")
            await client.set_breakpoints(path, [LOOP_LINE])
            stopped = await client.wait_for_event("stopped")
            frames = await client.stack_trace(stopped["body"]["threadId"])
            assert [(frame["name"], frame["source"].get("path")) for frame in frames] == [
                ("work", str(path)),
                ("<module>", str(path)),
            ]
            await client.configuration_done()
            await attached
            await client.disconnect()
    finally:
        program.kill()


async def test_wait_for_client_runs_the_program_after_configuration_done(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    path = make_program("import sys\nprint('first line ran', sys.argv[1:])\n")
    program = RunningProgram(
        [sys.executable, "-m", "monadapter", "--listen", "0", "--wait-for-client", str(path), "x"], cwd=tmp_path
    )
    try:
        port = int(program.wait_for_line("stderr", "monadapter agent listening on").rsplit(":", 1)[1])
        token = program.wait_for_line("stderr", "monadapter agent access token: ").split(": ", 1)[1].strip()
        await client.configuration_sequence(request="attach", stopOnEntry=True, **connect_to(port, token))
        stopped = await client.wait_for_event("stopped")
        assert stopped["body"]["reason"] == "entry"
        assert program.stdout == []  # nothing ran before the client's configuration was done
        await client.continue_(stopped["body"]["threadId"])
        assert await client.wait_for_output("first line ran ['x']\n", category="stdout")
        await client.wait_for_event("terminated")
        assert program.finish() == 0
    finally:
        program.kill()


async def test_an_uncaught_exception_under_listen_stops_once_and_ends_as_python_would(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    path = make_program("def fail():\n    raise ValueError('boom')  # line 2\n\n\nfail()\n")
    program = RunningProgram(
        [sys.executable, "-m", "monadapter", "--listen", "0", "--access-token", TOKEN, "--wait-for-client", str(path)],
        cwd=tmp_path,
    )
    try:
        port = int(program.wait_for_line("stderr", "monadapter agent listening on").rsplit(":", 1)[1])
        await client.configuration_sequence(request="attach", exception_filters=["uncaught"], **connect_to(port, TOKEN))
        stopped = await client.wait_for_event("stopped")
        assert stopped["body"]["reason"] == "exception"
        (frame, *_) = await client.stack_trace(stopped["body"]["threadId"])
        assert (frame["name"], frame["line"]) == ("fail", 2)
        await client.continue_(stopped["body"]["threadId"])
        await client.wait_for_event("terminated")
        assert [event["body"]["reason"] for event in client.events if event.get("event") == "stopped"] == ["exception"]
        assert program.finish() == 1
        assert program.stderr[-1] == "ValueError: boom\n"
    finally:
        program.kill()


async def test_monadapter_breakpoint_stops_only_with_a_client_and_is_the_breakpoint_hook(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    path = make_program(
        f"""
        import os, sys, time, monadapter
        monadapter.breakpoint()  # no client yet: does nothing
        print("PORT", monadapter.listen(0, access_token={TOKEN!r})[1], monadapter.is_client_connected(), flush=True)
        assert monadapter.wait_for_client(timeout=30)
        print("connected", monadapter.is_client_connected(), flush=True)
        monadapter.breakpoint()
        stopped_here = 1  # line 7
        breakpoint()
        hooked_here = 2  # line 9
        while not os.path.exists("STOP"):
            time.sleep(0.005)
        """
    )
    src = str(Path(__file__).resolve().parent.parent / "src")
    program = RunningProgram(
        [sys.executable, str(path)], cwd=tmp_path, env={"PYTHONPATH": src, "PYTHONBREAKPOINT": "monadapter.breakpoint"}
    )
    try:
        port = int(program.wait_for_line("stdout", "PORT").split()[1])
        assert program.stdout == [f"PORT {port} False\n"]
        await client.configuration_sequence(request="attach", **connect_to(port, TOKEN))
        for line in (7, 9):
            stopped = await client.wait_for_event("stopped")
            assert stopped["body"]["reason"] == "breakpoint"
            (frame, *_) = await client.stack_trace(stopped["body"]["threadId"])
            assert (frame["name"], frame["line"]) == ("<module>", line)
            await client.continue_(stopped["body"]["threadId"])
        assert program.wait_for_line("stdout", "connected True")
        await client.disconnect()
        assert program.finish() == 0
    finally:
        program.kill()


def test_the_api_refuses_misuse_with_clear_errors() -> None:
    code = """
import monadapter
try:
    monadapter.wait_for_client(timeout=1)
except monadapter.AttachError as exc:
    print("wait:", exc)
host, port = monadapter.listen(("127.0.0.1", 0), access_token="t")
try:
    monadapter.listen(0, access_token="t")
except monadapter.AttachError as exc:
    print("twice:", exc.args[0].replace(str(port), "PORT"))
for bad in ("5678", 70000, ("", 1)):
    try:
        monadapter.listen(bad)
    except ValueError as exc:
        print("bad:", exc)
print(monadapter.is_client_connected(), monadapter.wait_for_client(timeout=0.01))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "wait: monadapter.wait_for_client: call monadapter.listen() first; no client can attach",
        "twice: monadapter.listen was already called: this program listens on 127.0.0.1:PORT",
        "bad: monadapter.listen: the port must be an integer from 0 to 65535, got '5678'",
        "bad: monadapter.listen: the port must be an integer from 0 to 65535, got 70000",
        "bad: monadapter.listen: the host must be a non-empty string, got ''",
        "False False",
    ]


async def test_listen_in_a_program_launched_under_the_debugger_is_a_clear_error(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    path = make_program(
        """
        import monadapter
        try:
            monadapter.listen(0, access_token="t")
        except monadapter.AttachError as exc:
            print("refused:", exc)
        print("connected:", monadapter.is_client_connected())
        """
    )
    assert await client.run_to_end(program=str(path)) == 0
    assert client.output("stdout") == (
        "refused: monadapter.listen: this program already runs under the debugger (it was launched by it); "
        "there is nothing to listen for\nconnected: True\n"
    )


async def test_under_listen_a_second_client_is_refused_and_one_that_vanishes_frees_the_program(
    adapter: AdapterAddress, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    path = make_program(LOOPING)
    program = RunningProgram(
        [sys.executable, "-m", "monadapter", "--listen", "0", "--access-token", TOKEN, str(path)], cwd=tmp_path
    )
    try:
        port = int(program.wait_for_line("stderr", "monadapter agent listening on").rsplit(":", 1)[1])
        async with DapClient.connect(adapter.host, adapter.port) as first:
            await first.initialize()
            await attach_and_stop(first, path, LOOP_LINE, **connect_to(port, TOKEN))
            async with DapClient.connect(adapter.host, adapter.port) as second:
                await second.initialize()
                with pytest.raises(DapError, match="another client is already attached to this program"):
                    await second.attach(**connect_to(port, TOKEN))
            # the first client leaves without a disconnect while the program is paused
        async with DapClient.connect(adapter.host, adapter.port) as client:
            await client.initialize()
            stopped = await attach_and_stop(client, path, LOOP_LINE, **connect_to(port, TOKEN))
            assert stopped["body"]["reason"] == "breakpoint"
            await client.disconnect()
        assert program.finish() == 0
    finally:
        program.kill()


#: Runs in its own process: a session (a real Debugger on a socket pair) starting before or after the
#: runner reaches the program's main code, in the one order given on the command line; then configured.
TOLD_ONCE = """
import socket, sys
from monadapter.agent import attached
from monadapter.agent.channel import Channel
from monadapter.agent.debugger import Debugger

ours, _adapter_side = socket.socketpair()
debugger = Debugger(Channel(ours))
code = compile("pass", "/program.py", "exec")

def runner():  # stands where agent/runner.py's run stands: it calls set_main_code
    attached.set_main_code(code)

if sys.argv[1] == "main code first":
    runner()
    attached._started(debugger)
else:
    attached._started(debugger)
    runner()
user = debugger.engine.user
print(user.main_code is code, user.is_launcher_code(runner.__code__))
attached._configured(debugger)
print(user.main_code is code)
"""


@pytest.mark.parametrize("order", ["main code first", "session first"])
def test_a_session_learns_where_the_program_starts_in_either_order(order: str) -> None:
    """Whichever of a session's start and the runner's start comes first, the session knows the main
    code (stacks end there) and the runner's frames (the launcher's) before it serves its client, who
    may set a breakpoint the program stops at before configurationDone. Before, the session learned
    them only once configured, and a stack asked for earlier showed runpy's frames under the
    program's (CI, 3.14 and 3.15: test_a_program_under_listen_runs_at_once_and_clients_attach_while_it_runs)."""
    result = subprocess.run([sys.executable, "-c", TOLD_ONCE, order], capture_output=True, text=True, timeout=30)
    assert (result.returncode, result.stdout, result.stderr) == (0, "True True\nTrue\n", "")

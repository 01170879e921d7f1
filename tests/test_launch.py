"""Launching: program/module/code run exactly as under plain python; output, exit codes, ending.

Where "the same as plain python" is the claim, the test runs the same program with plain
``python`` too and compares.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from conftest import AdapterAddress

from monadapter.client import DapClient, DapError, adapter_command

#: Prints, as one JSON line, everything that tells how the program was started.
REPORT = """
import json, os, sys
print(json.dumps({
    "argv": sys.argv, "path": sys.path, "file": globals().get("__file__"), "name": __name__,
    "package": __package__, "spec": getattr(__spec__, "name", None), "loader": type(__loader__).__name__,
    "globals": sorted(globals()), "cwd": os.getcwd(), "main_is_module": sys.modules["__main__"].__dict__ is globals(),
    "env": {name: os.environ.get(name) for name in ("MONADAPTER_TEST_SET", "MONADAPTER_TEST_UNSET")},
}))
"""


def plain_python(arguments: list[str], cwd: Path, env: dict[str, str | None]) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGUMENTS`` the plain way, with the same environment changes as a launch."""
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name, value in env.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return subprocess.run(
        [sys.executable, *arguments], cwd=cwd, env=environment, capture_output=True, text=True, timeout=30
    )


async def debug(client: DapClient, **launch: Any) -> tuple[int, str, str]:
    """Launch under the adapter and return (exit code, stdout, stderr) once it ended."""
    code = await client.run_to_end(**launch)
    return code, client.output("stdout"), client.output("stderr")


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A variable the launch will unset, present in the adapter's environment (inherited by the adapter fixture)."""
    monkeypatch.setenv("MONADAPTER_TEST_UNSET", "inherited")


async def test_program_runs_as_under_plain_python(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    program = make_program(REPORT, name="sub/report.py")
    env = {"MONADAPTER_TEST_SET": "yes", "MONADAPTER_TEST_UNSET": None}
    code, stdout, stderr = await debug(
        client, program="sub/report.py", args=["a", "b c", "--flag"], cwd=str(tmp_path), env=env
    )
    plain = plain_python(["sub/report.py", "a", "b c", "--flag"], tmp_path, env)
    assert (code, stderr) == (0, "")
    assert json.loads(stdout) == json.loads(plain.stdout)
    assert json.loads(stdout)["env"] == {"MONADAPTER_TEST_SET": "yes", "MONADAPTER_TEST_UNSET": None}
    assert json.loads(stdout)["path"][0] == str(program.parent)


async def test_module_runs_as_under_plain_python_with_relative_imports(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    make_program("", name="pkg/__init__.py")
    make_program("VALUE = 'relative import works'", name="pkg/helper.py")
    make_program("from . import helper\nprint(helper.VALUE)\n" + REPORT, name="pkg/main.py")
    code, stdout, stderr = await debug(client, module="pkg.main", args=["x"], cwd=str(tmp_path))
    plain = plain_python(["-m", "pkg.main", "x"], tmp_path, {})
    assert (code, stderr) == (0, "")
    first, report = stdout.splitlines()
    assert first == "relative import works"
    assert json.loads(report) == json.loads(plain.stdout.splitlines()[1])
    assert json.loads(report)["argv"][0] == str(tmp_path / "pkg" / "main.py")


async def test_code_runs_as_under_plain_python(client: DapClient, tmp_path: Path) -> None:
    code, stdout, stderr = await debug(client, code=REPORT, args=["1", "2"], cwd=str(tmp_path))
    plain = plain_python(["-c", REPORT, "1", "2"], tmp_path, {})
    assert (code, stderr) == (0, "")
    assert json.loads(stdout) == json.loads(plain.stdout)
    assert json.loads(stdout)["argv"] == ["-c", "1", "2"]


async def test_a_missing_module_fails_like_plain_python(client: DapClient, tmp_path: Path) -> None:
    code, _, stderr = await debug(client, module="no_such_module_here", cwd=str(tmp_path))
    plain = plain_python(["-m", "no_such_module_here"], tmp_path, {})
    assert (code, stderr) == (plain.returncode, plain.stderr) == (1, plain.stderr)


async def test_output_is_complete_and_in_order_at_exit(client: DapClient, make_program: Callable[..., Path]) -> None:
    program = make_program("""
        import sys
        for i in range(3000):
            print(f"line {i} é✓")
        sys.stderr.write("no newline at the end")
    """)
    code, stdout, stderr = await debug(client, program=str(program))
    assert code == 0
    assert stdout == "".join(f"line {i} é✓\n" for i in range(3000))
    assert stderr == "no newline at the end"


@pytest.mark.parametrize(
    ("text", "expected_code"),
    [
        ("pass", 0),
        ("import sys; sys.exit(3)", 3),
        ("raise SystemExit(0)", 0),
        ("import sys; sys.exit('fatal: bye')", 1),
        ("import os; os._exit(7)", 7),
        ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", 128 + signal.SIGKILL),
    ],
)
async def test_exit_codes(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path, text: str, expected_code: int
) -> None:
    program = make_program(text)
    code, stdout, stderr = await debug(client, program=str(program))
    plain = plain_python([str(program)], tmp_path, {})
    assert code == expected_code
    assert (stdout, stderr) == (plain.stdout, plain.stderr)


async def test_an_uncaught_exception_prints_pythons_traceback_and_exits_1(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    program = make_program("""
        def fail():
            raise ValueError("bad value")

        try:
            fail()
        except ValueError as exc:
            raise RuntimeError("wrapped") from exc
    """)
    code, _, stderr = await debug(client, program=str(program))
    plain = plain_python([str(program)], tmp_path, {})
    assert code == plain.returncode == 1
    assert stderr == plain.stderr
    assert "launcher" not in stderr and "runner" not in stderr


async def test_a_syntax_error_is_reported_like_plain_python(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    program = make_program("x = (\n")
    code, _, stderr = await debug(client, program=str(program))
    plain = plain_python([str(program)], tmp_path, {})
    assert (code, stderr) == (1, plain.stderr)


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def wait_for_file(path: Path) -> str:
    with anyio.fail_after(20):
        while not path.exists() or not path.read_text().endswith("\n"):
            await anyio.sleep(0.05)
    return path.read_text()


async def test_terminate_ends_the_debuggee_and_its_children(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    pid_file = tmp_path / "child.pid"
    program = make_program(f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        open({str(pid_file)!r}, "w").write(f"{{child.pid}}\\n")
        time.sleep(60)
    """)
    await client.configuration_sequence(program=str(program))
    child = int(await wait_for_file(pid_file))
    assert alive(child)
    await client.terminate()
    exited = await client.wait_for_event("exited")
    await client.wait_for_event("terminated")
    assert exited["body"]["exitCode"] == 128 + signal.SIGTERM
    with anyio.fail_after(10):
        while alive(child):
            await anyio.sleep(0.05)


async def test_disconnect_terminates_by_default(client: DapClient, make_program: Callable[..., Path]) -> None:
    program = make_program("import time; print('started', flush=True); time.sleep(60)")
    await client.configuration_sequence(program=str(program))
    await client.wait_for_output("started")
    process = await client.wait_for_event("process")
    await client.disconnect()
    assert not alive(process["body"]["systemProcessId"])


async def test_a_disconnect_sent_before_the_launch_answer_cancels_the_launch_first(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    """launch is answered after configurationDone: a disconnect sent right behind it ends the session
    with launch answered first, cancelled, and the program never ran (it waited for configurationDone)."""
    ran = tmp_path / "ran"
    program = make_program(f"open({str(ran)!r}, 'w').close()")
    launched = await client.send_request("launch", {"program": str(program)})
    detached = await client.send_request("disconnect", {})
    assert (await client.response(detached.seq))["success"] is True
    launch = await client.response(launched.seq)
    text = "launch cancelled: the client disconnected before it was answered"
    assert (launch["success"], launch["message"], launch["body"]["error"]["format"]) == (False, "cancelled", text)
    assert client.answer_order.index(launched.seq) < client.answer_order.index(detached.seq)
    assert not ran.exists()


def printing_on_after_detach(make_program: Callable[..., Path], done: Path) -> Path:
    """A program that prints "started", then a second later prints a lot, then writes ``done``."""
    return make_program(f"""
        import time
        print("started", flush=True)
        time.sleep(1)
        for i in range(1000):
            print("printing after the detach", flush=True)
        open({str(done)!r}, "w").write("finished\\n")
    """)


async def test_disconnect_without_terminate_lets_the_program_run_on(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    done = tmp_path / "done.txt"
    program = printing_on_after_detach(make_program, done)
    await client.configuration_sequence(program=str(program))
    await client.wait_for_output("started")
    await client.disconnect(terminate_debuggee=False)
    assert await wait_for_file(done) == "finished\n"


def old_python() -> str:
    """A real interpreter older than 3.12 (pyenv's or the system's)."""
    candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[01]*/bin/python")))
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        candidates += sorted(glob.glob(f"{root}/versions/3.1[01]*/bin/python"))
    candidates += [
        path for path in (shutil.which("python3.11"), shutil.which("python3.10"), "/usr/bin/python3") if path
    ]
    for candidate in candidates:
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info < (3, 12))"], capture_output=True, text=True
        )
        if probe.stdout.strip() == "True":
            return candidate
    pytest.skip("no Python older than 3.12 on this machine")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"program": "does_not_exist.py"}, "the program 'does_not_exist.py' does not exist"),
        ({"code": "pass", "cwd": "/no/such/directory"}, "working directory '/no/such/directory' (cwd) does not exist"),
        ({"code": "pass", "python": "/no/such/python3"}, "the Python interpreter '/no/such/python3' was not found"),
        ({"code": "pass", "python": ["/bin/sh", "-c", "exit 3"]}, "failed to run"),
        ({"code": "pass", "python": "OLD"}, "monadapter needs Python 3.12 or newer, but"),
        (
            {"code": "pass", "variablePresentation": {"special": "hidden"}},
            "invalid launch arguments: variablePresentation.special: Input should be 'group', 'inline' or 'hide'",
        ),
        (
            {"code": "pass", "variablePresentation": {"specials": "hide"}},
            "variablePresentation: unknown category 'specials'; the categories are all, special, function, class, "
            "protected",
        ),
        ({"code": "pass", "variablePresentation": "hide"}, "variablePresentation: Input should be a valid dictionary"),
        ({"code": "pass", "noDebug": "maybe"}, "noDebug: input should be a valid boolean"),
    ],
)
async def test_a_bad_launch_fails_clearly_and_the_session_still_works(
    client: DapClient, make_program: Callable[..., Path], arguments: dict[str, Any], message: str
) -> None:
    if arguments.get("python") == "OLD":
        arguments = {**arguments, "python": old_python()}
    launched = await client.launch(**arguments)
    with pytest.raises(DapError, match=message.replace("(", r"\(").replace(")", r"\)")):
        await launched
    program = make_program("print('second try')")
    assert await client.run_to_end(program=str(program)) == 0
    assert client.output("stdout") == "second try\n"


async def test_a_second_interpreter_given_as_argv_list(client: DapClient, make_program: Callable[..., Path]) -> None:
    program = make_program("import sys; print(sys.flags.dev_mode)")
    assert await client.run_to_end(program=str(program), python=[sys.executable, "-X", "dev"]) == 0
    assert client.output("stdout") == "True\n"


async def test_integrated_terminal_goes_through_run_in_terminal(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    out = tmp_path / "out.txt"
    program = make_program(f"import sys; open({str(out)!r}, 'w').write(' '.join(sys.argv[1:]) + '\\n')")
    await client.configuration_sequence(program=str(program), args=["in", "terminal"], console="integratedTerminal")
    await client.wait_for_event("terminated")
    (request,) = client.reverse_requests
    assert request["command"] == "runInTerminal" and request["arguments"]["kind"] == "integrated"
    assert request["arguments"]["env"]["PYTHONUNBUFFERED"] == "1"
    assert out.read_text() == "in terminal\n"
    assert not client.output("stdout")


async def test_a_terminal_command_joined_with_spaces_runs_and_reads_input(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    """Emacs dap-mode joins runInTerminal's arguments with spaces and gives the line to a shell:
    the command must still start the program, which reads its stdin as in any terminal."""
    out = tmp_path / "out.txt"
    program = make_program(f"answer = input('name? ')\nopen({str(out)!r}, 'w').write('hello ' + answer)")
    client.terminal_joins_arguments = True
    client.terminal_stdin = subprocess.PIPE
    await client.configuration_sequence(program=str(program), console="integratedTerminal")
    (terminal,) = client.terminal_processes
    assert terminal.stdin is not None
    terminal.stdin.write(b"emacs\n")
    terminal.stdin.close()
    await client.wait_for_event("terminated")
    assert terminal.wait(timeout=10) == 0
    assert out.read_text() == "hello emacs"
    (request,) = client.reverse_requests
    ours = request["arguments"]["args"][1:]  # the interpreter, then our words and the program's
    assert not [word for word in ours if word != str(program) and any(c in word for c in " \t'\"();&|<>$`\\")]


async def test_a_terminal_is_not_asked_of_a_client_that_cannot_open_one(
    adapter: Any, make_program: Callable[..., Path]
) -> None:
    program = make_program("print('in the debug console')")
    async with DapClient.connect(adapter.host, adapter.port) as client:
        await client.initialize(supportsRunInTerminalRequest=False)
        assert await client.run_to_end(program=str(program), console="externalTerminal") == 0
        assert client.output("stdout") == "in the debug console\n"
        assert client.reverse_requests == []


async def test_a_debugger_tool_already_in_use_fails_the_launch_with_the_agents_message(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    """sitecustomize runs before the agent: another tool holds DEBUGGER_ID, as a second debugger would."""
    make_program(
        "import sys\nsys.monitoring.use_tool_id(sys.monitoring.DEBUGGER_ID, 'other-debugger')\n",
        name="site/sitecustomize.py",
    )
    program = make_program("print('never runs')")
    launched = await client.launch(program=str(program), env={"PYTHONPATH": str(tmp_path / "site")})
    with pytest.raises(DapError, match="other-debugger"):
        await launched
    for event in ("exited", "terminated"):  # the first debuggee's end
        await client.wait_for_event(event)
    assert "never runs" not in client.output()
    assert await client.run_to_end(program=str(program)) == 0
    assert client.output("stdout") == "never runs\n"


async def test_redirect_output_false_keeps_output_out_of_the_debug_console(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    program = make_program("for i in range(20000): print('a line that fills the pipe if nobody reads it')")
    assert await client.run_to_end(program=str(program), redirectOutput=False) == 0
    assert client.output() == ""


async def test_null_launch_arguments_count_as_unset(client: DapClient, make_program: Callable[..., Path]) -> None:
    """dap-python sends every optional field, the unset ones as null (notes/dap-clients.md)."""
    program = make_program("import sys; print(sys.argv[1:])")
    nulls = {"module": None, "code": None, "args": None, "cwd": None, "python": None, "console": None}
    assert await client.run_to_end(program=str(program), **nulls) == 0
    assert client.output("stdout") == "[]\n"


class ListeningProgram:
    """A program started with ``python -m monadapter.agent --listen 127.0.0.1:0``, waiting for attach."""

    def __init__(self, program: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "monadapter.agent", "--listen", "127.0.0.1:0", str(program), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=program.parent,
        )
        assert self.process.stderr is not None
        line = self.process.stderr.readline()
        assert line.startswith("monadapter agent listening on 127.0.0.1:"), line
        self.port = int(line.rsplit(":", 1)[1])
        token = self.process.stderr.readline()
        assert token.startswith("monadapter agent access token: "), token
        #: the access token the agent made up and printed
        self.token = token.split(": ", 1)[1].strip()

    def finish(self) -> tuple[int, str, str]:
        """Wait for the program to end; return (exit code, stdout, stderr)."""
        stdout, stderr = self.process.communicate(timeout=30)
        return self.process.returncode, stdout, stderr


async def test_attach_to_a_listening_program_and_stop_at_a_breakpoint(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    program = make_program('import sys\nvalue = sys.argv[1]\nprint("attached run", value)  # line 3\n' + REPORT)
    listening = ListeningProgram(program, "arg")
    attached = await client.send_request(
        "attach", {"connect": {"host": "127.0.0.1", "port": listening.port}, "accessToken": listening.token}
    )
    await client.wait_for_event("initialized")
    await client.set_breakpoints(program, [3])
    await client.configuration_done()
    await attached
    process = await client.wait_for_event("process")
    assert process["body"]["startMethod"] == "attach" and process["body"]["systemProcessId"] == listening.process.pid
    stopped = await client.wait_for_event("stopped")
    (frame, *_) = await client.stack_trace(stopped["body"]["threadId"])
    assert frame["line"] == 3
    with pytest.raises(DapError, match="not ours to terminate"):
        await client.terminate()
    await client.continue_(stopped["body"]["threadId"])
    await client.wait_for_event("terminated")
    code, stdout, stderr = listening.finish()
    first, report = stdout.splitlines()
    plain = plain_python([str(program), "arg"], program.parent, {})
    assert (code, first, stderr) == (0, "attached run arg", "")
    assert json.loads(report) == json.loads(plain.stdout.splitlines()[1])


async def test_a_client_that_detaches_right_after_configuring_lets_the_waiting_program_run(
    adapter: AdapterAddress, make_program: Callable[..., Path]
) -> None:
    """The listening program waits for a client that configures; a disconnect sent right behind
    configurationDone used to leave it waiting for another client for ever (now and then, seen on
    3.15 in CI): the client had configured, but its session was over before the program looked."""
    program = make_program('print("ran to the end")')
    for _ in range(12):
        listening = ListeningProgram(program)
        async with DapClient.connect(adapter.host, adapter.port) as client:
            await client.initialize()
            # with the output copy (attach's default): the program's print races its removal at the
            # detach, which once made print write through a freed wrapper (agent/output.py keeps them)
            address = {"connect": {"port": listening.port}, "accessToken": listening.token}
            attached = await client.send_request("attach", address)
            await client.wait_for_event("initialized")
            configured = await client.send_request("configurationDone")
            detached = await client.send_request("disconnect", {})  # before attach's answer, which follows configuring
            for pending in (configured, attached, detached):
                await pending
        assert listening.finish() == (0, "ran to the end\n", "")


@pytest.mark.parametrize("form", ["connect", "top-level", "text port"])
async def test_disconnecting_from_an_attached_program_lets_it_run_on(
    client: DapClient, make_program: Callable[..., Path], form: str
) -> None:
    """Both address forms: ``connect: {port}`` and debugpy's older top-level ``host``/``port``; and a
    port given as text, as VS Code's ``${input:...}`` variables give it."""
    program = make_program("""
        import time
        time.sleep(0.5)
        print("ran to the end")
    """)
    listening = ListeningProgram(program)
    address: dict[str, Any] = {
        "connect": {"connect": {"port": listening.port}},
        "top-level": {"host": "127.0.0.1", "port": listening.port},
        "text port": {"connect": {"host": "127.0.0.1", "port": f" {listening.port}"}},
    }[form]
    attached = await client.send_request("attach", {**address, "accessToken": listening.token})
    await client.wait_for_event("initialized")
    await client.configuration_done()
    await attached
    await client.disconnect()  # terminateDebuggee defaults to false for attach: it must not die
    assert listening.finish() == (0, "ran to the end\n", "")


async def test_attach_to_nothing_fails_clearly_and_the_session_still_works(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(DapError, match=f"could not connect to 127.0.0.1:{port}.*--listen"):
        await client.attach(connect={"host": "127.0.0.1", "port": port}, accessToken="any")
    program = make_program("print('launch after a failed attach')")
    assert await client.run_to_end(program=str(program)) == 0


async def test_terminate_ends_a_debuggee_running_in_a_terminal(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    program = make_program("import time; time.sleep(60)")
    await client.configuration_sequence(program=str(program), console="integratedTerminal")
    await client.terminate()
    await client.wait_for_event("terminated")
    (terminal,) = client.terminal_processes
    assert terminal.wait(timeout=10) == -signal.SIGTERM


@pytest.mark.parametrize("packaging", ["directory", "zip"])
async def test_a_directory_or_zip_with_main_runs_as_under_plain_python(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path, packaging: str
) -> None:
    main = make_program(REPORT, name="app/__main__.py")
    target = main.parent
    if packaging == "zip":
        target = Path(shutil.make_archive(str(tmp_path / "app"), "zip", main.parent))
    code, stdout, stderr = await debug(client, program=str(target), args=["z"], cwd=str(tmp_path))
    plain = plain_python([str(target), "z"], tmp_path, {})
    assert (code, stderr) == (0, "")
    assert json.loads(stdout) == json.loads(plain.stdout)


async def test_a_detached_program_keeps_printing_after_a_stdio_adapter_exits(
    make_program: Callable[..., Path], tmp_path: Path
) -> None:
    """Over stdio the adapter ends with the session, closing the output pipes: printing must not fail."""
    done = tmp_path / "done.txt"
    program = printing_on_after_detach(make_program, done)
    async with DapClient.spawn(adapter_command()) as client:
        await client.initialize()
        await client.configuration_sequence(program=str(program))
        await client.wait_for_output("started")
        await client.disconnect(terminate_debuggee=False)
    assert await wait_for_file(done) == "finished\n"


async def test_no_debug_runs_the_program_without_the_debugger(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    program = make_program("""
        import sys
        x = 1  # a breakpoint here must not stop
        print(sys.monitoring.get_tool(sys.monitoring.DEBUGGER_ID))
    """)
    launched = await client.launch(program=str(program), noDebug=True)
    await client.wait_for_event("initialized")
    await client.set_breakpoints(program, [2])
    await client.configuration_done()
    await launched
    assert (await client.wait_for_event("exited"))["body"]["exitCode"] == 0
    assert client.output("stdout") == "None\n"
    assert not any(event["event"] == "stopped" for event in client.events)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "after\n"),  # breakpoint() does nothing, as with PYTHONBREAKPOINT=0
        ({"PYTHONBREAKPOINT": ""}, "after\n"),  # empty is python's default
        ({"PYTHONBREAKPOINT": "builtins.print"}, "\nafter\n"),  # the user's own choice is kept
    ],
)
async def test_no_debug_breakpoint_call_does_nothing_unless_the_user_chose_a_hook(
    client: DapClient, make_program: Callable[..., Path], env: dict[str, str], expected: str
) -> None:
    program = make_program("""
        breakpoint()
        print("after")
    """)
    assert await client.run_to_end(program=str(program), noDebug=True, env=env) == 0, client.output("stderr")
    assert (client.output("stdout"), client.output("stderr")) == (expected, "")


async def test_variable_presentation_hides_or_groups_an_objects_members(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    program = make_program("""
        class Point:
            def __init__(self):
                self.x = 1
                self._cache = 2

            def norm(self):
                return self.x

        point = Point()
        print("done")  # line 10
    """)
    stopped = await client.launch_and_stop(
        {program: [10]}, program=str(program), variablePresentation={"special": "hide", "protected": "group"}
    )
    (frame, *_) = await client.stack_trace(stopped["body"]["threadId"])

    async def members(expression: str) -> dict[str, dict[str, Any]]:
        reference = (await client.evaluate(expression, frame["id"]))["variablesReference"]
        return {v["name"]: v for v in await client.variables(reference)}

    point, point_class = await members("point"), await members("Point")
    for listed in (point, point_class):
        assert "special variables" not in listed and not any(name.startswith("__") for name in listed), listed
    assert set(point) == {"x", "protected variables"}, point
    protected = await client.variables(point["protected variables"]["variablesReference"])
    assert [(v["name"], v["value"]) for v in protected] == [("_cache", "2")]
    assert set(point_class) == {"function variables"}, point_class  # "function" kept its default: group
    functions = await client.variables(point_class["function variables"]["variablesReference"])
    assert [v["name"] for v in functions] == ["norm"]

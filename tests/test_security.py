"""The attacks of issue 16, run on loopback: every listener lets in only who proves it knows the secret.

"Another local user" is a second process that knows what a user could learn (the port, from the
command line) but not the secret (in the debuggee's environment, readable by its owner only); run
as root, the tests start it as uid 65534 (nobody), as issue 16 did. It connects first and tries
what a debugger would do; it must learn nothing, change nothing, and block nobody.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import AdapterProcess
from test_launch import ListeningProgram

from monadapter.agent import auth
from monadapter.agent.wire import MessageReader, encode
from monadapter.client import DapClient, DapConnectionClosed, DapError

SECRET_VALUE = "API-TOKEN-sk-42"

#: A stranger: connects to PORT first, says what an agent (or an adapter) would, says "ready" on
#: stderr, then writes every message it gets until the connection ends to stdout, as JSON.
#: Standard library only, any Python 3: it runs as another user where the tests can make one.
STRANGER = textwrap.dedent("""
    import json, os, socket, sys
    port, role = int(sys.argv[1]), sys.argv[2]
    def frame(message):
        body = json.dumps(message).encode()
        return b"Content-Length: %d\\r\\n\\r\\n" % len(body) + body
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    if role == "agent":  # impersonate the launched agent
        attempts = [
            {"seq": 1, "type": "event", "event": "monadapter/hello", "body": {"pid": 1, "pythonVersion": [3, 13, 0]}},
            {"seq": 2, "type": "event", "event": "output", "body": {"category": "stdout", "output": "INJECTED\\n"}},
        ]
    else:  # pretend to be the adapter attaching, and run code in the program
        attempts = [
            {"seq": 1, "type": "request", "command": "monadapter/configure", "arguments": {}},
            {"seq": 2, "type": "request", "command": "evaluate", "arguments": {"expression": "__import__('os').getpid()"}},
            {"seq": 3, "type": "request", "command": "configurationDone"},
        ]
    try:
        for attempt in attempts:
            sock.sendall(frame(attempt))
    except OSError:
        pass
    print("ready as uid", os.getuid(), file=sys.stderr, flush=True)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    received = []
    while data:
        header, _, rest = data.partition(b"\\r\\n\\r\\n")
        length = int(header.split(b":")[1])
        received.append(json.loads(rest[:length]))
        data = rest[length:]
    print(json.dumps(received))
""")
ROOT = str(Path(auth.__file__).resolve().parents[2])
#: The uid issue 16 ran its attacker as, when the tests run as root and a Python it may run exists.
NOBODY = 65534
SYSTEM_PYTHON = "/usr/bin/python3"


def as_nobody() -> bool:
    """Whether the stranger runs as another user: we are root and have a Python it may run."""
    return os.getuid() == 0 and os.access(SYSTEM_PYTHON, os.X_OK)


def stranger_command(port: int, role: str) -> tuple[list[str], dict[str, Any]]:
    """The stranger's argv and Popen options: another user (nobody, with the system's Python) when
    we are root, else this user in a process of its own."""
    options: dict[str, Any] = {"cwd": "/", "env": {"PATH": os.defpath}}
    if as_nobody():
        options.update(user=NOBODY, group=NOBODY, extra_groups=[])
        return [SYSTEM_PYTHON, "-c", STRANGER, str(port), role], options
    return [sys.executable, "-c", STRANGER, str(port), role], options


def start_stranger(port: int, role: str) -> subprocess.Popen[str]:
    """Start the stranger and wait until it connected and made its attempts."""
    argv, options = stranger_command(port, role)
    stranger = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **options)
    assert stranger.stderr is not None
    assert stranger.stderr.readline() == f"ready as uid {NOBODY if as_nobody() else os.getuid()}\n"
    return stranger


def stranger_report(stranger: subprocess.Popen[str]) -> list[dict[str, Any]]:
    """What the stranger received, once it was dropped."""
    stdout, stderr = stranger.communicate(timeout=30)
    assert stranger.returncode == 0, stderr
    return json.loads(stdout)


def only_a_challenge(received: list[dict[str, Any]]) -> bool:
    return [(message.get("event"), sorted(message.get("body", {}))) for message in received] == [
        (auth.CHALLENGE, ["nonce"])
    ]


#: The launch "interpreter": the real one, but a stranger connects to the agent's port first (its
#: report goes to a file: the agent that the interpreter becomes does not keep our pipes).
RACING_PYTHON = """
import json, os, subprocess, sys
if sys.argv[1] == "-c":  # the adapter asking our version
    os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
port = int(sys.argv[sys.argv.index("--connect") + 1].rsplit(":", 1)[1])
argv, options = json.loads({command!r})
argv[argv.index("PORT")] = str(port)
with open({report!r}, "w") as report:
    stranger = subprocess.Popen(argv, stdout=report, stderr=subprocess.PIPE, text=True, **options)
assert stranger.stderr.readline().startswith("ready as uid")
os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
"""


async def test_a_stranger_who_connects_first_to_the_launch_port_gets_nothing_and_cannot_pose_as_the_agent(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    """Issue 16: in 20 of 20 runs another user connected first, received monadapter/configure with
    the launch's env (API_TOKEN) and injected output into the session."""
    report = tmp_path / "stranger.json"
    command = json.dumps(stranger_command(0, "agent")).replace('"0", "agent"', '"PORT", "agent"')
    racing = make_program(RACING_PYTHON.format(command=command, report=str(report)), "racing.py")
    program = make_program("import os\nprint('token seen', os.environ['API_TOKEN'] == 'API-TOKEN-sk-42')  # line 2\n")
    await client.configuration_sequence(
        {program: [2]}, program=str(program), python=[sys.executable, str(racing)], env={"API_TOKEN": SECRET_VALUE}
    )
    stopped = await client.wait_for_event("stopped")
    await client.continue_(stopped["body"]["threadId"])
    await client.wait_for_event("terminated")
    assert client.output("stdout") == "token seen True\n"  # the program's, and nothing injected
    received = json.loads(report.read_text())
    assert only_a_challenge(received), received
    assert SECRET_VALUE not in report.read_text()


async def test_a_stranger_who_connects_first_to_a_listening_program_runs_no_code(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    """Issue 16: another user connected first to ``--listen 127.0.0.1:PORT`` and evaluated code."""
    program = make_program("print('ran for the real debugger')")
    listening = ListeningProgram(program)
    stranger = start_stranger(listening.port, "adapter")
    assert only_a_challenge(stranger_report(stranger))
    with pytest.raises(DapError, match="did not accept the access token"):
        await client.attach(connect={"port": listening.port}, accessToken="a guess")
    attached = await client.send_request(
        "attach", {"connect": {"port": listening.port}, "accessToken": listening.token}
    )
    await client.wait_for_event("initialized")
    await client.configuration_done()
    await attached
    await client.wait_for_event("terminated")
    assert listening.finish() == (0, "ran for the real debugger\n", "")


async def test_attach_without_an_access_token_is_refused_with_what_to_give(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    listening = ListeningProgram(make_program("print('ran')"))
    with pytest.raises(DapError, match="requires an access token: give it as accessToken"):
        await client.attach(connect={"port": listening.port})
    listening.process.kill()
    listening.finish()


def test_listen_takes_the_token_from_its_option_or_the_environment_and_hides_it_from_the_program(
    make_program: Callable[..., Path],
) -> None:
    program = make_program("import os, sys; print(os.environ.get('MONADAPTER_ACCESS_TOKEN'), sys.argv[1:])")
    for options, environment in ((["--access-token", "given"], {}), ([], {auth.TOKEN_ENV: "given"})):
        process = subprocess.Popen(
            [sys.executable, "-m", "monadapter.agent", "--listen", "127.0.0.1:0", *options, str(program), "arg"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **environment},
        )
        assert process.stderr is not None
        port = int(process.stderr.readline().rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            reader = auth.connect(sock, "given")
            hello = read_message(sock, reader)
            assert hello["event"] == "monadapter/hello"
            for seq, command in enumerate(("monadapter/configure", "configurationDone"), start=1):
                sock.sendall(encode({"seq": seq, "type": "request", "command": command, "arguments": {}}))
                while read_message(sock, reader).get("request_seq") != seq:
                    pass
            stdout, stderr = process.communicate(timeout=30)
        assert (stdout, stderr) == ("None ['arg']\n", "")


def read_message(sock: socket.socket, reader: MessageReader) -> dict[str, Any]:
    while (message := reader.next_message()) is None:
        reader.feed(sock.recv(65536))
    assert isinstance(message, dict)
    return message


async def test_a_stranger_who_connects_first_to_a_child_process_runs_no_code_in_it(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    """Issue 16: the listener a debugged child opens for its session (subProcess) was taken by another user."""
    child = make_program("print('child ran')", "child.py")
    parent = make_program(f"import subprocess, sys\nsubprocess.run([sys.executable, {str(child)!r}], check=True)\n")
    client.follow_children = True
    await client.configuration_sequence(program=str(parent))
    start = await client.wait_for_child(timeout=20)
    configuration = start["configuration"]
    stranger = start_stranger(configuration["connect"]["port"], "adapter")
    assert only_a_challenge(stranger_report(stranger))
    async with client.attached_child(start) as child_session:
        await child_session.wait_for_event("terminated", timeout=20)
    await client.wait_for_event("terminated", timeout=20)
    assert client.output("stdout") == "child ran\n"


async def test_a_stranger_who_knows_the_notify_port_starts_no_child_session(client: DapClient, make_program) -> None:
    """The child notify listener (its address is in the debuggee's environment): a stranger's notice
    asks the client for nothing."""
    program = make_program("""
        import os, socket, sys
        from monadapter.agent.wire import MessageReader, encode
        host, port, _ = os.environ["MONADAPTER_CHILD_NOTIFY"].split(":")
        body = {"pid": 1, "ppid": 1, "port": 9, "accessToken": "x", "name": "fake", "argv": []}
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(encode({"seq": 1, "type": "event", "event": "monadapter/child", "body": body}))
            while sock.recv(65536):
                pass
        print("dropped")
    """)
    client.follow_children = True
    env = {"PYTHONPATH": ROOT}
    assert await client.run_to_end(program=str(program), env=env) == 0
    assert client.output("stdout") == "dropped\n"
    assert not [request for request in client.reverse_requests if request["command"] == "startDebugging"]


# --- the adapter server -----------------------------------------------------------------------


async def test_a_server_with_an_access_token_debugs_nothing_for_a_client_without_it(
    make_program: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: ``--host 0.0.0.0`` accepted initialize + launch from any host. The same server on
    loopback, with a token (from its environment variable, which the program does not see): a client
    without it can initialize (public capabilities) and nothing else."""
    program = make_program("import os; print('seen', os.environ.get('MONADAPTER_ADAPTER_ACCESS_TOKEN'))")
    token = auth.new_token()
    monkeypatch.setenv("MONADAPTER_ADAPTER_ACCESS_TOKEN", token)
    server = AdapterProcess()
    try:
        async with DapClient.connect(server.host, server.port) as client:
            await client.initialize()
            with pytest.raises(DapError, match="needs its access token first"):
                await client.threads()
            with pytest.raises(DapError, match="access denied"):
                await client.request("launch", {"program": str(program)})
            with pytest.raises(DapConnectionClosed):
                await client.initialize()
        async with DapClient.connect(server.host, server.port) as client:
            await client.initialize()
            with pytest.raises(DapError, match="access denied"):
                await client.request("attach", {"connect": {"port": 9}, "adapterAccessToken": token + "x"})
        async with DapClient.connect(server.host, server.port) as client:
            await client.initialize()
            assert await client.run_to_end(program=str(program), adapterAccessToken=token) == 0
            assert client.output("stdout") == "seen None\n"
    finally:
        server.stop()


def test_a_server_on_a_host_that_is_not_loopback_is_refused_without_a_token() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "monadapter", "--port", "0", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=30,
        env={key: value for key, value in os.environ.items() if not key.endswith("ACCESS_TOKEN")},
    )
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0" in result.stderr and "--allow-unauthenticated" in result.stderr


# --- logs ---------------------------------------------------------------------------------------


async def test_log_files_are_private_and_hold_no_env_values_or_tokens(
    tmp_path: Path, make_program: Callable[..., Path]
) -> None:
    """Issue 16: --log-dir wrote files 0644 in a 0755 folder, with the launch env (secrets) in them."""
    logs = tmp_path / "new" / "logs"
    program = make_program("import os; print(len(os.environ['API_TOKEN']))")
    token = auth.new_token()
    # one "=": a token may start with "-" (URL-safe base64), which a separate argument would make an option
    server = AdapterProcess("--log-dir", str(logs), f"--access-token={token}")
    try:
        async with DapClient.connect(server.host, server.port) as client:
            await client.initialize()
            arguments = {"env": {"API_TOKEN": SECRET_VALUE}, "adapterAccessToken": token}
            assert await client.run_to_end(program=str(program), **arguments) == 0
            assert client.output("stdout") == f"{len(SECRET_VALUE)}\n"
    finally:
        server.stop()
    assert stat.S_IMODE(logs.stat().st_mode) == 0o700
    (log,) = logs.iterdir()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    text = log.read_text()
    assert SECRET_VALUE not in text and token not in text
    assert '"API_TOKEN": "<redacted>"' in text


def test_messages_of_the_handshake_carry_no_secret() -> None:
    """What a stranger sees (the challenge) and what goes over the wire (proofs) never hold the secret."""
    listener, connector = auth.ListenerSide("s3cret"), auth.ConnectorSide("s3cret")
    reader = MessageReader()
    reader.feed(listener.challenge())
    challenge = reader.next_message()
    answer = connector.answer(challenge)  # type: ignore[arg-type]
    reader.feed(answer)
    acceptance = listener.check(reader.next_message())  # type: ignore[arg-type]
    reader.feed(acceptance)
    connector.check(reader.next_message())  # type: ignore[arg-type]
    assert all(b"s3cret" not in frame for frame in (listener.challenge(), answer, acceptance))
    assert encode({"x": 1})

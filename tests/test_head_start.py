"""The head start (adapter/headstart.py): the debuggee of a launch the client sent right after the
early ``initialize`` starts while the adapter still imports; the session keeps it only when its own
validated plan runs the same thing, and kills it otherwise."""

from __future__ import annotations

import os
import select
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from monadapter.adapter.early import EarlyStart
from monadapter.adapter.errors import LaunchError
from monadapter.adapter.headstart import FIELDS, UNREAD, HeadStart, certain_launch, start
from monadapter.adapter.launch import LaunchArguments, parse_arguments
from monadapter.adapter.messagelog import MessageLog
from monadapter.adapter.plan import NOTIFY_ENV, make_plan
from monadapter.agent import auth
from monadapter.agent.wire import MessageReader, encode
from monadapter.client import DapClient, adapter_command

PROGRAM = "import os\nprint('pid', os.getpid())\nvalue = 42\nprint('done', value)\n"


def launch(arguments: Any, **fields: Any) -> dict[str, Any]:
    return {"seq": 2, "type": "request", "command": "launch", "arguments": arguments, **fields}


@pytest.mark.unit
def test_the_head_starts_fields_and_defaults_are_the_launch_models() -> None:
    fields = LaunchArguments.model_fields
    assert set(FIELDS) | set(UNREAD) == {field.alias or name for name, field in fields.items()}
    for name, (_kind, default) in FIELDS.items():
        assert fields[name].get_default(call_default_factory=True) == default, name


def certain(tmp_path: Path) -> list[dict[str, Any]]:
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    return [
        launch({"program": str(program)}),
        launch({"program": "prog.py", "cwd": str(tmp_path), "args": ["a", "b c"], "env": {"X": "1", "Y": None}}),
        launch({"module": "json.tool", "pythonArgs": ["-X", "utf8"], "justMyCode": False, "evaluateTimeout": 0}),
        launch({"code": "pass", "noDebug": True, "subProcess": False, "redirectOutput": False}),
        launch({"program": str(program), "type": "python", "name": "x", "__sessionId": "s", "python": None}),
        launch({"program": str(program), "console": "internalConsole", "evaluateTimeout": 2.5, "stopOnEntry": True}),
    ]


UNSURE = [
    launch({}),
    launch({"program": "a.py", "module": "m"}),
    launch({"module": "m", "args": "a b"}),  # a shell splits it
    launch({"module": "m", "args": ["a", 1]}),
    launch({"module": "m", "python": sys.executable}),
    launch({"module": "m", "console": "integratedTerminal"}),
    launch({"module": "m", "justMyCode": 1}),
    launch({"module": "m", "evaluateTimeout": -1}),
    launch({"module": "m", "evaluateTimeout": True}),
    launch({"module": "m", "evaluateTimeout": float("nan")}),
    launch({"module": "m", "env": {"X": 1}}),
    launch({"module": "m", "rules": [{"module": "m", "include": True}]}),
    launch({"module": "m", "pathMappings": []}),
    launch({"module": "m", "debugOptions": ["x"]}),
    launch({"module": "m"}, seq=-1),
    launch({"module": "m"}, command="attach"),
    launch(None),
]


@pytest.mark.unit
def test_what_the_head_start_is_certain_of_the_models_accept_and_plan_alike(tmp_path: Path) -> None:
    for message in certain(tmp_path):
        arguments = certain_launch(message)
        assert arguments is not None, message
        raw = message["arguments"]
        ours = make_plan(arguments, raw)
        theirs = make_plan(parse_arguments(LaunchArguments, raw, "launch"), raw)
        assert (ours.command(1), ours.cwd, ours.env) == (theirs.command(1), theirs.cwd, theirs.env)


@pytest.mark.unit
@pytest.mark.parametrize("message", UNSURE, ids=range(len(UNSURE)))
def test_anything_else_gets_no_head_start(message: dict[str, Any]) -> None:
    assert certain_launch(message) is None
    try:
        parse_arguments(LaunchArguments, message.get("arguments"), "launch")  # type: ignore[arg-type]
    except LaunchError:
        pass  # invalid: the session says so, as before


def early_with(data: bytes, client: dict[str, Any]) -> tuple[EarlyStart, int]:
    """An early start whose client already sent ``data`` after the initialize (a pipe as stdin)."""
    read_fd, write_fd = os.pipe()
    os.write(write_fd, data)
    os.close(write_fd)
    return EarlyStart(MessageReader(), MessageLog.open(None), client, 1), read_fd


def head_started(tmp_path: Path, client: dict[str, Any]) -> tuple[HeadStart, MessageReader, dict[str, Any]]:
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    message = launch({"program": str(program), "env": {"MONADAPTER_TEST": "1"}})
    early, fd = early_with(encode(message), client)
    try:
        head = start(early, fd)
    finally:
        os.close(fd)
    assert head is not None
    return head, early.reader, message


def test_the_launch_stays_for_the_session_to_read(tmp_path: Path) -> None:
    head, reader, message = head_started(tmp_path, {"adapterID": "x"})
    try:
        assert reader.next_message() == message
    finally:
        head.discard()


def test_the_session_keeps_the_process_only_when_its_plan_runs_the_same(tmp_path: Path) -> None:
    head, _reader, message = head_started(tmp_path, {"adapterID": "x", "supportsStartDebuggingRequest": True})
    try:
        notify = head.take_notify()
        assert notify is not None  # children are followed: their listener is named in the environment
        port, token = notify[0].getsockname()[1], notify[1]
        raw = message["arguments"]
        plan = make_plan(parse_arguments(LaunchArguments, raw, "launch"), raw)
        assert head.fits(plan.with_env(**{NOTIFY_ENV: f"127.0.0.1:{port}:{token}"}))
        assert not head.fits(plan.with_env(**{NOTIFY_ENV: None}))
        assert not head.fits(plan.with_env(**{NOTIFY_ENV: f"127.0.0.1:{port}:{token}"}, MONADAPTER_TEST="2"))
        assert head.plan.env[auth.SECRET_ENV] == head.secret
        notify[0].close()
    finally:
        head.discard()


def test_a_discarded_head_start_is_killed_and_its_listener_closed(tmp_path: Path) -> None:
    head, _reader, _message = head_started(tmp_path, {"adapterID": "x"})
    assert head.notify is None  # the client cannot start child sessions
    head.discard()
    assert head.process.returncode == -signal.SIGKILL
    assert head.listener.fileno() == -1


@pytest.mark.unit
def test_no_head_start_for_a_program_that_is_not_there(tmp_path: Path) -> None:
    early, fd = early_with(encode(launch({"program": str(tmp_path / "missing.py")})), {"adapterID": "x"})
    try:
        assert start(early, fd) is None
    finally:
        os.close(fd)


async def test_a_launch_sent_with_initialize_runs_and_stops_as_any_launch(tmp_path: Path) -> None:
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    async with DapClient.spawn(adapter_command()) as client:
        initialized = await client.send_request("initialize", {"adapterID": "x", "supportsStartDebuggingRequest": True})
        launched = await client.send_request("launch", {"program": str(program), "env": {"MONADAPTER_TEST": "1"}})
        await initialized
        await client.wait_for_event("initialized")
        await client.set_breakpoints(program, [4])
        await client.configuration_done()
        await launched
        stopped = (await client.wait_for_event("stopped"))["body"]
        assert stopped["reason"] == "breakpoint"
        frames = (await client.request("stackTrace", {"threadId": stopped["threadId"]}))["stackFrames"]
        assert (frames[0]["line"], frames[0]["source"]["path"]) == (4, str(program))
        await client.continue_(stopped["threadId"])
        assert (await client.wait_for_event("exited"))["body"]["exitCode"] == 0
        assert "done 42" in client.output("stdout")


#: The debuggee's sitecustomize (on its PYTHONPATH): with a tool id of its own it watches the main
#: thread's calls until the first ``recv`` of a socket, the agent waiting for the listener's challenge
#: (the handshake's first step), and prints which tool holds the debugger's id at that moment.
HANDSHAKE_PROBE = """
import _thread, sys
M = sys.monitoring
MAIN = _thread.get_ident()

def on_call(code, offset, called, arg0):
    if getattr(called, "__name__", None) == "recv" and _thread.get_ident() == MAIN:
        M.set_events(M.OPTIMIZER_ID, 0)
        print("debugger at the handshake:", M.get_tool(M.DEBUGGER_ID), file=sys.stderr, flush=True)

M.use_tool_id(M.OPTIMIZER_ID, "handshake-probe")
M.register_callback(M.OPTIMIZER_ID, M.events.CALL, on_call)
M.set_events(M.OPTIMIZER_ID, M.events.CALL)
"""


def test_a_launched_agent_starts_its_debugger_before_the_handshake(tmp_path: Path) -> None:
    """architecture.md, "Launching the debuggee": the launcher connects, starts the debugger (while an
    adapter that gave it a head start may still be importing), then authenticates; it sends nothing
    before the handshake, and its hello is the first message after it."""
    (tmp_path / "sitecustomize.py").write_text(HANDSHAKE_PROBE)
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    message = launch({"program": str(program), "env": {"PYTHONPATH": str(tmp_path)}})
    early, fd = early_with(encode(message), {"adapterID": "x"})
    try:
        head = start(early, fd)
    finally:
        os.close(fd)
    assert head is not None
    try:
        assert select.select([head.listener], [], [], 30)[0], "the agent did not connect"
        sock, _address = head.listener.accept()
        with sock:
            sock.settimeout(30)
            side = auth.ListenerSide(head.secret)
            reader = MessageReader()
            sock.sendall(side.challenge())
            sock.sendall(side.check(next_message(sock, reader)))
            hello = next_message(sock, reader)
            assert (hello.get("type"), hello.get("event")) == ("event", "monadapter/hello")
        _out, err = head.process.communicate(timeout=30)  # a launched program ends with its adapter
        assert "debugger at the handshake: monadapter" in err.decode(), err.decode()
    finally:
        head.discard()


def next_message(sock: socket.socket, reader: MessageReader) -> dict[str, Any]:
    """The next message on ``sock`` (a timeout set), which must be a JSON object."""
    while (message := reader.next_message()) is None:
        data = sock.recv(65536)
        assert data, "the agent hung up"
        reader.feed(data)
    assert isinstance(message, dict), message
    return message

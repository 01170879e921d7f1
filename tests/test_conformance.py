"""DAP conformance: the schema checker itself, then a real session whose every message it checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import AdapterAddress
from dap_schema import read_log, validate_log_dir, validate_outgoing, validate_session

from monadapter.adapter.messagelog import ADAPTER_TO_CLIENT, CLIENT_TO_ADAPTER, MessageLog
from monadapter.client import DapClient, DapError


def response(seq: int, request_seq: int, command: str, body: Any = None, **fields: Any) -> dict[str, Any]:
    message = {"seq": seq, "type": "response", "request_seq": request_seq, "success": True, "command": command}
    if body is not None:
        message["body"] = body
    return {**message, **fields}


def event(seq: int, name: str, body: Any = None) -> dict[str, Any]:
    message = {"seq": seq, "type": "event", "event": name}
    if body is not None:
        message["body"] = body
    return message


def client_request(seq: int, command: str, arguments: Any = None) -> dict[str, Any]:
    message = {"seq": seq, "type": "request", "command": command}
    if arguments is not None:
        message["arguments"] = arguments
    return message


FRAME = {"id": 1, "name": "main", "line": 3, "column": 1, "source": {"path": "/tmp/app.py"}}

GOOD_SESSION = [
    response(1, 1, "initialize", {"supportsConfigurationDoneRequest": True}),
    event(2, "initialized"),
    response(3, 2, "setBreakpoints", {"breakpoints": [{"verified": True, "line": 3}]}),
    response(4, 3, "configurationDone"),
    response(5, 4, "launch"),
    event(6, "stopped", {"reason": "breakpoint", "threadId": 1, "allThreadsStopped": True}),
    response(7, 5, "stackTrace", {"stackFrames": [FRAME], "totalFrames": 1}),
    {**response(8, 6, "evaluate", {"error": {"id": 1, "format": "name 'y' is not defined"}}), "success": False},
    event(9, "output", {"category": "stdout", "output": "hi\n"}),
    event(10, "exited", {"exitCode": 0}),
    event(11, "terminated"),
]


@pytest.mark.unit
def test_a_conforming_session_has_no_problems() -> None:
    assert validate_outgoing(GOOD_SESSION) == []


@pytest.mark.unit
def test_a_missing_required_body_field_is_named() -> None:
    problems = validate_outgoing([response(1, 1, "stackTrace", {"totalFrames": 0})])
    assert problems == ["seq 1 (stackTrace response): StackTraceResponse.body: 'stackFrames' is a required property"]


@pytest.mark.unit
def test_wrong_types_deep_in_a_body_are_found() -> None:
    frame = {**FRAME, "line": "3"}
    problems = validate_outgoing([response(1, 1, "stackTrace", {"stackFrames": [frame]})])
    assert problems == [
        "seq 1 (stackTrace response): StackTraceResponse.body.stackFrames[0].line: '3' is not of type 'integer'"
    ]


@pytest.mark.unit
def test_an_event_without_its_body_is_a_problem() -> None:
    problems = validate_outgoing([event(1, "stopped")])
    assert problems == ["seq 1 (stopped event): StoppedEvent: 'body' is a required property"]


@pytest.mark.unit
def test_failed_responses_are_checked_as_error_responses() -> None:
    """ErrorResponse requires a body (its ``error`` is optional): a bare failure does not conform."""
    bare = {**response(1, 1, "evaluate"), "success": False, "message": "boom"}
    wrong = {**response(2, 2, "evaluate", {"error": "boom"}), "success": False}
    assert validate_outgoing([bare, wrong]) == [
        "seq 1 (evaluate response): ErrorResponse: 'body' is a required property",
        "seq 2 (evaluate response): ErrorResponse.body.error: 'boom' is not of type 'object'",
    ]


@pytest.mark.unit
def test_messages_the_schema_does_not_define_are_problems() -> None:
    problems = validate_outgoing(
        [event(1, "monadapter/hello", {"pid": 1}), response(2, 1, "frobnicate"), {"seq": 3, "type": "note"}]
    )
    assert problems == [
        "seq 1 (monadapter/hello event): event 'monadapter/hello', which the schema does not define",
        "seq 2 (frobnicate response): response to 'frobnicate', a command the schema does not define",
        "seq 3 (None note): 'type' is 'note', not 'response', 'event' or 'request'",
    ]


@pytest.mark.unit
def test_seq_must_increase_and_start_at_one() -> None:
    problems = validate_outgoing([event(0, "initialized"), event(2, "initialized"), event(2, "initialized")])
    assert problems == [
        "seq 0 (initialized event): InitializedEvent.seq: 0 is less than the minimum of 1",
        "seq 2 (initialized event): seq does not increase (previous message had seq 2)",
    ]


def test_every_request_gets_exactly_one_matching_response() -> None:
    lines = [
        {"direction": CLIENT_TO_ADAPTER, "message": client_request(1, "initialize", {"adapterID": "x"})},
        {"direction": CLIENT_TO_ADAPTER, "message": client_request(2, "threads")},
        {"direction": CLIENT_TO_ADAPTER, "message": client_request(3, "pause", {"threadId": 1})},
        {"direction": ADAPTER_TO_CLIENT, "message": response(1, 1, "initialize", {})},
        {"direction": ADAPTER_TO_CLIENT, "message": response(2, 2, "stackTrace", {"stackFrames": []})},
        {"direction": ADAPTER_TO_CLIENT, "message": response(3, 1, "initialize", {})},
        {"direction": CLIENT_TO_ADAPTER, "message": {"seq": 4, "type": "request"}},
        {"direction": ADAPTER_TO_CLIENT, "message": {**response(4, 4, "", {}), "success": False}},
    ]
    assert validate_session(lines) == [
        "seq 2 (stackTrace response): answers request 2 which was 'threads'",
        "seq 3 (initialize response): answers request_seq 1, which is no open request",
        "request seq 3 (pause) got no response",
    ]


def test_session_logs_written_by_the_adapter_are_read_and_checked(tmp_path: Path) -> None:
    """The adapter's own MessageLog writes the files, so the two agree on the format."""
    log = MessageLog.open(tmp_path)
    log.record(CLIENT_TO_ADAPTER, client_request(1, "initialize", {"adapterID": "x"}))
    log.record(ADAPTER_TO_CLIENT, response(1, 1, "initialize", {}))
    log.record(CLIENT_TO_ADAPTER, client_request(2, "threads"))
    log.record(ADAPTER_TO_CLIENT, response(2, 2, "threads", {"threads": [{"id": 1}]}))
    log.record_error("client", "message body is not valid UTF-8 JSON")
    log.close()
    (path,) = tmp_path.glob("session-*.jsonl")
    assert [line["direction"] for line in read_log(path)][-1] == "error"
    assert validate_log_dir(tmp_path) == {
        path.name: ["seq 2 (threads response): ThreadsResponse.body.threads[0]: 'name' is a required property"]
    }


# --- a real session -------------------------------------------------------------------------

PROGRAM = """
def greet(name):
    message = "hello " + name
    return message

items = [1, 2, 3]
print(greet("world"))
"""


async def test_every_message_of_a_real_session_meets_the_schema(
    adapter: AdapterAddress, make_program: Callable[..., Path]
) -> None:
    """A session through most of what the adapter serves, every message checked against the schema.

    launch, breakpoint, threads, stack, scopes, variables, evaluate (good and bad), an unknown
    command, setVariable, completions, modules, loadedSources, step, continue, exit.

    The ``adapter`` fixture checks its logs at teardown too; checking here as well makes the
    claim this test is about fail in its own body, with the session's coverage asserted alongside.
    """
    program = make_program(PROGRAM)
    async with DapClient.connect(adapter.host, adapter.port) as client:
        await client.initialize()
        stopped = await client.launch_and_stop({program: [2]}, program=str(program))
        thread_id = stopped["body"]["threadId"]
        assert [thread["id"] for thread in await client.threads()] == [thread_id]
        frames = await client.stack_trace(thread_id)
        assert (frames[0]["name"], frames[0]["line"]) == ("greet", 2)
        scopes = await client.scopes(frames[0]["id"])
        locals_reference = scopes[0]["variablesReference"]
        local_names = [v["name"] for v in await client.variables(locals_reference)]
        assert "name" in local_names
        assert (await client.evaluate("name", frames[0]["id"]))["result"] == "'world'"
        with pytest.raises(DapError):
            await client.evaluate("no_such_name", frames[0]["id"])
        with pytest.raises(DapError):
            await client.request("noSuchCommand", {})
        await client.request(
            "setVariable", {"variablesReference": locals_reference, "name": "name", "value": "'there'"}
        )
        completions = await client.request("completions", {"text": "na", "column": 3, "frameId": frames[0]["id"]})
        assert "name" in [target["label"] for target in completions["targets"]]
        assert await client.request("modules", {})
        assert await client.request("loadedSources")
        await client.next(thread_id)
        assert (await client.wait_for_event("stopped"))["body"]["reason"] == "step"
        assert (await client.stack_trace(thread_id))[0]["line"] == 3
        await client.continue_(thread_id)
        assert int((await client.wait_for_event("exited"))["body"]["exitCode"]) == 0
        await client.wait_for_event("terminated")
        assert client.output("stdout") == "hello there\n"
        await client.disconnect()

    (log,) = adapter.log_dir.glob("session-*.jsonl")
    lines = read_log(log)
    sent = [line["message"] for line in lines if line["direction"] == ADAPTER_TO_CLIENT]
    answered = {message["command"] for message in sent if message["type"] == "response"}
    assert answered >= {
        "initialize",
        "launch",
        "setBreakpoints",
        "configurationDone",
        "threads",
        "stackTrace",
        "scopes",
        "variables",
        "evaluate",
        "noSuchCommand",
        "setVariable",
        "completions",
        "modules",
        "loadedSources",
        "next",
        "continue",
        "disconnect",
    }
    events = {message["event"] for message in sent if message["type"] == "event"}
    assert events >= {"initialized", "stopped", "output", "exited", "terminated"}
    assert validate_session(lines) == []

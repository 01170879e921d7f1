"""The first ``initialize`` on stdio is answered before anyio and pydantic load (adapter/early.py):
only when the schema's model certainly accepts it; anything else is answered by the session as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dap_schema import dap_log_dir  # noqa: F401 (a fixture: the session logs are schema-checked)

from monadapter.adapter.early import INITIALIZE_ARGUMENTS, certainly_valid
from monadapter.agent.wire import encode
from monadapter.client import DapClient, DapError, adapter_command
from monadapter.protocol import InitializeRequestArguments, RequestValidationError, parse_request

VS_CODE = {
    "clientID": "vscode",
    "clientName": "Visual Studio Code",
    "adapterID": "python",
    "pathFormat": "path",
    "linesStartAt1": True,
    "columnsStartAt1": True,
    "supportsVariableType": True,
    "supportsVariablePaging": True,
    "supportsRunInTerminalRequest": True,
    "locale": "en",
    "supportsProgressReporting": True,
    "supportsInvalidatedEvent": True,
    "supportsMemoryReferences": True,
    "supportsArgsCanBeInterpretedByShell": True,
    "supportsMemoryEvent": True,
    "supportsStartDebuggingRequest": True,
    "supportsANSIStyling": True,
}


def initialize(arguments: Any, **fields: Any) -> dict[str, Any]:
    return {"seq": 1, "type": "request", "command": "initialize", "arguments": arguments, **fields}


@pytest.mark.unit
def test_the_early_table_of_initialize_arguments_is_the_schemas() -> None:
    fields = InitializeRequestArguments.model_fields
    kinds, required = INITIALIZE_ARGUMENTS
    assert set(kinds) == set(fields)
    for name, expected in kinds.items():
        annotation = fields[name].annotation
        assert isinstance(expected, type) and annotation in (expected, expected | None), (name, annotation)
        assert fields[name].is_required() == (name in required) == (name == "adapterID"), name


CERTAIN = [
    initialize(VS_CODE),
    initialize({"adapterID": "python"}),
    initialize({"adapterID": "python", "clientID": None, "locale": None}),  # dap-python sends nulls
    initialize({"adapterID": "x", "someday": 3, "other": "text", "flag": False, "nothing": None}),
    initialize({"adapterID": "x"}, seq=0, extra={"nested": [1]}),
]
UNSURE_OR_INVALID = [
    initialize({}),
    initialize({"adapterID": 3}),
    initialize({"adapterID": "x", "linesStartAt1": "yes"}),
    initialize({"adapterID": "x", "linesStartAt1": 1}),
    initialize({"adapterID": "x", "clientName": 7}),
    initialize({"adapterID": "x", "nested": {"a": [1]}}),
    initialize(None),
    initialize(["adapterID"]),
    initialize({"adapterID": "x"}, seq=-1),
    initialize({"adapterID": "x"}, seq=True),
    initialize({"adapterID": "x"}, seq="1"),
    initialize({"adapterID": "x"}, type="event"),
    {"seq": 1, "type": "request", "command": "threads"},
    {"seq": 1, "type": "request", "command": "initialize"},
]


@pytest.mark.unit
@pytest.mark.parametrize("message", CERTAIN, ids=range(len(CERTAIN)))
def test_what_the_early_check_accepts_the_models_accept(message: dict[str, Any]) -> None:
    assert certainly_valid(message)
    assert parse_request(message).command == "initialize"


@pytest.mark.unit
@pytest.mark.parametrize("message", UNSURE_OR_INVALID, ids=range(len(UNSURE_OR_INVALID)))
def test_anything_else_is_left_to_the_models(message: dict[str, Any]) -> None:
    assert not certainly_valid(message)
    try:
        parse_request(message)
    except RequestValidationError:
        pass  # invalid: the session answers it with this error, as before


def session_log(log_dir: Path) -> list[dict[str, Any]]:
    (path,) = log_dir.glob("*.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


async def test_the_early_answer_is_the_sessions_first_message_and_the_session_goes_on(
    dap_log_dir: Path,  # noqa: F811
) -> None:
    async with DapClient.spawn([*adapter_command(), "--log-dir", str(dap_log_dir)]) as client:
        raw = encode(initialize(VS_CODE, seq=100))
        half = len(raw) // 2
        await client.send_raw(raw[:half])  # the first request may come in pieces
        await client.send_raw(raw[half:])
        answer = await client.response(100)
        assert answer["seq"] == 1 and answer["success"] and answer["body"]["supportsConditionalBreakpoints"]
        with pytest.raises(DapError, match="no debuggee is running"):
            await client.threads()
        disconnect = await client.disconnect()
        assert disconnect == {}
    messages = [(line["direction"], line["message"]) for line in session_log(dap_log_dir)]
    seqs = [message["seq"] for direction, message in messages if direction == "adapter->client"]
    assert seqs == list(range(1, len(seqs) + 1))
    assert [message.get("command") for _, message in messages[:2]] == ["initialize", "initialize"]


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"clientID": "x"}, "invalid arguments for 'initialize': adapterID: "),
        ({"adapterID": "python", "linesStartAt1": [True]}, "invalid arguments for 'initialize': linesStartAt1: "),
    ],
)
async def test_an_initialize_the_models_refuse_gets_their_error_as_before(arguments: Any, error: str) -> None:
    async with DapClient.spawn(adapter_command()) as client:
        with pytest.raises(DapError) as failed:
            await client.request("initialize", arguments)
        assert str(failed.value).startswith(error)
        assert (await client.initialize())["supportsConditionalBreakpoints"]


async def test_a_first_request_that_is_not_initialize_is_answered_by_the_session() -> None:
    async with DapClient.spawn(adapter_command()) as client:
        with pytest.raises(DapError, match="no debuggee is running"):
            await client.threads()
        assert (await client.initialize())["supportsConditionalBreakpoints"]

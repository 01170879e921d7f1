"""The configuration requests told valid without pydantic (adapter/certain.py): only what the models
certainly accept, handled as the models would have it; anything else is left to the models, whose
errors the client gets as before. The adapter imports pydantic only once the program runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from dap_schema import dap_log_dir  # noqa: F401 (a fixture: the session logs are schema-checked)

from monadapter.adapter import children
from monadapter.adapter.certain import (
    ARGUMENTS,
    FUNCTION_BREAKPOINT,
    OPTIONAL_ARGUMENTS,
    SOURCE,
    SOURCE_BREAKPOINT,
    STOP_REQUESTS,
    certain_request,
)
from monadapter.adapter.early import Shape
from monadapter.adapter.launch import AgentOptions
from monadapter.client import DapClient, DapError, adapter_command
from monadapter.protocol import REQUEST_COMMANDS, RequestValidationError, parse_request

PROGRAM = "import json\nvalue = json.dumps([1])\nprint('done', value)\n"


def request(command: str, arguments: Any = None, **fields: Any) -> dict[str, Any]:
    message = {"seq": 3, "type": "request", "command": command, **fields}
    if arguments is not None:
        message["arguments"] = arguments
    return message


def model_fields(model: str) -> dict[str, Any]:
    from monadapter import protocol

    return getattr(protocol, model).model_fields  # type: ignore[no-any-return]


@pytest.mark.unit
@pytest.mark.parametrize(
    ("shape", "model"),
    [
        (SOURCE, "Source"),
        (SOURCE_BREAKPOINT, "SourceBreakpoint"),
        (FUNCTION_BREAKPOINT, "FunctionBreakpoint"),
        (ARGUMENTS["setBreakpoints"], "SetBreakpointsArguments"),
        (ARGUMENTS["setFunctionBreakpoints"], "SetFunctionBreakpointsArguments"),
        (ARGUMENTS["setExceptionBreakpoints"], "SetExceptionBreakpointsArguments"),
        (ARGUMENTS["configurationDone"], "ConfigurationDoneArguments"),
    ],
)
def test_the_shapes_are_the_schemas(shape: Shape, model: str) -> None:
    fields, required = shape
    theirs = model_fields(model)
    assert set(fields) == set(theirs)
    assert required == {name for name, field in theirs.items() if field.is_required()}
    for name, kind in fields.items():
        if isinstance(kind, type):
            assert theirs[name].annotation in (kind, kind | None), (name, theirs[name].annotation)


@pytest.mark.unit
def test_the_commands_whose_arguments_may_be_absent_are_the_schemas() -> None:
    for command in ARGUMENTS:
        field = REQUEST_COMMANDS[command].model_fields["arguments"]
        assert (not field.is_required()) == (command in OPTIONAL_ARGUMENTS), command


@pytest.mark.unit
def test_a_child_session_inherits_the_agents_options_but_the_stop_on_entry() -> None:
    options = [field.alias or name for name, field in AgentOptions.model_fields.items()]
    assert set(children.INHERITED) == {*options, "adapterAccessToken"} - {"stopOnEntry"}


SOURCE_PATH = {"path": "/work/prog.py"}
CERTAIN = [
    request("setBreakpoints", {"source": SOURCE_PATH, "breakpoints": [{"line": 3}], "sourceModified": False}),
    request("setBreakpoints", {"source": {"name": "prog.py", "path": "/p.py", "adapterData": 3}, "breakpoints": []}),
    request("setBreakpoints", {"source": {"sourceReference": 4, "presentationHint": "emphasize"}, "lines": [1, 2]}),
    request(
        "setBreakpoints",
        {
            "source": SOURCE_PATH,
            "breakpoints": [
                {"line": 9, "column": 2, "condition": "x > 1", "hitCondition": ">= 2", "logMessage": "{x}"},
                {"line": 10, "mode": None, "vscodeThing": "kept"},
            ],
        },
    ),
    request(
        "setBreakpoints", {"source": {"path": "/a\udc80b", "origin": None, "checksums": None}, "breakpoints": None}
    ),
    request("setBreakpoints", {"source": SOURCE_PATH, "breakpoints": [{"line": 10**30}]}),
    request("setFunctionBreakpoints", {"breakpoints": [{"name": "f", "condition": "a", "hitCondition": None}]}),
    request("setFunctionBreakpoints", {"breakpoints": []}),
    request("setExceptionBreakpoints", {"filters": []}),
    request("setExceptionBreakpoints", {"filters": ["raised", "uncaught"], "filterOptions": None}),
    request("configurationDone"),
    request("configurationDone", {}),
    request("configurationDone", {"note": "x"}, __sessionId="s", extra={"nested": [1]}),
    request("launch", {"program": "/work/prog.py", "type": "python", "justMyCode": False}),
]
UNSURE_OR_INVALID = [
    request("setBreakpoints", {"breakpoints": [{"line": 3}]}),
    request("setBreakpoints", {"source": None, "breakpoints": [{"line": 3}]}),
    request("setBreakpoints", {"source": "/work/prog.py"}),
    request("setBreakpoints", {"source": SOURCE_PATH, "breakpoints": [{"line": "3"}]}),
    request("setBreakpoints", {"source": SOURCE_PATH, "breakpoints": [{"line": 3.0}]}),
    request("setBreakpoints", {"source": SOURCE_PATH, "breakpoints": [{"line": True}]}),
    request("setBreakpoints", {"source": SOURCE_PATH, "breakpoints": [{"column": 3}]}),
    request("setBreakpoints", {"source": SOURCE_PATH, "breakpoints": [{"line": 3, "condition": 1}]}),
    request("setBreakpoints", {"source": SOURCE_PATH, "breakpoints": [{"line": 3, "extra": [1]}]}),
    request("setBreakpoints", {"source": SOURCE_PATH, "breakpoints": [3]}),
    request("setBreakpoints", {"source": SOURCE_PATH, "breakpoints": {"line": 3}}),
    request("setBreakpoints", {"source": SOURCE_PATH, "lines": [1, "2"]}),
    request("setBreakpoints", {"source": SOURCE_PATH, "sourceModified": 0}),
    request("setBreakpoints", {"source": {"sourceReference": -1}}),
    request("setBreakpoints", {"source": {"path": "/p.py", "presentationHint": "loud"}}),
    request("setBreakpoints", {"source": {"path": "/p.py", "checksums": [{"algorithm": "MD5", "checksum": "0"}]}}),
    request("setBreakpoints", {"source": {"path": "/p.py", "sources": []}}),
    request("setBreakpoints", {"source": {"path": "/p.py", "adapterData": {"a": 1}}}),
    request("setBreakpoints", {"source": SOURCE_PATH, "deep": {"a": {}}}),
    request("setFunctionBreakpoints", {"breakpoints": [{"condition": "a"}]}),
    request("setFunctionBreakpoints", {}),
    request("setExceptionBreakpoints", {"filters": [1]}),
    request("setExceptionBreakpoints", {}),
    request("setExceptionBreakpoints", {"filters": [], "exceptionOptions": []}),
    request("setExceptionBreakpoints", {"filters": [], "filterOptions": [{"filterId": "raised"}]}),
    request("configurationDone", [1]),
    request("configurationDone", {"nested": {"a": 1}}),
    request("configurationDone", seq=-1),
    request("configurationDone", seq=True),
    request("configurationDone", type="event"),
    request("launch", {"program": "/work/prog.py", "args": "a b"}),
    request("launch", None),
    request("threads"),
    request("stackTrace", {"threadId": 1}),
    {"seq": 3, "type": "request", "command": 7},
]


@pytest.mark.unit
@pytest.mark.parametrize("message", CERTAIN, ids=range(len(CERTAIN)))
def test_what_is_certain_the_models_accept_as_it_is(message: dict[str, Any]) -> None:
    ours = certain_request(message)
    assert ours is not None
    theirs = parse_request(message)
    assert (ours.seq, ours.command, ours.raw) == (theirs.seq, theirs.command, theirs.raw)
    assert ours.raw is message  # relayed as the client sent it


@pytest.mark.unit
@pytest.mark.parametrize("message", UNSURE_OR_INVALID, ids=range(len(UNSURE_OR_INVALID)))
def test_anything_else_is_left_to_the_models(message: dict[str, Any]) -> None:
    assert certain_request(message) is None
    try:
        parse_request(message)
    except RequestValidationError:
        pass  # invalid: the models say so, as before


def test_the_session_and_the_configuration_requests_import_no_pydantic() -> None:
    """What serves stdio up to configurationDone (the server, the session, the dispatcher, the
    handlers, the launch of a certain plan, children) imports neither pydantic nor the models."""
    code = (
        "import sys\n"
        "from monadapter.adapter import server, dispatcher, session, handlers, children, certain\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic' or m.startswith('monadapter.protocol')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


async def test_a_launch_configured_by_certain_requests_runs_and_the_rest_is_validated(
    tmp_path: Path,
    dap_log_dir: Path,  # noqa: F811
) -> None:
    """A session whose configuration is certain stops and answers as ever; a configuration request
    the certain check leaves to the models gets their error; the stop's requests use the models."""
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    async with DapClient.spawn([*adapter_command(), "--log-dir", str(dap_log_dir)]) as client:
        await client.initialize(adapterID="x")
        launched = await client.launch(program=str(program), justMyCode=True)
        await client.wait_for_event("initialized")
        with pytest.raises(DapError, match=r"invalid arguments for 'setBreakpoints': breakpoints\[0\]\.line: "):
            await client.request("setBreakpoints", {"source": {"path": str(program)}, "breakpoints": [{"line": "x"}]})
        verified = await client.set_breakpoints(program, [3])
        assert [bp["verified"] for bp in verified] == [True]
        await client.set_exception_breakpoints([])
        await client.configuration_done()
        await launched
        stopped = (await client.wait_for_event("stopped"))["body"]
        frames = await client.stack_trace(stopped["threadId"])
        assert (frames[0]["line"], frames[0]["source"]["path"]) == (3, str(program))
        with pytest.raises(DapError, match="invalid arguments for 'stackTrace'"):
            await client.request("stackTrace", {"threadId": "main"})
        await client.continue_(stopped["threadId"])
        assert (await client.wait_for_event("exited"))["body"]["exitCode"] == 0
        assert "done [1]" in client.output("stdout")


@pytest.mark.unit
def test_the_requests_of_a_stop_are_commands() -> None:
    assert set(STOP_REQUESTS) <= set(REQUEST_COMMANDS)


def test_loading_the_models_builds_the_validators_of_a_stops_requests() -> None:
    """What load_models_later's thread does while the program runs: the first stop's requests then
    build no validator (the first ``stackTrace`` built one in ~14 ms on 3.13)."""
    code = (
        "from pydantic_core import SchemaValidator\n"
        "from monadapter.adapter import certain\n"
        "from monadapter.protocol import REQUEST_COMMANDS\n"
        "def built():\n"
        "    return [c for c in certain.STOP_REQUESTS"
        " if isinstance(REQUEST_COMMANDS[c].__dict__.get('__pydantic_validator__'), SchemaValidator)]\n"
        "print(len(built()))\n"
        "certain.load_models()\n"
        "print(len(built()))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["0", str(len(STOP_REQUESTS))]

"""Requests told valid without pydantic (adapter/certain.py): only what the models certainly accept,
handled as the models would have it; anything else is left to the models, whose errors the client
gets as before. A session that configures, stops, inspects and steps as editors do imports no pydantic."""

from __future__ import annotations

import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest
from annotated_types import Ge
from dap_schema import dap_log_dir  # noqa: F401 (a fixture: the session logs are schema-checked)

from monadapter.adapter import children
from monadapter.adapter.certain import ARGUMENTS, NESTED, OPTIONAL_ARGUMENTS, certain_request
from monadapter.adapter.early import Shape, non_negative
from monadapter.adapter.launch import AgentOptions
from monadapter.client import DapClient, DapError, adapter_command
from monadapter.protocol import REQUEST_COMMANDS, Request, RequestValidationError, parse_request

PROGRAM = "import json\nvalue = json.dumps([1])\nprint('done', value)\n"


def request(command: str, arguments: Any = None, **fields: Any) -> dict[str, Any]:
    message = {"seq": 3, "type": "request", "command": command, **fields}
    if arguments is not None:
        message["arguments"] = arguments
    return message


def model_fields(model: str) -> dict[str, Any]:
    from monadapter import protocol

    return getattr(protocol, model).model_fields  # type: ignore[no-any-return]


SHAPES = [
    *((shape, name) for name, shape in NESTED.items()),
    *(
        (shape, f"{command[0].upper()}{command[1:]}Arguments")
        for command, shape in ARGUMENTS.items()
        if command != "threads"
    ),
]


@pytest.mark.unit
@pytest.mark.parametrize(("shape", "model"), SHAPES, ids=[model for _, model in SHAPES])
def test_the_shapes_are_the_schemas(shape: Shape, model: str) -> None:
    fields, required = shape
    theirs = model_fields(model)
    assert set(fields) == set(theirs)
    assert required == {name for name, field in theirs.items() if field.is_required()}
    for name, kind in fields.items():
        annotation = theirs[name].annotation
        if isinstance(kind, type):
            assert annotation in (kind, kind | None), (name, annotation)
            assert not theirs[name].metadata, (name, theirs[name].metadata)  # no constraint (ge=0...)
        elif kind is non_negative:
            assert annotation in (int, int | None) and theirs[name].metadata == [Ge(0)], (name, theirs[name])
        elif isinstance(kind, tuple):
            literal = next(arg for arg in typing.get_args(annotation) if arg is not type(None))
            assert set(typing.get_args(literal)) == set(kind), (name, annotation)


@pytest.mark.unit
def test_threads_takes_any_arguments() -> None:
    """``threads`` has no arguments model: an object whose fields nest nothing is certainly accepted."""
    assert (
        REQUEST_COMMANDS["threads"].model_fields["arguments"].annotation == Request.model_fields["arguments"].annotation
    )


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
    request("threads"),
    request("threads", {}),
    request("stackTrace", {"threadId": 1, "startFrame": 0, "levels": 20}),
    request("scopes", {"frameId": 3}),
    request("variables", {"variablesReference": 7, "filter": "indexed", "start": 0, "count": 100}),
    request("evaluate", {"expression": "x + 1", "frameId": 3, "context": "hover", "source": SOURCE_PATH, "line": 2}),
    request("exceptionInfo", {"threadId": 1}),
    request("source", {"sourceReference": 0, "source": SOURCE_PATH}),
    request("continue", {"threadId": 1, "singleThread": False}),
    request("next", {"threadId": 1, "granularity": "line"}),
    request("stepIn", {"threadId": 1, "targetId": 4, "granularity": None}),
    request("stepOut", {"threadId": 1}),
    request("pause", {"threadId": 1}),
    request("disconnect", {"restart": False, "terminateDebuggee": True}),
    request("disconnect"),
    request("terminate"),
    request("setVariable", {"variablesReference": 7, "name": "x", "value": "2"}),
    request("setExpression", {"expression": "x", "value": "2", "frameId": 3}),
    request("completions", {"text": "os.pa", "column": 6, "frameId": 3}),
    request("modules", {"startModule": 0, "moduleCount": 50}),
    request("loadedSources"),
    request("stepInTargets", {"frameId": 3}),
    request("gotoTargets", {"source": SOURCE_PATH, "line": 4}),
    request("goto", {"threadId": 1, "targetId": 2}),
    request("cancel", {"requestId": 5}),
    request("cancel"),
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
    request("threads", [1]),
    request("stackTrace", {}),
    request("stackTrace", {"threadId": "1"}),
    request("stackTrace", {"threadId": 1, "format": {"line": True}}),
    request("variables", {"variablesReference": 7, "filter": "all"}),
    request("variables", {"variablesReference": -1}),
    request("variables", {"variablesReference": 7, "format": {"hex": True}}),
    request("evaluate", {"frameId": 3}),
    request("evaluate", {"expression": "x", "source": {"path": "/p.py", "checksums": []}}),
    request("continue", {"threadId": 1.0}),
    request("next", {"threadId": 1, "granularity": "word"}),
    request("source", {"source": SOURCE_PATH}),
    request("disconnect", {"terminateDebuggee": "yes"}),
    request("setVariable", {"variablesReference": 7, "name": "x"}),
    request("completions", {"text": "os.pa"}),
    request("restartFrame", {"frameId": 3}),
    request("cancel", {"requestId": -5}),
    request("dataBreakpointInfo", {"name": "x"}),
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


def loads_pydantic(pid: int) -> bool:
    """Whether process ``pid`` imported pydantic (its compiled core is mapped)."""
    return "_pydantic_core" in Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/PID/maps")
async def test_a_session_that_configures_stops_and_steps_as_editors_do_loads_no_pydantic(
    tmp_path: Path,
    dap_log_dir: Path,  # noqa: F811
) -> None:
    """A session whose requests are certain stops, inspects and steps as ever without pydantic; the
    first request left to the models loads them, and gets their error when it is invalid."""
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    async with DapClient.spawn([*adapter_command(), "--log-dir", str(dap_log_dir)]) as client:
        adapter = client._channel.process
        assert adapter is not None
        await client.initialize(adapterID="x")
        launched = await client.launch(program=str(program), justMyCode=True)
        await client.wait_for_event("initialized")
        verified = await client.set_breakpoints(program, [2])
        assert [bp["verified"] for bp in verified] == [True]
        await client.set_exception_breakpoints([])
        await client.configuration_done()
        await launched
        thread = (await client.wait_for_event("stopped"))["body"]["threadId"]
        assert [t["id"] for t in await client.threads()] == [thread]
        frames = await client.stack_trace(thread)
        assert (frames[0]["line"], frames[0]["source"]["path"]) == (2, str(program))
        scopes = await client.scopes(frames[0]["id"])
        names = [v["name"] for v in await client.variables(scopes[0]["variablesReference"])]
        assert "json" in names
        assert (await client.evaluate("1 + 2", frame_id=frames[0]["id"]))["result"] == "3"
        await client.next(thread)
        thread = (await client.wait_for_event("stopped"))["body"]["threadId"]
        assert (await client.stack_trace(thread))[0]["line"] == 3
        assert not loads_pydantic(adapter.pid)
        with pytest.raises(DapError, match="invalid arguments for 'stackTrace': threadId: "):
            await client.request("stackTrace", {"threadId": "main"})
        assert loads_pydantic(adapter.pid)
        with pytest.raises(DapError, match=r"invalid arguments for 'setBreakpoints': breakpoints\[0\]\.line: "):
            await client.request("setBreakpoints", {"source": {"path": str(program)}, "breakpoints": [{"line": "x"}]})
        await client.continue_(thread)
        assert (await client.wait_for_event("exited"))["body"]["exitCode"] == 0
        assert "done [1]" in client.output("stdout")

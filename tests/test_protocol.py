"""Tests of monadapter.protocol: the generated models are current, tolerant, and cheap to import."""

from __future__ import annotations

import functools
import json
import operator
import os
import subprocess
import sys
import textwrap
import types
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest
from annotated_types import Ge
from dap_schema import REPO, load_schema
from pydantic.fields import FieldInfo

from monadapter import protocol
from monadapter.adapter import shapes
from monadapter.protocol import (
    REQUEST_COMMANDS,
    InitializeRequestArguments,
    LaunchRequestArguments,
    RequestValidationError,
    SetBreakpointsArguments,
    Source,
    parse_request,
)

if TYPE_CHECKING:
    from monadapter.adapter.shapes import Field

GENERATOR = REPO / "scripts" / "gen_protocol.py"
SHAPES_FILE = REPO / "src" / "monadapter" / "adapter" / "shapes.py"


def request(command: str, arguments: Any = None, *, seq: int = 1, **extra: Any) -> dict[str, Any]:
    """A request message as a client would send it (``arguments`` left out when None)."""
    message = {"seq": seq, "type": "request", "command": command, **extra}
    if arguments is not None:
        message["arguments"] = arguments
    return message


def rejection(message: Any) -> RequestValidationError:
    """The error parse_request raises for ``message`` (fails the test if it accepts it)."""
    with pytest.raises(RequestValidationError) as caught:
        parse_request(message)
    return caught.value


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (this one's), from the repository."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=50,
        cwd=REPO,
        env={**os.environ, **env},
    )


# --- the generated module -------------------------------------------------------------------


def run_generator(*args: str) -> subprocess.CompletedProcess[str]:
    """Run scripts/gen_protocol.py; the schema is found from the repository layout, not the env."""
    env = {key: value for key, value in os.environ.items() if key != "MONADAPTER_DAP_SCHEMA"}
    return subprocess.run([sys.executable, str(GENERATOR), *args], capture_output=True, text=True, timeout=55, env=env)


def test_generated_module_is_current() -> None:
    """_generated.py and adapter/shapes.py are what the generator makes from the schema vendored in
    the repository."""
    result = run_generator("--check")
    assert result.returncode == 0, f"gen_protocol.py --check failed:\n{result.stderr}"


def test_generator_names_the_missing_schema(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "debugAdapterProtocol.json"
    result = run_generator("--check", "--schema", str(missing))
    assert result.returncode == 2
    assert f"DAP schema not found at {missing}" in result.stderr


def test_generator_check_reports_a_stale_module(tmp_path: Path) -> None:
    stale = tmp_path / "_generated.py"
    stale.write_text("# an old version\n", encoding="utf-8")
    result = run_generator("--check", "--output", str(stale))
    assert result.returncode == 1
    assert "is stale: run python scripts/gen_protocol.py" in result.stderr
    assert stale.read_text(encoding="utf-8") == "# an old version\n"


def test_generator_check_reports_stale_shapes(tmp_path: Path) -> None:
    stale = tmp_path / "shapes.py"
    stale.write_text(SHAPES_FILE.read_text(encoding="utf-8").replace('"minimum": 0', '"minimum": 1'))
    result = run_generator("--check", "--shapes-output", str(stale))
    assert result.returncode == 1
    assert f"{stale} is stale: run python scripts/gen_protocol.py" in result.stderr
    assert '-            "seq": {"type": "integer", "minimum": 1},' in result.stderr


def expected_annotation(field: Field) -> Any:
    """The annotation the models give a field of the shapes (``dict``: any dict[...])."""
    if "enum" in field:
        return Literal[field["enum"]]
    if "ref" in field:
        return getattr(protocol, field["ref"])
    if "oneOf" in field:
        return functools.reduce(operator.or_, (getattr(protocol, name) for name in field["oneOf"]))
    if field["type"] == "array":
        return list[expected_annotation(field["items"])]  # type: ignore[misc]
    any_json = list[Any] | bool | int | float | dict[str, Any] | str
    return {"string": str, "integer": int, "number": float, "boolean": bool, "any": any_json, "object": dict}[
        field["type"]
    ]


def assert_field_is_the_models(field: Field, theirs: FieldInfo, where: str) -> None:
    expected = expected_annotation(field)
    annotation = theirs.annotation
    if expected is dict:  # a free-form object
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):  # optional: X | None
            (annotation,) = (arg for arg in typing.get_args(annotation) if arg is not type(None))
        assert typing.get_origin(annotation) is dict, (where, theirs.annotation)
    else:
        assert annotation in (expected, expected | None), (where, annotation, expected)
    assert theirs.metadata == ([Ge(field["minimum"])] if "minimum" in field else []), (where, theirs.metadata)


@pytest.mark.unit
@pytest.mark.parametrize("name", list(shapes.DEFINITIONS))
def test_the_generated_shapes_are_the_models(name: str) -> None:
    """adapter/shapes.py, which the adapter checks requests against without pydantic, says what
    the models do: the same fields, required ones, types, enums and minimums."""
    fields, required = shapes.DEFINITIONS[name]
    theirs = {field.alias or key: field for key, field in getattr(protocol, name).model_fields.items()}
    assert set(fields) == set(theirs)
    assert required == {key for key, field in theirs.items() if field.is_required()}
    for key, field in fields.items():
        assert_field_is_the_models(field, theirs[key], f"{name}.{key}")


@pytest.mark.unit
def test_the_generated_requests_arguments_are_the_models() -> None:
    assert set(shapes.REQUESTS) == set(REQUEST_COMMANDS)
    for command, (field, required) in shapes.REQUESTS.items():
        theirs = REQUEST_COMMANDS[command].model_fields["arguments"]
        assert_field_is_the_models(field, theirs, command)
        assert theirs.is_required() == required, command


@pytest.mark.unit
def test_request_commands_cover_every_request_in_the_schema() -> None:
    definitions = load_schema()["definitions"]
    schema_commands = {
        definition["allOf"][1]["properties"]["command"]["enum"][0]
        for name, definition in definitions.items()
        if name.endswith("Request") and name != "Request"
    }
    assert len(schema_commands) == 45
    assert set(REQUEST_COMMANDS) == schema_commands
    assert REQUEST_COMMANDS["setBreakpoints"].__name__ == "SetBreakpointsRequest"


# --- what real clients send -----------------------------------------------------------------


def test_launch_arguments_keep_fields_the_schema_does_not_know() -> None:
    """VS Code adds type/name/request/__sessionId; the debugpy-style options come along too."""
    sent = {
        "type": "monadapter",
        "name": "Run file",
        "request": "launch",
        "__sessionId": "6f1c",
        "program": "/tmp/app.py",
        "justMyCode": False,
    }
    parsed = parse_request(request("launch", sent))
    assert isinstance(parsed.arguments, LaunchRequestArguments)
    assert parsed.arguments.model_extra == sent
    assert parsed.raw["arguments"] is sent


@pytest.mark.unit
def test_nulls_for_unset_optional_fields_and_seq_zero() -> None:
    """dap-python sends every optional field, unset ones as null, and counts seq from 0."""
    arguments = {name: None for name in InitializeRequestArguments.model_fields}
    arguments["adapterID"] = "monadapter"
    parsed = parse_request(request("initialize", arguments, seq=0))
    assert parsed.seq == 0
    assert isinstance(parsed.arguments, InitializeRequestArguments)
    assert parsed.arguments.adapterID == "monadapter"
    assert parsed.arguments.linesStartAt1 is None


@pytest.mark.unit
def test_set_breakpoints_with_the_deprecated_lines_array() -> None:
    parsed = parse_request(request("setBreakpoints", {"source": {"path": "/tmp/app.py"}, "lines": [3, 7]}))
    assert isinstance(parsed.arguments, SetBreakpointsArguments)
    assert parsed.arguments.lines == [3, 7]
    assert parsed.arguments.breakpoints is None


@pytest.mark.unit
def test_unknown_fields_on_the_message_itself_are_kept() -> None:
    parsed = parse_request(request("threads", __sessionId="6f1c"))
    assert parsed.arguments is None
    assert parsed.request.model_extra == {"__sessionId": "6f1c"}


@pytest.mark.unit
def test_self_referencing_models_validate_after_deferred_build() -> None:
    source = Source.model_validate({"name": "outer", "sources": [{"name": "inner", "sources": None}]})
    assert source.sources is not None and source.sources[0].name == "inner"


# --- what is refused, and how it is said ----------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"lines": [3]}, "invalid arguments for 'setBreakpoints': source: field required"),
        (
            {"source": {"path": "/a.py"}, "breakpoints": [{"line": 2}, {"line": "x"}]},
            "invalid arguments for 'setBreakpoints': breakpoints[1].line: input should be a valid integer",
        ),
        (None, "invalid 'setBreakpoints' request: arguments: field required"),
        ("/a.py", "invalid 'setBreakpoints' request: arguments: input should be a valid dictionary"),
    ],
)
def test_invalid_arguments_name_the_command_and_the_field(arguments: Any, expected: str) -> None:
    error = rejection(request("setBreakpoints", arguments, seq=4))
    assert str(error).startswith(expected)
    assert (error.seq, error.command) == (4, "setBreakpoints")


@pytest.mark.unit
def test_a_closed_enum_lists_the_allowed_values() -> None:
    error = rejection(request("next", {"threadId": 1, "granularity": "word"}))
    assert str(error) == (
        "invalid arguments for 'next': granularity: input should be 'statement', 'line' or 'instruction', not 'word'"
    )


@pytest.mark.unit
def test_many_problems_are_summed_up() -> None:
    error = rejection(request("setBreakpoints", {"source": 1, "breakpoints": [{}, {}, {}, {}]}))
    assert str(error).endswith("; and 2 more")
    assert str(error).count("field required") == 2


@pytest.mark.unit
def test_unknown_command() -> None:
    error = rejection(request("foo", {}, seq=9))
    assert str(error) == "unknown command 'foo'"
    assert (error.seq, error.command) == (9, "foo")


@pytest.mark.unit
@pytest.mark.parametrize(
    ("message", "expected", "seq", "command"),
    [
        ([1, 2], "a request must be a JSON object, not list", None, None),
        ({"seq": 1, "command": "threads"}, "not a request: 'type' is missing", 1, "threads"),
        (
            {"seq": 1, "type": "event", "event": "stopped"},
            "not a request: 'type' must be 'request', not 'event'",
            1,
            None,
        ),
        ({"type": "request", "command": "threads"}, "invalid request: 'seq' is missing", None, "threads"),
        (
            {"seq": -1, "type": "request", "command": "threads"},
            "invalid request: 'seq' must be a non-negative integer, not -1",
            None,
            "threads",
        ),
        (
            {"seq": "1", "type": "request", "command": "threads"},
            "invalid request: 'seq' must be a non-negative integer, not '1'",
            None,
            "threads",
        ),
        (
            {"seq": True, "type": "request", "command": "threads"},
            "invalid request: 'seq' must be a non-negative integer, not True",
            None,
            "threads",
        ),
        ({"seq": 2, "type": "request"}, "invalid request: 'command' is missing", 2, None),
        (
            {"seq": 2, "type": "request", "command": None},
            "invalid request: 'command' must be a string, not null",
            2,
            None,
        ),
    ],
)
def test_messages_that_are_not_requests(message: Any, expected: str, seq: int | None, command: str | None) -> None:
    error = rejection(message)
    assert str(error) == expected
    assert (error.seq, error.command) == (seq, command)


@pytest.mark.unit
def test_long_values_are_cut_short_in_messages() -> None:
    error = rejection(request("evaluate", {"expression": ["x" * 500]}))
    assert str(error).startswith("invalid arguments for 'evaluate': expression: input should be a valid string")
    assert len(str(error)) < 200


@pytest.mark.unit
def test_deeply_nested_input_is_refused_in_a_short_message() -> None:
    """Arguments nested deeper than MAX_NESTING are refused before pydantic walks them (what json
    reads depends on the Python version: an agent on another one might not read them at all)."""
    source: dict[str, Any] = {"name": "leaf"}
    for _ in range(900):
        source = {"name": "level", "sources": [source]}
    error = rejection(request("source", {"source": source, "sourceReference": 0}))
    assert str(error) == "invalid arguments for 'source': nested deeper than 64 levels"


# --- import cost ----------------------------------------------------------------------------


def test_monadapter_and_the_agent_do_not_import_pydantic_or_anyio() -> None:
    """The agent runs inside any debuggee: it may not drag the adapter's dependencies in."""
    result = run_python(
        """
        import importlib, pkgutil, sys
        import monadapter, monadapter.agent
        for module in pkgutil.iter_modules(monadapter.agent.__path__, "monadapter.agent."):
            importlib.import_module(module.name)
        print(sorted(name for name in sys.modules if name.split(".")[0] in ("pydantic", "anyio")))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_importing_the_protocol_builds_no_validator() -> None:
    """Validators are built on first use (defer_build): the first initialize builds only its own."""
    result = run_python(
        """
        import json
        import monadapter.protocol as protocol
        models = [getattr(protocol, name) for name in protocol._generated.__all__]
        built_at_import = [m.__name__ for m in models if m.__pydantic_complete__]
        protocol.parse_request({"seq": 1, "type": "request", "command": "initialize",
                                "arguments": {"adapterID": "x"}})
        built_after = sorted(m.__name__ for m in models if m.__pydantic_complete__)
        print(json.dumps([len(models), built_at_import, built_after]))
        """
    )
    assert result.returncode == 0, result.stderr
    count, built_at_import, built_after = json.loads(result.stdout)
    assert count > 200
    assert built_at_import == []
    assert built_after == ["InitializeRequest"]


def test_importing_the_protocol_defines_no_model() -> None:
    """Models are defined when first looked up: initialize defines its own and the classes they use."""
    result = run_python(
        """
        import json
        import monadapter.protocol as protocol
        from pydantic import BaseModel
        def defined():
            return sorted(name for name, value in vars(protocol._generated).items()
                          if isinstance(value, type) and issubclass(value, BaseModel))
        at_import = defined()
        protocol.parse_request({"seq": 1, "type": "request", "command": "initialize",
                                "arguments": {"adapterID": "x"}})
        after = defined()
        from monadapter.protocol import Source
        source = Source.model_validate({"name": "a", "sources": [{"name": "b"}]})
        print(json.dumps([at_import, after, source.sources[0].name, type(source.sources[0]) is Source]))
        """
    )
    assert result.returncode == 0, result.stderr
    at_import, after, inner_name, same_class = json.loads(result.stdout)
    assert at_import == ["DAPModel"]
    assert after == ["DAPModel", "InitializeRequest", "InitializeRequestArguments", "ProtocolMessage", "Request"]
    assert inner_name == "b" and same_class


def test_a_lazily_defined_model_points_at_its_line() -> None:
    """Each model is compiled with its own line numbers in _generated.py (tracebacks, inspect)."""
    import inspect

    from monadapter.protocol import ThreadsRequest

    path = Path(inspect.getfile(ThreadsRequest))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert path.name == "_generated.py"
    assert lines[inspect.getsourcelines(ThreadsRequest)[1] - 1] == "class ThreadsRequest(Request):"

"""The VS Code extension's launch.json schema matches the launch and attach arguments the adapter reads.

The schema in ``vscode-extension/package.json`` is what VS Code validates and completes
launch.json with; ``LaunchArguments`` and ``AttachArguments`` are what the adapter accepts. If they
drift apart, users are offered options that do nothing, or cannot discover ones that work
(style.md item 14).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from monadapter.adapter.launch import AttachArguments, ConnectAddress, LaunchArguments, VariablePresentation
from monadapter.agent.presentation import Presentation

PACKAGE_JSON = Path(__file__).resolve().parent.parent / "vscode-extension" / "package.json"


def debugger_contribution() -> dict[str, Any]:
    """The single ``contributes.debuggers`` entry of the extension."""
    manifest = json.loads(PACKAGE_JSON.read_text(encoding="utf-8"))
    (entry,) = manifest["contributes"]["debuggers"]
    return entry


def schema_properties(request: str) -> dict[str, dict[str, Any]]:
    """package.json's ``configurationAttributes.<request>.properties``."""
    return debugger_contribution()["configurationAttributes"][request]["properties"]


def model_keys(model: type[BaseModel]) -> set[str]:
    """The keys a client writes: each field's alias, or its name when it has none."""
    return {field.alias or name for name, field in model.model_fields.items()}


def json_types(schema: dict[str, Any]) -> set[str]:
    """The JSON types a schema fragment admits, from ``type``, ``enum``, ``oneOf``, ``anyOf`` or
    ``$ref`` (pydantic's reference to a nested model, always an object)."""
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            return set().union(*(json_types(option) for option in schema[combinator]))
    if "type" in schema:
        declared = schema["type"]
        return set(declared) if isinstance(declared, list) else {declared}
    if "enum" in schema:
        names = {str: "string", bool: "boolean", int: "integer", float: "number", type(None): "null"}
        return {names[type(value)] for value in schema["enum"]}
    if "$ref" in schema:
        return {"object"}
    raise AssertionError(f"cannot tell the type of schema fragment {schema!r}")


def model_schema_of(model: type[BaseModel], key: str) -> dict[str, Any]:
    """The model's JSON schema for the field written as ``key``."""
    return model.model_json_schema(by_alias=True)["properties"][key]


@dataclass(frozen=True)
class Schema:
    """One set of properties in package.json and the adapter model that reads them."""

    where: str
    properties: dict[str, dict[str, Any]]
    model: type[BaseModel]
    #: attributes the extension itself reads; the adapter never sees a use for them
    extension_only: frozenset[str] = frozenset()

    def __str__(self) -> str:
        return self.where

    @property
    def keys(self) -> list[str]:
        return sorted(model_keys(self.model))


SCHEMAS = [
    Schema("launch", schema_properties("launch"), LaunchArguments, frozenset({"logToFile"})),
    # For attach, `python` only chooses the interpreter the extension runs the adapter with.
    Schema("attach", schema_properties("attach"), AttachArguments, frozenset({"logToFile", "python"})),
    Schema("attach.connect", schema_properties("attach")["connect"]["properties"], ConnectAddress),
    *(
        Schema(
            f"{request}.variablePresentation",
            schema_properties(request)["variablePresentation"]["properties"],
            VariablePresentation,
        )
        for request in ("launch", "attach")
    ),
]
KEYS = [pytest.param(schema, key, id=f"{schema}.{key}") for schema in SCHEMAS for key in schema.keys]
LAUNCH_SCHEMA = schema_properties("launch")


@pytest.mark.unit
@pytest.mark.parametrize("schema", SCHEMAS, ids=str)
def test_every_argument_the_adapter_reads_is_in_the_schema(schema: Schema) -> None:
    missing = set(schema.keys) - set(schema.properties)
    assert not missing, f"package.json {schema} properties lack {sorted(missing)}"


@pytest.mark.parametrize("schema", SCHEMAS, ids=str)
def test_every_property_in_the_schema_is_read_by_the_adapter(schema: Schema) -> None:
    unknown = set(schema.properties) - set(schema.keys) - schema.extension_only
    assert not unknown, f"package.json offers {sorted(unknown)} in {schema}, which the adapter ignores"


@pytest.mark.parametrize(("schema", "key"), KEYS)
def test_property_admits_the_types_the_adapter_accepts(schema: Schema, key: str) -> None:
    # null is how a client leaves an optional field unset; the schema need not offer it.
    expected = json_types(model_schema_of(schema.model, key)) - {"null"}
    assert json_types(schema.properties[key]) - {"null"} == expected


@pytest.mark.parametrize(("schema", "key"), KEYS)
def test_property_default_is_the_adapter_default(schema: Schema, key: str) -> None:
    """A default the adapter applies must be the one the schema shows; ``None`` (or a required
    field) means "not set", where the schema's default is only a suggestion to fill in (e.g.
    ``${file}`` for program, 5678 for a port)."""
    (field,) = [field for name, field in schema.model.model_fields.items() if (field.alias or name) == key]
    if field.is_required():
        return
    adapter_default = field.get_default(call_default_factory=True)
    if adapter_default is not None:
        assert schema.properties[key]["default"] == adapter_default


@pytest.mark.parametrize(("schema", "key"), KEYS)
def test_bounds_of_a_property_are_the_adapter_bounds(schema: Schema, key: str) -> None:
    """Enumerated values and numeric limits (a port's 1-65535): what the schema offers is what the adapter accepts."""
    accepted = model_schema_of(schema.model, key)
    options = [accepted, *accepted.get("anyOf", [])]
    for bound in ("enum", "minimum", "maximum"):
        (adapters, *_) = [option[bound] for option in options if bound in option] or [None]
        assert schema.properties[key].get(bound) == adapters, bound


@pytest.mark.unit
def test_env_values_may_be_strings_or_null_in_both() -> None:
    ours = json_types(LAUNCH_SCHEMA["env"]["additionalProperties"])
    adapters = json_types(model_schema_of(LaunchArguments, "env")["additionalProperties"])
    assert ours == adapters == {"string", "null"}


@pytest.mark.parametrize("request_kind", ["launch", "attach"])
def test_variable_presentation_defaults_are_the_agents(request_kind: str) -> None:
    """The adapter leaves the categories unset (a missing one takes ``all``); the defaults the schema
    shows for them are the ones the agent applies when neither is given. (``all`` has no default in
    the agent; the schema's is only what VS Code suggests when the user adds the key.)"""
    schema = schema_properties(request_kind)["variablePresentation"]
    agent = Presentation()
    expected = {
        "special": agent.special,
        "function": agent.function,
        "class": agent.klass,
        "protected": agent.protected,
    }
    assert {key: value["default"] for key, value in schema["properties"].items() if key != "all"} == expected
    assert schema["default"] == expected
    assert schema["additionalProperties"] is False  # as the adapter, which refuses an unknown category


def snippet_value(value: Any) -> Any:
    """A snippet body value as it lands in launch.json: ``^"\\${file}"`` -> ``${file}``,
    ``^${2:5678}`` -> 5678, ``${1:pkg.main}`` -> ``pkg.main`` (VS Code's snippet syntax)."""
    if isinstance(value, dict):
        return {key: snippet_value(item) for key, item in value.items()}
    if not isinstance(value, str):
        return value
    text = re.sub(r"\$\{\d+:([^}]*)\}", r"\1", value).replace("\\$", "$")
    return json.loads(text[1:]) if text.startswith("^") else text


@pytest.mark.unit
def test_snippet_values_decode_like_vscode_inserts_them() -> None:
    assert snippet_value('^"\\${file}"') == "${file}"
    assert snippet_value("${1:package.module}") == "package.module"
    assert snippet_value("^${2:5678}") == 5678


def picked(configuration: dict[str, Any]) -> dict[str, Any]:
    """``configuration`` as VS Code sends it: ``${command:pickProcess}`` replaced by the process id
    the user picked (the command returns it as text)."""
    if configuration.get("processId") == "${command:pickProcess}":
        return {**configuration, "processId": "4242"}
    return configuration


def test_the_adapter_accepts_every_snippet() -> None:
    """What the extension writes into launch.json for the user must launch or attach as written."""
    entry = debugger_contribution()
    configurations = [*entry["initialConfigurations"]]
    configurations += [picked(snippet_value(s["body"])) for s in entry["configurationSnippets"]]
    models: dict[str, type[BaseModel]] = {"launch": LaunchArguments, "attach": AttachArguments}
    requests = [configuration["request"] for configuration in configurations]
    assert requests == ["launch", "launch", "launch", "attach", "attach"]
    for configuration in configurations:
        arguments = models[configuration["request"]].model_validate(configuration)
        assert "\\" not in str(arguments.model_dump()), "a snippet escape leaked into the arguments"
    listening, by_id = (AttachArguments.model_validate(c) for c in configurations[-2:])
    assert listening.address == ("localhost", 5678) and listening.accessToken == "the token the program printed"
    assert by_id.processId == 4242


@pytest.mark.parametrize("request_kind", ["launch", "attach"])
def test_hover_runs_code_is_offered_and_off_by_default(request_kind: str) -> None:
    """VS Code's hover is the mouse: the schema must not suggest turning on code-running hovers."""
    assert schema_properties(request_kind)["hoverRunsCode"] == {
        "type": "boolean",
        "description": schema_properties(request_kind)["hoverRunsCode"]["description"],
        "default": False,
    }
    assert "hoverRunsCode" in model_keys(LaunchArguments if request_kind == "launch" else AttachArguments)

"""The VS Code extension's launch.json schema matches the launch arguments the adapter reads.

The schema in ``vscode-extension/package.json`` is what VS Code validates and completes
launch.json with; ``LaunchArguments`` is what the adapter accepts. If they drift apart, users are
offered options that do nothing, or cannot discover ones that work (style.md item 14).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from monadapter.adapter.launch import LaunchArguments

PACKAGE_JSON = Path(__file__).resolve().parent.parent / "vscode-extension" / "package.json"

#: Attributes the extension itself reads; the adapter never sees a use for them.
EXTENSION_ONLY = {"logToFile"}


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
    """The JSON types a schema fragment admits, from ``type``, ``enum``, ``oneOf`` or ``anyOf``."""
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            return set().union(*(json_types(option) for option in schema[combinator]))
    if "type" in schema:
        declared = schema["type"]
        return set(declared) if isinstance(declared, list) else {declared}
    if "enum" in schema:
        names = {str: "string", bool: "boolean", int: "integer", float: "number", type(None): "null"}
        return {names[type(value)] for value in schema["enum"]}
    raise AssertionError(f"cannot tell the type of schema fragment {schema!r}")


def model_schema_of(model: type[BaseModel], key: str) -> dict[str, Any]:
    """The model's JSON schema for the field written as ``key``."""
    return model.model_json_schema(by_alias=True)["properties"][key]


LAUNCH_SCHEMA = schema_properties("launch")
LAUNCH_KEYS = sorted(model_keys(LaunchArguments))


def test_every_launch_argument_the_adapter_reads_is_in_the_schema() -> None:
    missing = set(LAUNCH_KEYS) - set(LAUNCH_SCHEMA)
    assert not missing, f"package.json launch properties lack {sorted(missing)}"


def test_every_launch_property_in_the_schema_is_read_by_the_adapter() -> None:
    unknown = set(LAUNCH_SCHEMA) - set(LAUNCH_KEYS) - EXTENSION_ONLY
    assert not unknown, f"package.json offers {sorted(unknown)}, which the adapter ignores"


@pytest.mark.parametrize("key", LAUNCH_KEYS)
def test_launch_property_admits_the_types_the_adapter_accepts(key: str) -> None:
    # null is how a client leaves an optional field unset; the schema need not offer it.
    expected = json_types(model_schema_of(LaunchArguments, key)) - {"null"}
    assert json_types(LAUNCH_SCHEMA[key]) - {"null"} == expected


@pytest.mark.parametrize("key", LAUNCH_KEYS)
def test_launch_property_default_is_the_adapter_default(key: str) -> None:
    """A default the adapter applies must be the one the schema shows; ``None`` means "not set",
    where the schema's default is only a suggestion to fill in (e.g. ``${file}`` for program)."""
    (field,) = [field for name, field in LaunchArguments.model_fields.items() if (field.alias or name) == key]
    adapter_default = field.get_default(call_default_factory=True)
    if adapter_default is not None:
        assert LAUNCH_SCHEMA[key]["default"] == adapter_default


def test_enumerated_launch_properties_offer_exactly_the_accepted_values() -> None:
    for key in LAUNCH_KEYS:
        accepted = model_schema_of(LaunchArguments, key).get("enum")
        if accepted is not None:
            assert LAUNCH_SCHEMA[key]["enum"] == accepted, key


def test_env_values_may_be_strings_or_null_in_both() -> None:
    ours = json_types(LAUNCH_SCHEMA["env"]["additionalProperties"])
    adapters = json_types(model_schema_of(LaunchArguments, "env")["additionalProperties"])
    assert ours == adapters == {"string", "null"}


def snippet_value(value: Any) -> Any:
    """A snippet body value as it lands in launch.json: ``^"\\${file}"`` -> ``${file}``,
    ``^${2:5678}`` -> 5678, ``${1:pkg.main}`` -> ``pkg.main`` (VS Code's snippet syntax)."""
    if isinstance(value, dict):
        return {key: snippet_value(item) for key, item in value.items()}
    if not isinstance(value, str):
        return value
    text = re.sub(r"\$\{\d+:([^}]*)\}", r"\1", value).replace("\\$", "$")
    return json.loads(text[1:]) if text.startswith("^") else text


def test_snippet_values_decode_like_vscode_inserts_them() -> None:
    assert snippet_value('^"\\${file}"') == "${file}"
    assert snippet_value("${1:package.module}") == "package.module"
    assert snippet_value("^${2:5678}") == 5678


def test_the_adapter_accepts_every_launch_snippet() -> None:
    """What the extension writes into launch.json for the user must launch as written."""
    entry = debugger_contribution()
    configurations = [*entry["initialConfigurations"]]
    configurations += [snippet_value(s["body"]) for s in entry["configurationSnippets"]]
    assert len(configurations) == 3
    for configuration in configurations:
        assert configuration["request"] == "launch"
        arguments = LaunchArguments.model_validate(configuration)
        assert "\\" not in str(arguments.model_dump()), "a snippet escape leaked into the arguments"

"""Test-side DAP conformance: checks what the adapter sends against the official JSON schema.

The pydantic models in ``monadapter.protocol`` are deliberately lenient about what clients send
(seq 0, extra fields); what the adapter *sends* must meet the schema as published. These checks
use ``jsonschema`` on the untouched ``debugAdapterProtocol.json``, found where
``scripts/gen_protocol.py`` finds it (the copy vendored in ``third_party/dap/``, or
``$MONADAPTER_DAP_SCHEMA``).

Use:

* :func:`validate_outgoing` on a list of messages the adapter sent;
* :func:`validate_session` on the lines of one ``--log-dir`` session log (it also checks that
  every client request got exactly one response, of the right command);
* the :func:`dap_log_dir` fixture: a ``--log-dir`` for the adapter under test whose every session
  log is validated when the test ends (register it with ``pytest_plugins = ["dap_schema"]`` in
  conftest.py, or import it into a test module).
"""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest

REPO = Path(__file__).resolve().parent.parent

#: Directions of the adapter's message log (src/monadapter/adapter/messagelog.py).
CLIENT_TO_ADAPTER = "client->adapter"
ADAPTER_TO_CLIENT = "adapter->client"

#: How many schema violations are reported per message.
_MAX_ERRORS_PER_MESSAGE = 5


@functools.cache
def _generator() -> ModuleType:
    """scripts/gen_protocol.py, loaded by path: it alone knows where the schema lives."""
    spec = importlib.util.spec_from_file_location("gen_protocol", REPO / "scripts" / "gen_protocol.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def load_schema() -> dict[str, Any]:
    """The official DAP schema; a missing schema fails the test with where it was looked for."""
    generator = _generator()
    try:
        path = generator.find_schema()
    except generator.SchemaNotFoundError as exc:
        pytest.fail(str(exc), pytrace=False)
    return json.loads(path.read_text(encoding="utf-8"))


@functools.cache
def _validator(definition: str) -> jsonschema.protocols.Validator:
    """A validator for one schema definition, resolving ``$ref`` within the whole document."""
    schema = load_schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls({**schema, "$ref": f"#/definitions/{definition}"})


def _definition_for(message: dict[str, Any]) -> tuple[str | None, str]:
    """The schema definition ``message`` must match, or None and why there is none."""
    kind = message.get("type")
    if kind == "response":
        command = message.get("command")
        if message.get("success") is False:
            return "ErrorResponse", ""
        name = f"{str(command)[:1].upper()}{str(command)[1:]}Response"
        return _known(name, f"response to {command!r}, a command the schema does not define")
    if kind == "event":
        event = message.get("event")
        name = f"{str(event)[:1].upper()}{str(event)[1:]}Event"
        return _known(name, f"event {event!r}, which the schema does not define")
    if kind == "request":  # a reverse request (runInTerminal, startDebugging)
        command = message.get("command")
        name = f"{str(command)[:1].upper()}{str(command)[1:]}Request"
        return _known(name, f"request {command!r}, which the schema does not define")
    return None, f"'type' is {kind!r}, not 'response', 'event' or 'request'"


def _known(name: str, otherwise: str) -> tuple[str | None, str]:
    return (name, "") if name in load_schema()["definitions"] else (None, otherwise)


def _describe(message: dict[str, Any]) -> str:
    """A short name for a message in a problem report: ``seq 7 (stackTrace response)``."""
    kind = message.get("type")
    what = message.get("event") if kind == "event" else message.get("command")
    return f"seq {message.get('seq')!r} ({what} {kind})"


def validate_outgoing(messages: list[dict[str, Any]]) -> list[str]:
    """Check messages the adapter sent, in order; return the problems found (empty: all good).

    Each message must match its definition in the schema (``XResponse`` for a successful response
    to ``x``, ``ErrorResponse`` for a failed one, ``YEvent`` for event ``y``, ``ZRequest`` for a
    reverse request), and ``seq`` must increase strictly from message to message.
    """
    problems: list[str] = []
    previous_seq: int | None = None
    for message in messages:
        label = _describe(message)
        seq = message.get("seq")
        if isinstance(seq, int) and previous_seq is not None and seq <= previous_seq:
            problems.append(f"{label}: seq does not increase (previous message had seq {previous_seq})")
        if isinstance(seq, int):
            previous_seq = seq
        definition, why_not = _definition_for(message)
        if definition is None:
            problems.append(f"{label}: {why_not}")
            continue
        errors = sorted(_validator(definition).iter_errors(message), key=lambda e: list(e.absolute_path))
        for error in errors[:_MAX_ERRORS_PER_MESSAGE]:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
            problems.append(f"{label}: {definition}{where}: {error.message}")
        if len(errors) > _MAX_ERRORS_PER_MESSAGE:
            problems.append(f"{label}: and {len(errors) - _MAX_ERRORS_PER_MESSAGE} more schema errors")
    return problems


def validate_session(lines: list[dict[str, Any]]) -> list[str]:
    """Check one session's log lines: :func:`validate_outgoing`, and each request answered once.

    Every request the client sent with a usable ``seq`` must get exactly one response whose
    ``request_seq`` and ``command`` match it; a response to no such request is a problem too.
    """
    sent = [line["message"] for line in lines if line.get("direction") == ADAPTER_TO_CLIENT]
    problems = validate_outgoing(sent)
    pending: dict[int, str | None] = {}  # request seq -> its command (None: it named none)
    for line in lines:
        message = line.get("message")
        if line.get("direction") == CLIENT_TO_ADAPTER and isinstance(message, dict):
            seq = message.get("seq")
            if message.get("type") == "request" and isinstance(seq, int) and not isinstance(seq, bool):
                command = message.get("command")
                pending[seq] = command if isinstance(command, str) else None
        elif line.get("direction") == ADAPTER_TO_CLIENT and message["type"] == "response":
            request_seq = message.get("request_seq")
            if not isinstance(request_seq, int) or request_seq not in pending:
                problems.append(f"{_describe(message)}: answers request_seq {request_seq!r}, which is no open request")
                continue
            command = pending.pop(request_seq)
            if command is not None and command != message.get("command"):
                problems.append(f"{_describe(message)}: answers request {request_seq} which was {command!r}")
    for seq, command in sorted(pending.items()):
        problems.append(f"request seq {seq} ({command}) got no response")
    return problems


def read_log(path: Path) -> list[dict[str, Any]]:
    """The lines of one session log written by the adapter's ``--log-dir``."""
    return [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines() if text.strip()]


def validate_log_dir(log_dir: Path) -> dict[str, list[str]]:
    """Problems per session log in ``log_dir`` (file name -> problems), only logs that have some."""
    report = {}
    for path in sorted(log_dir.glob("session-*.jsonl")):
        problems = validate_session(read_log(path))
        if problems:
            report[path.name] = problems
    return report


@pytest.fixture
def dap_log_dir(tmp_path: Path) -> Iterator[Path]:
    """A ``--log-dir`` for the adapter under test; every session in it must conform at teardown."""
    log_dir = tmp_path / "dap-logs"
    log_dir.mkdir()
    yield log_dir
    report = validate_log_dir(log_dir)
    if report:
        text = "\n".join(f"{name}:\n  " + "\n  ".join(problems) for name, problems in report.items())
        pytest.fail(f"the adapter sent messages that break the DAP schema:\n{text}", pytrace=False)

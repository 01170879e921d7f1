"""A seeded generator of hostile DAP input, driven by the official schema (third_party/dap).

Each case is a request whose arguments are made from the schema of its command, then spoiled with
some probability: a wrong type, a missing required field, an unknown field, a huge number, text
that is not valid Unicode, deep nesting. Besides requests there are broken envelopes (``seq`` that
is not a non-negative integer, no ``type``) and bad frames that still end where they say (a frame
that lies about its length would swallow the next message; that is the oversize test's business).
The same seed gives the same cases, so a failure can be replayed: the test prints the seed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dap_schema import load_schema

#: Requests never sent: they end the session or the debuggee (disconnect, terminate, restart),
#: start a second one (launch, attach), or are the adapter's own (reverse requests). Their wrong-state
#: forms are tried on their own (:data:`WRONG_STATE`).
EXCLUDED = frozenset(
    {"disconnect", "terminate", "restart", "launch", "attach", "runInTerminal", "startDebugging", "terminateThreads"}
)
#: Requests in a state where they make no sense (sent as they are, each must get its one answer).
WRONG_STATE = [
    ("configurationDone", {}),
    ("launch", {"program": "/nonexistent/program.py"}),
    ("stackTrace", {"threadId": 1}),
    ("variables", {"variablesReference": 1}),
    ("continue", {"threadId": 1}),
    ("initialize", {"adapterID": "fuzz"}),
]

STRINGS = [
    "",
    "x",
    "\ud800x",
    "x\udfff",
    "\udcff.py",
    "\x00",
    "a" * 70_000,
    "\U0001f4a5" * 500,
    "${workspaceFolder}",
    "{0}{x}%s%n",
    "../../../../etc/passwd",
    "\\",
    '"',
    "\u202e\u200b",
    "None",
]
#: Stands for an integer of 5000 digits, which json cannot even write without lifting Python's limit:
#: :meth:`Case.data` puts the digits in its place.
HUGE = "<5000 digits>"
INTEGERS = [0, 1, 2, -1, 2**31, -(2**31) - 1, 2**53 + 1, 2**63, -(2**63) - 1, 10**30, HUGE]
NUMBERS = [0.0, -0.0, 1.5, 1e308, -1e308, 5e-324]
WRONG = [None, True, 0, -1, 10**30, 1.5, "", "\ud800", [], [1, [2, [3]]], {}, {"x": {"y": None}}]


@dataclass(frozen=True, slots=True)
class Case:
    """One thing to send: a ``message`` (framed by the test), or ``raw`` bytes sent as they are.

    ``answerable``: a response with ``request_seq == message["seq"]`` must come, exactly one.
    ``complaint``: an ``important`` output event must come instead (no response can be addressed).
    """

    kind: str
    message: dict[str, Any] | None = None
    raw: bytes | None = None
    answerable: bool = False
    complaint: bool = False

    @property
    def data(self) -> bytes:
        """The bytes to send."""
        if self.raw is not None:
            return self.raw
        body = json.dumps(self.message, ensure_ascii=False).encode("utf-8", "backslashreplace")
        return frame(body.replace(json.dumps(HUGE).encode(), b"9" * 5000))

    @property
    def huge(self) -> bool:
        """The message holds an integer too long for json to read (the whole message is unreadable then)."""
        return self.raw is None and json.dumps(HUGE) in json.dumps(self.message)


class Generator:
    """Cases from ``seed``; :meth:`cases` takes the next seq numbers from ``first_seq`` up.

    ``known`` (an integer list the caller keeps current: thread, frame and variable ids of the
    session) gives half the integers, so that requests get past "no such frame" to the code behind.
    """

    def __init__(self, seed: int, known: list[int] | None = None) -> None:
        self.random = random.Random(seed)
        self.known = known if known is not None else []
        self.definitions: dict[str, Any] = load_schema()["definitions"]
        self.commands = sorted(self._request_arguments())

    def _request_arguments(self) -> dict[str, dict[str, Any] | None]:
        """command -> the schema of its arguments (None when it takes none), for every request we may send."""
        found: dict[str, dict[str, Any] | None] = {}
        for name, definition in self.definitions.items():
            if not name.endswith("Request") or name == "Request":
                continue
            properties = self._merged(definition).get("properties", {})
            command = properties.get("command", {}).get("enum", [None])[0]
            if command and command not in EXCLUDED:
                found[command] = properties.get("arguments")
        return found

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.definitions[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def _merged(self, schema: dict[str, Any]) -> dict[str, Any]:
        """``allOf`` parts merged into one object schema (properties and required lists joined)."""
        schema = self._resolve(schema)
        if "allOf" not in schema:
            return schema
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            part = self._merged(part)
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
        return merged

    def value(self, schema: dict[str, Any], depth: int = 0) -> Any:
        """A value the schema allows (mostly), ``depth`` levels down."""
        rng = self.random
        schema = self._merged(schema)
        if "enum" in schema:
            return rng.choice(schema["enum"])
        kind = schema.get("type", "object")
        if isinstance(kind, list):
            kind = rng.choice(kind)
        if kind == "object":
            if depth > 3:
                return {}
            required = set(schema.get("required", []))
            return {
                key: self.maybe_spoiled(part, depth + 1)
                for key, part in schema.get("properties", {}).items()
                if key in required or rng.random() < 0.5
            }
        if kind == "array":
            items = schema.get("items", {})
            return [self.maybe_spoiled(items, depth + 1) for _ in range(rng.choice([0, 1, 2, 3]))] if depth < 4 else []
        return {
            "string": lambda: rng.choice(STRINGS),
            "integer": lambda: rng.choice(self.known if self.known and rng.random() < 0.5 else INTEGERS),
            "number": lambda: rng.choice(NUMBERS + INTEGERS[:6]),
            "boolean": lambda: rng.choice([True, False]),
            "null": lambda: None,
        }.get(kind, lambda: rng.choice(WRONG))()

    def maybe_spoiled(self, schema: dict[str, Any], depth: int) -> Any:
        """Usually a fitting value; one time in eight a value of a wrong type."""
        return self.random.choice(WRONG) if self.random.random() < 0.125 else self.value(schema, depth)

    def request(self, seq: int) -> Case:
        rng = self.random
        command = rng.choice(self.commands)
        schema = self._request_arguments()[command]
        message: dict[str, Any] = {"seq": seq, "type": "request", "command": command}
        if schema is not None:
            arguments = self.value(schema)
            roll = rng.random()
            if roll < 0.1 and isinstance(arguments, dict) and arguments:
                del arguments[rng.choice(sorted(arguments))]  # a field missing, perhaps a required one
            elif roll < 0.2 and isinstance(arguments, dict):
                arguments[rng.choice(STRINGS[:6])] = rng.choice(WRONG)  # a field nobody knows
            elif roll < 0.25:
                arguments = rng.choice(WRONG)  # arguments that are no object
            elif roll < 0.27:
                arguments = {"x": nested(rng.choice([70, 900]))}  # deeper than a request may nest
            message["arguments"] = arguments
        if rng.random() < 0.05:
            message["command"] = rng.choice(STRINGS)  # an unknown command, perhaps not valid Unicode
        case = Case("request", message, answerable=True)
        return Case("unreadable request", message, complaint=True) if case.huge else case

    def envelope(self, seq: int) -> Case:
        """A message no response can be addressed to, or that is not a request at all."""
        rng = self.random
        spoil = rng.choice(["seq", "type", "nested"])
        if spoil == "seq":
            message = {"seq": rng.choice([-1, "1", None, 1.5, [], -(10**30)]), "type": "request", "command": "threads"}
        elif spoil == "type":
            message = {"seq": seq, "type": rng.choice(["event", "", None, 5, "\ud800"]), "command": "threads"}
        else:
            depth = rng.choice([50, 5_000, 200_000])
            return Case("envelope", raw=frame(b"[" * depth + b"]" * depth), complaint=True)
        return Case("envelope", message, complaint=True)

    def bad_frame(self) -> Case:
        """Bytes that break the framing but end where they say."""
        body = self.random.choice(
            [b"[1, 2]", b"42", b"{nope", b"\xff\xfe\xfd", b"", b'"just text"', b"null", b'{"a":' * 2 + b"1}}"]
        )
        header = self.random.choice(
            [
                b"Content-Length: %d\r\n\r\n" % len(body),
                b"content-length:%d\r\nX-Other: \xff\r\n\r\n" % len(body),
            ]
        )
        return Case("frame", raw=header + body, complaint=True)

    def no_length(self) -> Case:
        return Case(
            "frame", raw=self.random.choice([b"X-Nothing: 1\r\n\r\n", b"Content-Length: abc\r\n\r\n"]), complaint=True
        )

    def cases(self, count: int, first_seq: int) -> Iterator[Case]:
        """``count`` cases: mostly requests, some broken envelopes and frames, the wrong-state requests."""
        seq = first_seq
        for index in range(count):
            seq += 1
            if index < len(WRONG_STATE):
                command, arguments = WRONG_STATE[index]
                message = {"seq": seq, "type": "request", "command": command, "arguments": arguments}
                yield Case("wrong state", message, answerable=True)
                continue
            roll = self.random.random()
            if roll < 0.8:
                yield self.request(seq)
            elif roll < 0.9:
                yield self.envelope(seq)
            elif roll < 0.97:
                yield self.bad_frame()
            else:
                yield self.no_length()


def nested(depth: int) -> list[Any]:
    """An array in an array ... ``depth`` levels deep."""
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body

"""Per-session message log (``--log-dir``): every DAP message in and out, as JSON lines.

File format (one file per session, named ``session-<adapter pid>-<n>.jsonl``, ``n`` counting
sessions from 1 in that adapter process). Each line is one JSON object::

    {"time": 1767000000.123, "direction": "client->adapter", "message": {...}}

``time`` is ``time.time()`` when the line was written. ``direction`` is one of

* ``client->adapter``: a message the client sent (as parsed JSON, before validation);
* ``adapter->client``: a message the adapter sent to the client, exactly as framed (with ``seq``);
* ``adapter->agent`` / ``agent->adapter``: traffic with the agent inside the debuggee;
* ``error``: input that was not a message (framing error, non-JSON body). Instead of
  ``message`` such a line has ``error`` (what was wrong) and ``source`` (``client`` or ``agent``).

Lines are flushed as they are written, so a reader sees them while the session runs.

The files are private (0600; a folder we create is 0700), and they hold no secrets: in the
arguments of every request, the values of an ``env`` object and every token
(``accessToken``, ``adapterAccessToken``) are written as ``"<redacted>"``.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path
from typing import Any, TextIO

CLIENT_TO_ADAPTER = "client->adapter"
ADAPTER_TO_CLIENT = "adapter->client"
ADAPTER_TO_AGENT = "adapter->agent"
AGENT_TO_ADAPTER = "agent->adapter"
ERROR = "error"

REDACTED = "<redacted>"
#: Argument names whose value is a credential.
_SECRET_KEYS = frozenset({"accessToken", "adapterAccessToken"})

_session_numbers = itertools.count(1)


#: How deep :func:`redacted` looks (secrets sit one or two levels down: launch's ``env``,
#: ``startDebugging``'s ``configuration.accessToken``); a client's deeper nesting is logged as it is.
_REDACT_DEPTH = 8


def redacted(value: Any, depth: int = 0) -> Any:
    """``value`` (a request's arguments) with every ``env`` value and token replaced by :data:`REDACTED`."""
    if depth > _REDACT_DEPTH:
        return value
    if isinstance(value, list):
        return [redacted(item, depth + 1) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key in _SECRET_KEYS:
            out[key] = REDACTED
        elif key == "env" and isinstance(item, dict):
            out[key] = dict.fromkeys(item, REDACTED)
        else:
            out[key] = redacted(item, depth + 1)
    return out


class MessageLog:
    """Writes one session's log lines; does nothing when the adapter runs without ``--log-dir``."""

    def __init__(self, file: TextIO | None) -> None:
        self._file = file
        #: True while lines are written: a relay decodes a passed-through body only for the log, and
        #: the hot paths look at this attribute before they call :meth:`record` (a call per message)
        self.enabled = file is not None

    @classmethod
    def open(cls, log_dir: Path | None) -> MessageLog:
        """Start a new session's log file in ``log_dir`` (a no-op log when ``log_dir`` is None)."""
        if log_dir is None:
            return cls(None)
        log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = log_dir / f"session-{os.getpid()}-{next(_session_numbers)}.jsonl"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        os.fchmod(descriptor, 0o600)  # a file left from an earlier adapter of the same pid keeps its mode otherwise
        # a lone surrogate (in a value's repr) can only stand inside a JSON string, where \udXXX is its escape
        return cls(os.fdopen(descriptor, "w", encoding="utf-8", errors="backslashreplace", buffering=1))

    def record(self, direction: str, message: dict[str, Any]) -> None:
        """Log one message going ``direction``."""
        if self._file is not None:
            if message.get("type") == "request" and "arguments" in message:
                message = {**message, "arguments": redacted(message["arguments"])}
            self._write({"time": time.time(), "direction": direction, "message": message})

    def record_error(self, source: str, error: str) -> None:
        """Log input from ``source`` that could not be read as a message."""
        if self._file is not None:
            self._write({"time": time.time(), "direction": ERROR, "source": source, "error": error})

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._file is not None:
            self._file.close()
            self._file = None
            self.enabled = False

    def _write(self, line: dict[str, Any]) -> None:
        self._file.write(json.dumps(line, ensure_ascii=False, default=repr) + "\n")  # type: ignore[union-attr]

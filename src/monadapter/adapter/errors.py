"""The adapter's user-facing failures: each one becomes an error response whose message is its text."""

from __future__ import annotations

from typing import Any


class AdapterError(Exception):
    """A request failed for a reason the user can act on; ``str(exc)`` is the response's message."""


class NoDebuggeeError(AdapterError):
    """Raised for a request that needs the debuggee when none is running (before launch or after exit)."""

    def __init__(self) -> None:
        super().__init__("no debuggee is running")


class LaunchError(AdapterError):
    """Raised when the debuggee cannot be started: bad arguments, missing program or interpreter."""


class AgentGoneError(AdapterError):
    """Raised for a request still waiting for its answer when the debuggee's agent went away."""

    def __init__(self, command: str) -> None:
        super().__init__(f"the debuggee ended before it answered {command!r}")


class AgentRequestFailed(AdapterError):
    """The agent answered a relayed request with ``success: false``; keeps the agent's body."""

    def __init__(self, message: str, body: dict[str, Any] | None) -> None:
        super().__init__(message)
        self.body = body

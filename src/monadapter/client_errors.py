"""What a wait or a send of :mod:`monadapter.client` ends with when it gets no answer it can use;
import these from :mod:`monadapter.client`, which re-exports them."""

from __future__ import annotations

from typing import Any


class DapError(Exception):
    """The adapter answered a request with ``success: false``; ``response`` is that answer."""

    def __init__(self, response: dict[str, Any]) -> None:
        super().__init__(response.get("message") or f"{response.get('command')} failed")
        self.response = response


class DapTimeout(TimeoutError):
    """A wait ran out of time; the message says what was awaited."""


class DapConnectionClosed(ConnectionError):
    """The adapter closed the connection while the client was waiting for something."""

"""The adapter's DAP connection to the agent inside the debuggee: requests out, answers and events in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from monadapter.adapter.errors import AgentGoneError, AgentRequestFailed
from monadapter.adapter.messagelog import ADAPTER_TO_AGENT, AGENT_TO_ADAPTER, MessageLog
from monadapter.adapter.transport import MessageWriter, SocketChannel, read_messages
from monadapter.agent.wire import BadBody, FramingError


class PendingRequest:
    """A request sent to the agent whose answer has not come yet."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.response: dict[str, Any] | None = None
        self.done = anyio.Event()

    async def result(self) -> dict[str, Any]:
        """Wait for the answer and return its body.

        Raises:
            AgentRequestFailed: the agent answered ``success: false``.
            AgentGoneError: the agent went away first.
        """
        await self.done.wait()
        response = self.response
        if response is None:
            raise AgentGoneError(self.command)
        if not response.get("success"):
            message = response.get("message") or f"{self.command} failed"
            raise AgentRequestFailed(str(message), response.get("body"))
        body = response.get("body")
        return body if isinstance(body, dict) else {}


class AgentLink:
    """One agent connection: a single writer, the pending requests by seq, and the reading loop."""

    def __init__(self, channel: SocketChannel, log: MessageLog) -> None:
        self._channel = channel
        self._log = log
        self._writer = MessageWriter(channel, log, ADAPTER_TO_AGENT)
        self._pending: dict[int, PendingRequest] = {}
        self.closed = anyio.Event()

    async def send_request(self, message: dict[str, Any]) -> PendingRequest:
        """Send a request (its ``seq`` is replaced by ours) and return its pending answer."""
        pending = PendingRequest(str(message.get("command")))
        if self.closed.is_set():
            pending.done.set()
            return pending
        await self._writer.send(message, before_write=lambda seq: self._pending.__setitem__(seq, pending))
        return pending

    async def request(self, command: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send an adapter-made request and wait for its body."""
        message: dict[str, Any] = {"type": "request", "command": command}
        if arguments is not None:
            message["arguments"] = arguments
        return await (await self.send_request(message)).result()

    async def run(self, on_event: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        """Read until the agent goes away: answers go to their waiters, events to ``on_event``."""
        try:
            async for item in read_messages(self._channel):
                if isinstance(item, (BadBody, FramingError)):
                    self._log.record_error("agent", str(item.error if isinstance(item, BadBody) else item))
                    continue
                self._log.record(AGENT_TO_ADAPTER, item)
                if item.get("type") == "response":
                    pending = self._pending.pop(item.get("request_seq"), None)  # type: ignore[arg-type]
                    if pending is not None:
                        pending.response = item
                        pending.done.set()
                elif item.get("type") == "event":
                    await on_event(item)
        finally:
            self.closed.set()
            for pending in self._pending.values():
                pending.done.set()
            self._pending.clear()

    async def aclose(self) -> None:
        """Close the connection; the reading loop then ends and fails what is pending."""
        await self._channel.aclose()

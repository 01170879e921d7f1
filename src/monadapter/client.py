"""An async headless DAP client (anyio) for tests, scripts and benchmarks.

It talks to an adapter over TCP (:meth:`DapClient.connect`) or over the stdio of a process it
starts (:meth:`DapClient.spawn`)::

    async with DapClient.connect("127.0.0.1", port) as client:
        await client.initialize()
        launched = await client.launch(program="hello.py")
        await client.wait_for_event("initialized")
        await client.set_breakpoints("hello.py", [3])
        await client.configuration_done()
        await launched
        stopped = await client.wait_for_event("stopped")

The client runs no background task and every wait has a timeout (client_connection.py says how it
is made). This module is the public face: the typed requests and test conveniences of :class:`DapClient`;
the protocol side, :class:`DapConnection` and :class:`PendingResponse` (client_connection.py), and
its errors (client_errors.py) are re-exported here, where tests and users import them from.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Self

from monadapter.client_connection import DEFAULT_TIMEOUT, DapConnection, PendingResponse
from monadapter.client_errors import DapConnectionClosed, DapError, DapTimeout
from monadapter.client_inbox import Predicate

__all__ = [
    "DEFAULT_TIMEOUT",
    "DapClient",
    "DapConnection",
    "DapConnectionClosed",
    "DapError",
    "DapTimeout",
    "PendingResponse",
    "Predicate",
    "adapter_command",
]


class DapClient(DapConnection):
    """A DAP client session; use it as an async context manager."""

    # --- child sessions (startDebugging) -----------------------------------------------------

    async def wait_for_child(self, *, timeout: float | None = None) -> dict[str, Any]:
        """The arguments (``request``, ``configuration``) of the next ``startDebugging`` request not
        returned before: a child process waits for a session (the client already said yes)."""
        return await self._waits.until(
            self._inbox.take_child_start, "a startDebugging request", timeout or self.timeout
        )

    def child_client(self) -> Self:
        """A new client (enter it with ``async with``) for a child session, as an editor makes one:
        to the same adapter server, or to a new adapter process started like this one's."""
        if self._sibling is None:
            raise RuntimeError("only a client made by connect() or spawn() can open child sessions")
        return self._sibling()

    @asynccontextmanager
    async def attached_child(
        self,
        start: dict[str, Any],
        breakpoints: dict[str | Path, list[int] | list[dict[str, Any]]] | None = None,
    ) -> AsyncIterator[DapClient]:
        """Open the child session that ``start`` (from :meth:`wait_for_child`) asks for: a new client
        runs initialize and the attach configuration with ``breakpoints``, then configurationDone,
        and is yielded once the child's program runs. The client closes on exit."""
        async with self.child_client() as child:
            await child.initialize()
            await child.configuration_sequence(
                breakpoints, request=str(start.get("request", "attach")), **(start.get("configuration") or {})
            )
            yield child

    # --- typed helpers ---------------------------------------------------------------------

    async def initialize(self, **arguments: Any) -> dict[str, Any]:
        """Send ``initialize`` (VS Code-like defaults, runInTerminal supported) and keep the capabilities."""
        defaults = {
            "clientID": "monadapter-client",
            "adapterID": "monadapter",
            "linesStartAt1": True,
            "columnsStartAt1": True,
            "pathFormat": "path",
            "supportsRunInTerminalRequest": True,
            "supportsStartDebuggingRequest": True,
            "supportsVariableType": True,
        }
        self.capabilities = await self.request("initialize", {**defaults, **arguments})
        return self.capabilities

    async def launch(self, **arguments: Any) -> PendingResponse:
        """Send ``launch``; its response comes after configurationDone, so await the result later."""
        return await self.send_request("launch", arguments)

    async def attach(self, **arguments: Any) -> dict[str, Any]:
        """Send ``attach`` and wait for its response."""
        return await self.request("attach", arguments)

    async def set_breakpoints(
        self, path: str | Path, lines_or_breakpoints: list[int] | list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Replace the breakpoints of ``path``; each is a line number or a SourceBreakpoint dict."""
        breakpoints = [{"line": item} if isinstance(item, int) else item for item in lines_or_breakpoints]
        body = await self.request("setBreakpoints", {"source": {"path": str(path)}, "breakpoints": breakpoints})
        return body.get("breakpoints", [])

    async def set_exception_breakpoints(self, filters: list[str], **arguments: Any) -> dict[str, Any]:
        """Choose the exception filters (``raised``, ``uncaught``... as the adapter advertises)."""
        return await self.request("setExceptionBreakpoints", {"filters": filters, **arguments})

    async def configuration_done(self) -> dict[str, Any]:
        """End the configuration phase: the program starts running."""
        return await self.request("configurationDone")

    async def threads(self) -> list[dict[str, Any]]:
        """The debuggee's threads."""
        return (await self.request("threads")).get("threads", [])

    async def stack_trace(self, thread_id: int, **arguments: Any) -> list[dict[str, Any]]:
        """The stack frames of a paused thread, innermost first."""
        body = await self.request("stackTrace", {"threadId": thread_id, **arguments})
        return body.get("stackFrames", [])

    async def scopes(self, frame_id: int) -> list[dict[str, Any]]:
        """The scopes of a frame."""
        return (await self.request("scopes", {"frameId": frame_id})).get("scopes", [])

    async def variables(self, variables_reference: int, **arguments: Any) -> list[dict[str, Any]]:
        """The variables under a reference."""
        body = await self.request("variables", {"variablesReference": variables_reference, **arguments})
        return body.get("variables", [])

    async def evaluate(
        self, expression: str, frame_id: int | None = None, *, context: str = "repl", **arguments: Any
    ) -> dict[str, Any]:
        """Evaluate ``expression`` (in a frame when ``frame_id`` is given)."""
        body_arguments: dict[str, Any] = {"expression": expression, "context": context, **arguments}
        if frame_id is not None:
            body_arguments["frameId"] = frame_id
        return await self.request("evaluate", body_arguments)

    async def continue_(self, thread_id: int, **arguments: Any) -> dict[str, Any]:
        """Resume a paused thread (``continue`` is a Python keyword)."""
        return await self.request("continue", {"threadId": thread_id, **arguments})

    async def next(self, thread_id: int, **arguments: Any) -> dict[str, Any]:
        """Step over."""
        return await self.request("next", {"threadId": thread_id, **arguments})

    async def step_in(self, thread_id: int, **arguments: Any) -> dict[str, Any]:
        """Step into."""
        return await self.request("stepIn", {"threadId": thread_id, **arguments})

    async def step_out(self, thread_id: int, **arguments: Any) -> dict[str, Any]:
        """Step out."""
        return await self.request("stepOut", {"threadId": thread_id, **arguments})

    async def pause(self, thread_id: int) -> dict[str, Any]:
        """Pause a running thread."""
        return await self.request("pause", {"threadId": thread_id})

    async def disconnect(self, *, terminate_debuggee: bool | None = None, **arguments: Any) -> dict[str, Any]:
        """End the session; ``terminate_debuggee=False`` leaves the program running."""
        if terminate_debuggee is not None:
            arguments["terminateDebuggee"] = terminate_debuggee
        return await self.request("disconnect", arguments)

    async def terminate(self) -> dict[str, Any]:
        """Ask the adapter to end the debuggee."""
        return await self.request("terminate")

    # --- conveniences for tests ------------------------------------------------------------

    async def configuration_sequence(
        self,
        breakpoints: dict[str | Path, list[int] | list[dict[str, Any]]] | None = None,
        *,
        exception_filters: list[str] | None = None,
        request: str = "launch",
        **launch_arguments: Any,
    ) -> PendingResponse:
        """launch (or ``request="attach"``), wait for ``initialized``, set breakpoints/filters, configurationDone.

        Returns the pending launch response (already answered once this returns normally).
        """
        launched = await self.send_request(request, launch_arguments)
        await self.wait_for_event("initialized")
        for path, lines in (breakpoints or {}).items():
            await self.set_breakpoints(path, lines)
        if exception_filters is not None:
            await self.set_exception_breakpoints(exception_filters)
        await self.configuration_done()
        await launched
        return launched

    async def launch_and_stop(
        self, breakpoints: dict[str | Path, list[int] | list[dict[str, Any]]] | None = None, **launch_arguments: Any
    ) -> dict[str, Any]:
        """Run the configuration sequence and return the first ``stopped`` event."""
        await self.configuration_sequence(breakpoints, **launch_arguments)
        return await self.wait_for_event("stopped")

    async def run_to_end(self, **launch_arguments: Any) -> int:
        """Launch without breakpoints and return the exit code once ``terminated`` arrived."""
        await self.configuration_sequence(**launch_arguments)
        exited = await self.wait_for_event("exited")
        await self.wait_for_event("terminated")
        return int(exited["body"]["exitCode"])


def adapter_command() -> list[str]:
    """The argv that starts the adapter on stdio with this interpreter."""
    return [sys.executable, "-m", "monadapter"]

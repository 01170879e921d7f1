"""Helpers for the engine's tests: a real adapter session, programs written inline, stop inspection.

Every test drives ``python -m monadapter`` through the headless client, which launches a real
debuggee; nothing is mocked. Programs are dedented text written to a temporary directory, with
``# line N`` markers where a test needs to name a line (``line_of`` finds them).
"""

from __future__ import annotations

import contextlib
import sys
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from monadapter.agent.wiring import AUX_CANDIDATES, DEBUGGER_ID, TOOL_NAME
from monadapter.client import DapClient, DapConnectionClosed, DapTimeout, adapter_command

#: Seconds for every wait of a test (each test also has pytest-timeout's 60 s).
WAIT = 20.0
#: Seconds a failed test waits for its debuggee to end, to report how it ended (debuggee_report).
END_WAIT = 5.0


def write_program(directory: Path, text: str, name: str = "prog.py") -> Path:
    """Write dedented ``text`` to ``directory/name`` and return its path."""
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def line_of(path: Path, marker: str) -> int:
    """The 1-based number of the first line of ``path`` that contains ``marker``."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} is not in {path}")


@asynccontextmanager
async def session(**initialize_arguments: Any) -> AsyncIterator[DapClient]:
    """An initialized client talking to a fresh adapter over stdio."""
    async with DapClient.spawn(adapter_command(), timeout=WAIT) as client:
        await client.initialize(**initialize_arguments)
        try:
            yield client
        except Exception as exc:
            exc.add_note(await debuggee_report(client))
            raise


async def debuggee_report(client: DapClient) -> str:
    """What a failed test's debuggee wrote on stderr and how it ended (its exit code, or the signal
    that killed it), waiting up to END_WAIT for its end: 'the debuggee ended before it answered'
    alone does not say whether it crashed or ended as the program does."""
    exited = [event for event in client.events if event["event"] == "exited"]
    if not exited:
        with contextlib.suppress(DapTimeout, DapConnectionClosed, ValueError):
            exited.append(await client.wait_for_event("exited", timeout=END_WAIT))
    if not exited:
        ending = f"not ended {END_WAIT:g} s after the failure"
    else:
        code = exited[0]["body"].get("exitCode")
        signal = code - 128 if isinstance(code, int) and code > 128 else None  # the adapter's 128 + N
        ending = f"exit code {code}" + (f" (signal {signal} if it was killed)" if signal else "")
    return f"the debuggee: {ending}; its stderr:\n{client.output('stderr') or '(nothing)'}"


def launch_arguments(program: Path, **extra: Any) -> dict[str, Any]:
    """Launch arguments for ``program`` on this interpreter, output in the debug console."""
    return {"program": str(program), "python": sys.executable, "console": "internalConsole", **extra}


async def top_frame(client: DapClient, stopped: dict[str, Any]) -> dict[str, Any]:
    """The innermost frame of the thread a ``stopped`` event names."""
    frames = await client.stack_trace(stopped["body"]["threadId"])
    return frames[0]


async def stop_location(client: DapClient, stopped: dict[str, Any]) -> tuple[str, int]:
    """(function name, line) where the thread a ``stopped`` event names is stopped."""
    frame = await top_frame(client, stopped)
    return frame["name"], frame["line"]


async def evaluate_in_top_frame(client: DapClient, stopped: dict[str, Any], expression: str) -> str:
    frame = await top_frame(client, stopped)
    return (await client.evaluate(expression, frame["id"], context="watch"))["result"]


async def next_stop(client: DapClient, stopped: dict[str, Any]) -> dict[str, Any]:
    """Continue all threads from ``stopped`` and return the next stop: the first ``stopped`` event
    reported after the continue's answer. The agent reports every stop either before a resume's answer
    (the resume ends it) or after it, and then it is in force (``Parking.answered``): a stop of
    another thread reported during this one is over once continued, and is never returned here as if
    it were the next (a test that wants it looks at it before continuing)."""
    pending = await client.send_request("continue", {"threadId": stopped["body"]["threadId"]})
    await pending
    answered = client.events_before[pending.seq]
    try:
        return await client.wait_for_event("stopped", lambda event: client.events.index(event) >= answered)
    except DapTimeout as exc:
        ended = [event["body"] for event in client.events[:answered] if event["event"] == "stopped"]
        raise AssertionError(f"no stop after the continue; the stops reported before its answer: {ended}") from exc


async def run_to_exit(client: DapClient, stopped: dict[str, Any] | None = None) -> int:
    """Continue (when stopped) and return the exit code."""
    if stopped is not None:
        await client.continue_(stopped["body"]["threadId"])
    exited = await client.wait_for_event("exited")
    return int(exited["body"]["exitCode"])


async def run_continuing(
    client: DapClient, filters: list[str], *, inspect: bool = True, **launch: Any
) -> tuple[int, list[dict[str, Any]]]:
    """Launch with the exception ``filters`` and continue every stop until the program ends; with
    ``inspect``, first ask what an editor asks at a stop (stack, scopes, variables, exceptionInfo).
    Returns the exit code and the stopped events."""
    await client.configuration_sequence(exception_filters=filters, **launch)
    stops: list[dict[str, Any]] = []
    while True:
        event = await client.wait_for_any_event("stopped", "exited")
        if event["event"] == "exited":
            break
        stops.append(event)
        thread_id = event["body"]["threadId"]
        if inspect:
            frames = await client.stack_trace(thread_id)
            scopes = await client.scopes(frames[0]["id"]) if frames else []
            if scopes:
                await client.variables(scopes[0]["variablesReference"])
            if event["body"]["reason"] == "exception":
                await client.request("exceptionInfo", {"threadId": thread_id})
        await client.continue_(thread_id)
    await client.wait_for_event("terminated")
    return int(event["body"]["exitCode"]), stops


def our_tool_ids_free() -> None:
    """Before a test starts a real engine in the pytest process: our tool ids must be free. Held by
    monadapter, an earlier test leaked them (an engine never stopped): a failure. Held by another tool
    (pdb's monitoring backend, a profiler run over the tests): a skip that names it, as the engine
    would refuse to start beside it (ToolBusyError)."""
    holders = {tool: sys.monitoring.get_tool(tool) for tool in (DEBUGGER_ID, *AUX_CANDIDATES)}
    assert TOOL_NAME not in holders.values(), f"our tool ids leaked by an earlier test: {holders}"
    taken = {tool: name for tool, name in holders.items() if name is not None}
    if taken:
        pytest.skip(f"another tool holds our sys.monitoring ids in this process: {taken}")

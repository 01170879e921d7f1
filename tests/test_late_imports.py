"""Modules the agent imports late, after the program runs, never wait for an import lock a thread we
hold paused owns (agent/__init__.py, ``_import``): such a request fails and says why, and the session
and the program go on. A paused thread in the middle of importing ``dataclasses`` (a breakpoint at
module level of the standard library's own file) holds importlib's lock for it until resumed; the
first stackTrace loads the agent's frame and value readers, which import ``dataclasses``."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from engine_helpers import launch_arguments, line_of, run_to_exit, session, write_program

from monadapter.client import DapError

#: The standard library's dataclasses.py: the debuggee runs this interpreter's, as the tests do.
DATACLASSES = Path(dataclasses.__file__)

PROGRAM = """
    import dataclasses
    done = dataclasses.is_dataclass(1)  # imported
"""


async def test_a_request_that_imports_a_module_a_paused_thread_is_importing_fails_and_says_why(
    tmp_path: Path,
) -> None:
    program = write_program(tmp_path, PROGRAM)
    inside = line_of(DATACLASSES, "__all__ = [")
    async with session() as client:
        stopped = await client.launch_and_stop(
            {str(DATACLASSES): [inside], program: [line_of(program, "# imported")]},
            **launch_arguments(program, justMyCode=False),
        )
        thread_id = stopped["body"]["threadId"]
        with pytest.raises(DapError, match="the program is paused while importing dataclasses"):
            await client.request("stackTrace", {"threadId": thread_id}, timeout=10)
        threads = await client.request("threads")  # the agent still answers
        assert [thread["id"] for thread in threads["threads"]] == [thread_id]
        await client.continue_(thread_id)
        stopped = await client.wait_for_event("stopped")  # the program went on, finished its import
        frames = await client.stack_trace(stopped["body"]["threadId"])
        assert frames[0]["line"] == line_of(program, "# imported")
        assert await run_to_exit(client, stopped) == 0

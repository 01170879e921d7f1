"""asyncio tasks shown like threads (issue 15): paused in a program running an event loop, the
"Tasks (asyncio)" scope lists the loop's tasks with their names, states and await chains; each task
opens onto its coroutine stack, each frame onto its locals. A program without asyncio gets no such
scope and never has asyncio imported by us."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine_helpers import line_of, write_program
from inspection_helpers import finish, stop_at

from monadapter.agent.tasks import SCOPE_NAME
from monadapter.client import DapClient

PROGRAM = """
    import asyncio

    async def third_work():
        depth = 3
        await asyncio.sleep(0)
        print("third", depth)  # stop here
        return depth

    async def second_work():
        depth = 2
        inner = asyncio.create_task(third_work(), name="third")
        return await inner + depth

    async def waits_on(task):
        waiting_on = task.get_name()
        return await task

    async def first_work():
        depth = 1
        return await waits_on(asyncio.create_task(second_work(), name="second"))

    async def main():
        result = await asyncio.create_task(first_work(), name="first")
        print("result", result)

    asyncio.run(main())
"""


async def _children(client: DapClient, variable: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert variable["variablesReference"] > 0, variable
    return {child["name"]: child for child in await client.variables(variable["variablesReference"])}


async def test_three_tasks_awaiting_each_other(client: DapClient, tmp_path: Path) -> None:
    program = write_program(tmp_path, PROGRAM, name="tasks.py")
    thread_id, frame = await stop_at(client, program, "# stop here")
    scopes = {scope["name"]: scope for scope in await client.scopes(frame["id"])}
    assert list(scopes) == ["Locals", "Globals", SCOPE_NAME]
    tasks = {v["name"]: v for v in await client.variables(scopes[SCOPE_NAME]["variablesReference"])}
    assert list(tasks) == ["third", "Task-1", "first", "second"]  # the current task first
    assert tasks["third"]["value"] == "running (current task)"
    assert tasks["second"]["value"] == "pending, awaiting third"
    assert tasks["first"]["value"] == "pending, awaiting second -> third"
    assert tasks["Task-1"]["value"] == "pending, awaiting first -> second -> third"

    first = await _children(client, tasks["first"])
    assert first["state"]["value"] == "'pending'"
    assert first["current"]["value"] == "False"
    assert "awaited by" in first
    # its coroutine stack, innermost first, each frame opening onto its locals
    frames = [name for name in first if name.startswith(("waits_on (", "first_work ("))]
    assert frames == [
        f"waits_on (tasks.py:{line_of(program, 'waiting_on = ') + 1})",
        f"first_work (tasks.py:{line_of(program, 'return await waits_on')})",
    ]
    waits_on = await _children(client, first[frames[0]])
    assert waits_on["waiting_on"]["value"] == "'second'"
    second = await _children(client, tasks["second"])
    assert (await _children(client, second[next(n for n in second if n.startswith("second_work ("))]))["depth"][
        "value"
    ] == "2"
    current = await _children(client, tasks["third"])
    assert (current["state"]["value"], current["current"]["value"]) == ("'running'", "True")
    assert current["awaited by"]["value"] == "['second']"
    assert await finish(client, thread_id) == "third 3\nresult 5\n"


def _line(program: Path, text: str) -> int:
    return next(number for number, line in enumerate(program.read_text().splitlines(), 1) if text in line)


async def test_no_tasks_scope_and_no_asyncio_without_it(client: DapClient, tmp_path: Path) -> None:
    program = write_program(tmp_path, "import sys\nvalue = 1\nprint(value)  # stop here\n")
    thread_id, frame = await stop_at(client, program, "# stop here")
    assert [scope["name"] for scope in await client.scopes(frame["id"])] == ["Globals"]
    answer = await client.evaluate("'asyncio' in sys.modules", frame["id"], context="watch")
    assert answer["result"] == "False"
    assert await finish(client, thread_id) == "1\n"


GROUP_PROGRAM = """
    import asyncio

    async def sleeper():
        await asyncio.sleep(100)

    async def stopper():
        await asyncio.sleep(0)
        print("stopping")  # stop here
        raise SystemExit(0)

    async def main():
        async with asyncio.TaskGroup() as group:
            group.create_task(sleeper(), name="sleeper")
            group.create_task(stopper(), name="stopper")

    asyncio.run(main())
"""


async def test_a_task_group_awaits_its_tasks(client: DapClient, tmp_path: Path) -> None:
    """A task ending an ``async with TaskGroup()`` waits for all the group's tasks (3.12-3.15 alike)."""
    program = write_program(tmp_path, GROUP_PROGRAM)
    thread_id, frame = await stop_at(client, program, "# stop here")
    scopes = {scope["name"]: scope for scope in await client.scopes(frame["id"])}
    tasks = {v["name"]: v for v in await client.variables(scopes[SCOPE_NAME]["variablesReference"])}
    assert tasks["Task-1"]["value"] == "pending, awaiting sleeper, stopper"
    assert tasks["sleeper"]["value"] == "pending"
    sleeper = await _children(client, tasks["sleeper"])
    assert sleeper["awaited by"]["value"] == "['Task-1']"
    assert [name.split(" (")[0] for name in sleeper if " (" in name] == ["sleep", "sleeper"]
    await client.continue_(thread_id)
    await client.wait_for_event("terminated")

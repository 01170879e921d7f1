"""The asyncio tasks of the loop a paused thread runs, as a "Tasks (asyncio)" scope: each task with its
name, state and await chain, its coroutine stack, and each of those frames' locals.

Read only on a paused thread that runs an event loop, and only when the program imported asyncio
(``sys.modules``): we never import it, so a program without asyncio pays nothing. The await chain
is built the same way on every version from what the tasks hold (``Task._fut_waiter``: the future
a suspended task waits for, another task or a ``gather`` of tasks; a ``TaskGroup`` whose
``__aexit__`` is on the task's stack waits for the group's tasks; ``cr_await``: the coroutine a
suspended coroutine waits in), the links ``asyncio.capture_call_graph`` (3.14+) reports.
"""

from __future__ import annotations

import functools
import os
import sys
from types import AsyncGeneratorType, CoroutineType, FrameType, GeneratorType

from .variable_refs import Synthetic

TYPE_CHECKING = False  # typing is for mypy only: a stop's scopes read with this module (agent/stack.py)
if TYPE_CHECKING:
    from typing import Any

#: Longest await chain or coroutine stack we follow (a cycle of futures must not hang a request).
MAX_DEPTH = 64
SCOPE_NAME = "Tasks (asyncio)"


def running_loop_tasks() -> tuple[Any, list[Any]] | None:
    """(current task or None, tasks of the loop) of the event loop this thread runs, None when the
    program has no asyncio or this thread runs no loop."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return None
    loop = asyncio.events._get_running_loop()
    if loop is None:
        return None
    return asyncio.current_task(loop), list(asyncio.all_tasks(loop))


def awaited_tasks(task: Any) -> list[Any]:
    """The tasks ``task`` waits for directly: the task it awaits, the tasks of a ``gather`` it awaits,
    or those of the ``TaskGroup`` whose ``async with`` it is ending (its ``__aexit__`` on its stack)."""
    waiter = getattr(task, "_fut_waiter", None)
    if waiter is None:
        return []
    if hasattr(waiter, "get_coro"):
        return [waiter]
    children = getattr(waiter, "_children", None)
    if children:
        return [child for child in children if hasattr(child, "get_coro")]
    group_type = getattr(sys.modules.get("asyncio"), "TaskGroup", None)
    if group_type is None:
        return []
    try:
        frames = coroutine_frames(task.get_coro())
    except Exception:
        return []
    for frame in frames:
        group = frame.f_locals.get("self") if frame.f_code.co_name in ("__aexit__", "_aexit") else None
        if isinstance(group, group_type):
            return [child for child in getattr(group, "_tasks", ()) if not child.done()]
    return []


def await_chain(task: Any) -> list[Any]:
    """The tasks ``task`` waits on: all those it waits for directly when there are several (a
    ``gather``, a ``TaskGroup``), else the chain of single waits it starts (a -> b -> c)."""
    awaited = awaited_tasks(task)
    if len(awaited) > 1:
        return sorted(awaited, key=task_name)
    chain: list[Any] = []
    while len(awaited) == 1 and len(chain) < MAX_DEPTH and awaited[0] not in chain and awaited[0] is not task:
        chain.append(awaited[0])
        awaited = awaited_tasks(awaited[0])
    return chain


def coroutine_frames(coro: Any) -> list[FrameType]:
    """The frames of a suspended coroutine chain, innermost first (as a thread's stack)."""
    frames: list[FrameType] = []
    while coro is not None and len(frames) < MAX_DEPTH:
        if isinstance(coro, CoroutineType):
            frame, coro = coro.cr_frame, coro.cr_await
        elif isinstance(coro, GeneratorType):
            frame, coro = coro.gi_frame, coro.gi_yieldfrom
        elif isinstance(coro, AsyncGeneratorType):
            frame, coro = coro.ag_frame, coro.ag_await
        else:
            break
        if frame is None:
            break
        frames.append(frame)
    frames.reverse()
    return frames


def state_of(task: Any, current: Any) -> str:
    if task is current:
        return "running"
    if not task.done():
        return "pending"
    return "cancelled" if task.cancelled() else "done"


def task_name(task: Any) -> str:
    try:
        return str(task.get_name())
    except Exception:
        return f"Task at {id(task):#x}"


def _locals_of(frame: FrameType) -> dict[str, Any]:
    return dict(frame.f_locals)


def frame_label(frame: FrameType) -> str:
    return f"{frame.f_code.co_qualname} ({os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno})"


def tasks_node() -> Synthetic | None:
    """The scope's root (one child per task, current first), None without a running loop here."""
    found = running_loop_tasks()
    if found is None:
        return None
    current, tasks = found
    tasks.sort(key=lambda task: (task is not current, task_name(task)))
    waiting: dict[int, list[str]] = {}  # id of a task -> names of the tasks that wait on it directly
    for task in tasks:
        for awaited in awaited_tasks(task):
            waiting.setdefault(id(awaited), []).append(task_name(task))
    for names in waiting.values():
        names.sort()
    entries: dict[str, Any] = {}
    for task in tasks:
        name = task_name(task)
        while name in entries:
            name += "'"
        entries[name] = _task_node(task, current, waiting.get(id(task), []))
    return Synthetic(f"{len(tasks)} tasks", entries)


def _task_node(task: Any, current: Any, waiters: list[str]) -> Synthetic:
    state = state_of(task, current)
    chain = [task_name(awaited) for awaited in await_chain(task)]
    summary = state + (" (current task)" if task is current else "")
    if chain:
        several = len(awaited_tasks(task)) > 1
        summary += ", awaiting " + (", ".join(chain) if several else " -> ".join(chain))
    children: dict[str, Any] = {"state": state, "current": task is current}
    if chain:
        children["awaiting"] = chain
    if waiters:
        children["awaited by"] = waiters
    if task is current:
        children["stack"] = "the thread's stack (Call Stack view)"
    else:
        try:
            frames = coroutine_frames(task.get_coro())
        except Exception:
            frames = []
        for frame in frames:
            # the locals are read when the frame is opened: a loop of many tasks costs little to list
            children[frame_label(frame)] = Synthetic(frame_label(frame), functools.partial(_locals_of, frame))
    return Synthetic(summary, children)

"""The asyncio tasks of the loop a paused thread runs, as a "Tasks (asyncio)" scope: each task with its
name, state and await chain, its coroutine stack, and each of those frames' locals.

Read only on a paused thread that runs an event loop, and only when the program imported asyncio
(``sys.modules``): we never import it, so a program without asyncio pays nothing. The await chain
is built the same way on every version from what the tasks hold (``Task._fut_waiter``: the future
a suspended task waits for, another task or a ``gather`` of tasks; ``cr_await``: the coroutine a
suspended coroutine waits in), which is what ``asyncio.capture_call_graph`` (3.14+) reads too.
"""

from __future__ import annotations

import os
import sys
from types import AsyncGeneratorType, CoroutineType, FrameType, GeneratorType
from typing import Any

from .variables import Synthetic

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
    """The tasks ``task`` waits for directly: the task it awaits, or the tasks of a ``gather`` it awaits."""
    waiter = getattr(task, "_fut_waiter", None)
    if waiter is None:
        return []
    if hasattr(waiter, "get_coro"):
        return [waiter]
    children = getattr(waiter, "_children", None) or ()
    return [child for child in children if hasattr(child, "get_coro")]


def await_chain(task: Any) -> list[Any]:
    """The tasks ``task`` waits on, transitively, first of each gather followed (a -> b -> c)."""
    chain: list[Any] = []
    current = task
    while len(chain) < MAX_DEPTH:
        awaited = awaited_tasks(current)
        if not awaited or awaited[0] in chain or awaited[0] is task:
            break
        current = awaited[0]
        chain.append(current)
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
        summary += ", awaiting " + " -> ".join(chain)
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
            children[frame_label(frame)] = Synthetic(frame_label(frame), dict(frame.f_locals))
    return Synthetic(summary, children)

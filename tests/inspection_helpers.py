"""Real paused frames for the StackReader and Inspector tests: a thread stopped inside a function, answering calls on itself.

This is the situation the engine creates: the debuggee thread waits inside a monitoring callback and runs
the inspection requests queued to it. Here the thread waits inside ``pause()``, called by the program
function, and :meth:`PausedThread.call` runs a function on that thread; the test thread can also touch
the frame directly, as another thread would (sys-monitoring-facts §5).
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

from engine_helpers import launch_arguments, line_of, top_frame

from monadapter.agent.codes import is_library_file
from monadapter.agent.frames import Inspector
from monadapter.agent.handles import Handles
from monadapter.agent.stack import StackReader
from monadapter.client import DapClient

WAIT = 10.0
PAUSE_LIMIT = 60.0  # a paused test thread gives up after this long without requests (a test that died)
_RESUME = object()


def source_for(code: CodeType) -> dict[str, Any]:
    """A stand-in for the engine's Source lookup: the path the code was compiled from."""
    return {"path": code.co_filename}


def make_inspector(**options: Any) -> Inspector:
    """An Inspector on a StackReader of its own (``inspector.stack``), as the Debugger makes them."""
    stack = StackReader(Handles(), source_for=source_for, options=options, library=is_library_file)
    return Inspector(stack, options=options)


class PausedThread:
    """Runs ``program(pause)`` on a new thread; ``pause()`` parks it until :meth:`resume`.

    While parked, :attr:`frame` is the frame that called ``pause()`` and :meth:`call` runs a function on
    the parked thread itself.
    """

    def __init__(self, program: Callable[[Callable[[], None]], Any]) -> None:
        self._jobs: queue.Queue[Any] = queue.Queue()
        self._results: queue.Queue[tuple[bool, Any]] = queue.Queue()
        self._paused = threading.Event()
        self.frame: FrameType | None = None
        self.result: Any = None
        self.thread = threading.Thread(target=self._main, args=(program,), daemon=True)
        self.thread.start()
        assert self._paused.wait(WAIT), "the program never paused"

    @property
    def ident(self) -> int:
        assert self.thread.ident is not None
        return self.thread.ident

    def _main(self, program: Callable[[Callable[[], None]], Any]) -> None:
        self.result = program(self._pause)

    def _pause(self) -> None:
        self.frame = sys._getframe(1)
        self._paused.set()
        while (job := self._jobs.get(timeout=PAUSE_LIMIT)) is not _RESUME:
            try:
                self._results.put((True, job()))
            except BaseException as exc:
                self._results.put((False, exc))
        self.frame = None

    def call(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run ``function(*args)`` on the paused thread and return its result (or raise its exception)."""
        self._jobs.put(lambda: function(*args))
        ok, value = self._results.get(timeout=WAIT)
        if not ok:
            raise value
        return value

    def resume(self) -> Any:
        """Let the program go on, wait for it to end and return what it returned."""
        self._jobs.put(_RESUME)
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), "the program did not finish"
        return self.result


def module_program(source: str, namespace: dict[str, Any]) -> Callable[[Callable[[], None]], None]:
    """Return a program that runs ``source`` as module code in ``namespace``, where ``pause()`` is defined."""
    code = compile(source, "/virtual/module_code.py", "exec")

    def program(pause: Callable[[], None]) -> None:
        namespace["pause"] = pause
        exec(code, namespace)

    return program


def thread_frames(frame: FrameType) -> list[tuple[FrameType, int]]:
    """Return ``frame`` and its callers, innermost first, each with its current line (as the engine passes them)."""
    frames = []
    current: FrameType | None = frame
    while current is not None:
        frames.append((current, current.f_lineno))
        current = current.f_back
    return frames


class Stop:
    """A paused program plus a StackReader and an Inspector, with shortcuts that send requests on the
    paused thread."""

    def __init__(self, program: Callable[[Callable[[], None]], Any], **options: Any) -> None:
        self.inspector = make_inspector(**options)
        self.paused = PausedThread(program)

    def __enter__(self) -> Stop:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.paused.thread.is_alive():
            self.paused.resume()

    @property
    def frame(self) -> FrameType:
        assert self.paused.frame is not None
        return self.paused.frame

    def stack_trace(self, **arguments: Any) -> dict[str, Any]:
        stack = self.inspector.stack
        return self.paused.call(stack.stack_trace, self.paused.ident, thread_frames(self.frame), arguments)

    @property
    def frame_id(self) -> int:
        """The frameId of the paused (innermost) frame."""
        return self.stack_trace(levels=1)["stackFrames"][0]["id"]

    def scopes(self, return_value: tuple[str, Any] | None = None) -> dict[str, dict[str, Any]]:
        """Return the scopes of the paused frame by name."""
        frame_id = self.frame_id
        stack = self.inspector.stack
        body = self.paused.call(lambda: stack.scopes({"frameId": frame_id}, return_value=return_value))
        return {scope["name"]: scope for scope in body["scopes"]}

    def variables(self, reference: int, **arguments: Any) -> list[dict[str, Any]]:
        return self.paused.call(self.inspector.variables, {"variablesReference": reference, **arguments})["variables"]

    def named(self, reference: int, **arguments: Any) -> dict[str, dict[str, Any]]:
        """Return the children of ``reference`` by name."""
        return {variable["name"]: variable for variable in self.variables(reference, **arguments)}

    def locals(self) -> dict[str, dict[str, Any]]:
        return self.named(self.scopes()["Locals"]["variablesReference"])

    def evaluate(self, expression: str, context: str = "watch", **arguments: Any) -> dict[str, Any]:
        request = {"expression": expression, "context": context, "frameId": self.frame_id, **arguments}
        return self.paused.call(self.inspector.evaluate, request)

    def set_variable(self, reference: int, name: str, value: str) -> dict[str, Any]:
        request = {"variablesReference": reference, "name": name, "value": value}
        return self.paused.call(self.inspector.set_variable, request)

    def set_expression(self, expression: str, value: str) -> dict[str, Any]:
        request = {"expression": expression, "value": value, "frameId": self.frame_id}
        return self.paused.call(self.inspector.set_expression, request)


async def stop_at(client: DapClient, program: Path, marker: str) -> tuple[int, dict[str, Any]]:
    """Launch ``program`` through the real adapter with a breakpoint on the line holding ``marker``.

    Returns the stopped thread's id and its innermost frame.
    """
    stopped = await client.launch_and_stop({program: [line_of(program, marker)]}, **launch_arguments(program))
    assert stopped["body"]["reason"] == "breakpoint"
    return stopped["body"]["threadId"], await top_frame(client, stopped)


async def scope_variables(client: DapClient, frame_id: int, scope: str = "Locals") -> dict[str, dict[str, Any]]:
    """The variables of one scope of a frame, by name."""
    scopes = {entry["name"]: entry for entry in await client.scopes(frame_id)}
    return {v["name"]: v for v in await client.variables(scopes[scope]["variablesReference"])}


async def finish(client: DapClient, thread_id: int) -> str:
    """Continue the stopped thread, wait for the session to end and return the program's stdout."""
    await client.continue_(thread_id)
    await client.wait_for_event("terminated")
    return client.output("stdout")

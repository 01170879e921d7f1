"""Real paused frames for the Inspector tests: a thread stopped inside a function, answering calls on itself.

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
from types import CodeType, FrameType
from typing import Any

from monadapter.agent.frames import Inspector
from monadapter.agent.handles import Handles

WAIT = 10.0
_RESUME = object()


def source_for(code: CodeType) -> dict[str, Any]:
    """A stand-in for the engine's Source lookup: the path the code was compiled from."""
    return {"path": code.co_filename}


def make_inspector(**options: Any) -> Inspector:
    return Inspector(Handles(), source_for=source_for, options=options)


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
        while (job := self._jobs.get(timeout=WAIT)) is not _RESUME:
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

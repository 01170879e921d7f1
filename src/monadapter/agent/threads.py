"""User threads as the client sees them: small DAP thread ids, our own threads left out, and parked threads."""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from . import codes

#: The message that tells a parked thread to leave its callback.
_RESUME = None


def runs_our_code(thread: threading.Thread) -> bool:
    """Whether ``thread`` runs the agent's code (its I/O and watcher threads): its target is in our files.

    Asked when a thread starts, before it has an ident that ``Debugger._own_threads`` could know.
    """
    code = getattr(getattr(thread, "_target", None), "__code__", None)
    return code is not None and codes.is_own_file(code.co_filename)


class ThreadIds:
    """Maps threads to small DAP thread ids (1, 2, ... in the order first seen).

    Keyed by the ``threading.Thread`` object, not by its ident: an ident is reused as soon as its
    thread ends, and two workers run one after the other must not share an id. Idents are also
    pointer-sized, more than a JavaScript client represents exactly. The main thread is 1.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # maps Thread -> DAP id (weakly: a finished thread's entry goes with it); DAP id -> Thread
        self._dap_of: weakref.WeakKeyDictionary[threading.Thread, int] = weakref.WeakKeyDictionary()
        self._thread_of: dict[int, weakref.ref[threading.Thread]] = {}
        self._next = 1
        self.dap_id(threading.main_thread().ident or 0)

    def dap_id(self, ident: int) -> int:
        """The DAP id of the live thread ``ident`` (a new one for a thread not seen before)."""
        thread = threading._active.get(ident)  # type: ignore[attr-defined]
        if thread is None:  # a thread started with _thread: current_thread() makes its _DummyThread
            thread = threading.current_thread() if ident == threading.get_ident() else threading.main_thread()
        return self.dap_id_of(thread)

    def dap_id_of(self, thread: threading.Thread) -> int:
        """The DAP id of ``thread`` (a new one for a thread not seen before), even before it has an ident."""
        with self._lock:
            dap = self._dap_of.get(thread)
            if dap is None:
                dap = self._next
                self._next += 1
                self._dap_of[thread] = dap
                self._thread_of[dap] = weakref.ref(thread)
            return dap

    def ident(self, dap_id: int) -> int | None:
        """The ident of the live thread with that DAP id, None when unknown or finished."""
        ref = self._thread_of.get(dap_id)
        thread = ref() if ref is not None else None
        return thread.ident if thread is not None and thread.is_alive() else None

    def listing(self, own: set[int]) -> list[dict[str, Any]]:
        """DAP ``Thread`` objects for every live thread but ours, main thread first."""
        result = []
        for thread in threading.enumerate():
            if thread.ident is None or thread.ident in own:
                continue
            result.append({"id": self.dap_id(thread.ident), "name": thread.name})
        return sorted(result, key=lambda item: item["id"])


@dataclass(eq=False)
class ParkedThread:
    """A user thread held inside one of our monitoring callbacks.

    While parked it runs the jobs queued to it (stackTrace, variables, evaluate...) on itself, so the
    code they run sees the program's thread-locals and fires no monitoring events (facts §0.10).
    ``frame`` is the user frame the thread stopped in and ``line`` the line it stopped on; ``event``
    is the monitoring event whose callback holds it ("line", "return" after a step out of a frame,
    "exception"): only a thread held in ``frame``'s own LINE callback may move it (goto, facts §4).
    """

    ident: int
    dap_id: int
    frame: FrameType
    line: int
    event: str = "line"
    # (function, value) the stepped frame returned, shown as ``(return) function`` after a step
    returned: tuple[str, Any] | None = None
    # (exception, DAP breakMode) of an exception stop
    exception: tuple[BaseException, str] | None = None
    # the stack to show when it is not the frame's own f_back chain (an exception's traceback frames)
    stack: list[tuple[FrameType, int]] | None = None
    _jobs: queue.SimpleQueue[Callable[[], None] | None] = field(default_factory=queue.SimpleQueue)

    def serve(self) -> None:
        """Run queued jobs until released. A job reports its own errors; one that raises anyway must
        not end the pause (the thread would run on while the client thinks it is stopped)."""
        while True:
            job = self._jobs.get()
            if job is _RESUME:
                return
            try:
                job()
            except Exception:
                pass

    def submit(self, job: Callable[[], None]) -> None:
        self._jobs.put(job)

    def release(self) -> None:
        self._jobs.put(_RESUME)

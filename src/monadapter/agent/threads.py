"""User threads as the client sees them: small DAP thread ids, our own threads left out, and parked threads."""

from __future__ import annotations

import threading
from _queue import SimpleQueue  # queue's own: queue.py would load queue and heapq into the program
from _weakref import ref  # weakref's own type, without the weakref module (benchmarks A2)
from collections.abc import Callable
from sys import _current_frames  # bound once: the program may patch sys
from types import FrameType

from .records import Record

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

#: The message that tells a parked thread to leave its callback.
_RELEASE = None
#: A stack as the client sees it: (frame, line) pairs, innermost first.
Stack = list[tuple[FrameType, int]]


#: The code every ``threading.Thread`` runs its life in: their frames' ``self`` is the thread, also
#: before threading lists it (``_active``) and after it took it off the list at its end.
_BOOTSTRAP_CODES = (
    threading.Thread._bootstrap.__code__,  # type: ignore[attr-defined]
    threading.Thread._bootstrap_inner.__code__,  # type: ignore[attr-defined]
)


def _thread_object(ident: int) -> threading.Thread | None:
    """The ``threading.Thread`` of the live thread ``ident`` without creating one: threading's own
    entry, else the ``self`` of its ``Thread._bootstrap(_inner)`` frame (a thread stopped while it
    starts or ends). ``threading.current_thread()`` would make a ``_DummyThread`` the program then
    sees in ``threading.enumerate()``, and that 3.13 complains about when the thread ends."""
    thread = threading._active.get(ident)  # type: ignore[attr-defined]
    if thread is not None:
        return thread
    frame = _current_frames().get(ident)
    while frame is not None:
        if any(frame.f_code is code for code in _BOOTSTRAP_CODES):
            return announced(frame)
        frame = frame.f_back
    return None


def announced(bootstrap: FrameType) -> threading.Thread | None:
    """The ``threading.Thread`` whose bootstrap frame (``Thread._bootstrap`` or ``_bootstrap_inner``) is running.

    The thread is the frame's ``self``: at its PY_START it has no ident yet and at its PY_RETURN it
    is already off threading's list. Threads started with ``_thread`` alone never run this code and
    get no events (they appear in ``threads``).
    """
    thread = bootstrap.f_locals.get("self")
    return thread if isinstance(thread, threading.Thread) else None


class ThreadIds:
    """Maps threads to small DAP thread ids (1, 2, ... in the order first seen).

    Keyed by the ``threading.Thread`` object, not by its ident: an ident is reused as soon as its
    thread ends, and two workers run one after the other must not share an id. Idents are also
    pointer-sized, more than a JavaScript client represents exactly. The main thread is 1. A thread
    ``threading`` does not know (started with ``_thread``) is keyed by its ident while it lives.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # maps Thread -> DAP id, keyed by a weak reference to the thread (a WeakKeyDictionary's way,
        # without the weakref module: a finished thread's entry goes with it); DAP id -> Thread
        self._dap_of: dict[ref[threading.Thread], int] = {}
        self._thread_of: dict[int, ref[threading.Thread]] = {}
        self._forget_thread = lambda dead: self._dap_of.pop(dead, None)
        # maps ident -> DAP id of threads without a Thread object, and back
        self._unlisted: dict[int, int] = {}
        self._unlisted_ident: dict[int, int] = {}
        self._next = 1
        self.dap_id_of(threading.main_thread())

    def dap_id(self, ident: int) -> int:
        """The DAP id of the live thread ``ident`` (a new one for a thread not seen before)."""
        thread = _thread_object(ident)
        if thread is not None:
            return self.dap_id_of(thread)
        with self._lock:
            alive = _current_frames()
            for old in [old for old in self._unlisted if old not in alive]:
                del self._unlisted_ident[self._unlisted.pop(old)]
            dap = self._unlisted.get(ident)
            if dap is None:
                dap = self._unlisted[ident] = self._next
                self._unlisted_ident[dap] = ident
                self._next += 1
            return dap

    def dap_id_of(self, thread: threading.Thread) -> int:
        """The DAP id of ``thread`` (a new one for a thread not seen before), even before it has an ident."""
        with self._lock:
            dap = self._dap_of.get(ref(thread))
            if dap is None:
                dap = self._next
                self._next += 1
                self._dap_of[ref(thread, self._forget_thread)] = dap
                self._thread_of[dap] = ref(thread)
            return dap

    def ident(self, dap_id: int) -> int | None:
        """The ident of the live thread with that DAP id, None when unknown or finished."""
        unlisted = self._unlisted_ident.get(dap_id)
        if unlisted is not None:
            return unlisted if unlisted in _current_frames() else None
        ref = self._thread_of.get(dap_id)
        thread = ref() if ref is not None else None
        if thread is None or thread.ident is None:
            return None
        if thread.is_alive():
            return thread.ident
        # at interpreter exit threading counts the main thread as ended (is_alive() is False) while
        # it still runs the atexit handlers, where it may stop; its ident cannot be reused before then
        main = thread is threading.main_thread() and thread.ident in _current_frames()
        return thread.ident if main else None

    def listing(self, own: set[int]) -> list[dict[str, Any]]:
        """DAP ``Thread`` objects for every live thread but ours, main thread first: threading's,
        then those started with ``_thread`` that we met (parked or halted)."""
        result = []
        for thread in threading.enumerate():
            if thread.ident is None or thread.ident in own:
                continue
            result.append({"id": self.dap_id_of(thread), "name": thread.name})
        alive = _current_frames()
        for ident, dap in list(self._unlisted.items()):
            if ident in alive and ident not in own:
                result.append({"id": dap, "name": f"thread {ident} (started with _thread)"})
        return sorted(result, key=lambda item: item["id"])


class ParkedThread(Record):
    """A user thread held inside one of our monitoring callbacks.

    While parked it runs the jobs queued to it (stackTrace, variables, evaluate...) on itself, so the
    code they run sees the program's thread-locals and fires no monitoring events (docs/sys-monitoring/no_events_in_callbacks.py).
    ``frame`` is the user frame the thread stopped in and ``line`` the line it stopped on; ``event``
    is the monitoring event whose callback holds it ("line", "return" after a step out of a frame,
    "exception"): only a thread held in ``frame``'s own LINE callback may move it (goto, docs/sys-monitoring/jump_from_callback.py).
    """

    __slots__ = (
        "ident",
        "dap_id",
        "frame",
        "line",
        "event",
        "returned",
        "exception",
        "stack",
        "stop_body",
        "stopped_again",
        "_jobs",
        "_submitted",
        "_finished",
    )

    def __init__(
        self,
        ident: int,
        dap_id: int,
        frame: FrameType,
        line: int,
        event: str = "line",
        *,
        exception: tuple[BaseException, str] | None = None,
        stack: Stack | None = None,
    ) -> None:
        self.ident = ident
        self.dap_id = dap_id
        self.frame = frame
        self.line = line
        self.event = event
        # (function, value) the stepped frame returned, shown as ``(return) function`` after a step
        self.returned: tuple[str, Any] | None = None
        # (exception, DAP breakMode) of an exception stop
        self.exception = exception
        # the stack to show when it is not the frame's own f_back chain (an exception's traceback frames)
        self.stack = stack
        # the body of the ``stopped`` event that reported this stop (None for a silent one)
        self.stop_body: dict[str, Any] | None = None
        # console code run here stopped inside (a nested stop): the client is to be told of this stop again
        self.stopped_again = False
        self._jobs: SimpleQueue[Callable[[], None] | None] = SimpleQueue()
        # jobs submitted (by the I/O thread) and finished (by this thread): each written by one thread only
        self._submitted = 0
        self._finished = 0

    def serve(self) -> None:
        """Run queued jobs until released. A job reports its own errors; one that raises anyway must
        not end the pause (the thread would run on while the client thinks it is stopped)."""
        while True:
            job = self._jobs.get()
            if job is _RELEASE:
                return
            try:
                job()
            except Exception:
                pass
            finally:
                self._finished += 1

    def submit(self, job: Callable[[], None]) -> None:
        """Queue ``job`` to run on this thread (from the I/O thread, the one that submits)."""
        self._submitted += 1
        self._jobs.put(job)

    def idle(self) -> bool:
        """Whether no job is queued or running here: the thread waits in :meth:`serve` and its frames
        stay as they are until the I/O thread, which asks, submits one or resumes it."""
        return self._finished == self._submitted

    def release(self) -> None:
        self._jobs.put(_RELEASE)

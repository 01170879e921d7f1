"""User threads as the client sees them: small DAP thread ids, our own threads left out, and parked threads."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

#: The message that tells a parked thread to leave its callback.
_RESUME = None


class ThreadIds:
    """Maps ``threading`` idents to small DAP thread ids (1, 2, ... in the order first seen).

    Idents are pointer-sized and may exceed what a JavaScript client represents exactly; small ids
    read better in a client's thread list too. The main thread is registered first, so it is 1.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # maps threading ident -> DAP id, and back
        self._dap_of: dict[int, int] = {}
        self._ident_of: dict[int, int] = {}
        self.dap_id(threading.main_thread().ident or 0)

    def dap_id(self, ident: int) -> int:
        with self._lock:
            dap = self._dap_of.get(ident)
            if dap is None:
                dap = len(self._dap_of) + 1
                self._dap_of[ident] = dap
                self._ident_of[dap] = ident
            return dap

    def ident(self, dap_id: int) -> int | None:
        return self._ident_of.get(dap_id)

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
    ``frame`` is the user frame the thread stopped in and ``line`` the line it stopped on.
    """

    ident: int
    dap_id: int
    frame: FrameType
    line: int
    # (function, value) the stepped frame returned, shown as ``(return) function`` after a step
    returned: tuple[str, Any] | None = None
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

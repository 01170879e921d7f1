"""The agent's own threads: started unseen by the program, and known (OwnThreads) so that they never stop.

Standard library only. A ``threading.Thread`` is listed by ``threading.enumerate()`` and counted
by ``threading.active_count()``, and any of its code that asks for ``threading.current_thread()``
from a thread ``threading`` does not know makes a ``_DummyThread`` that the program then sees. So
our threads are plain ``_thread`` threads: no ``Thread`` object, nothing in ``threading._active``.
Like daemon threads they do not hold up the interpreter's exit. Their code must therefore never
call ``threading.current_thread()`` (or ``threading.local`` users that do), and must catch what it
raises: an exception escaping it would go to ``sys.unraisablehook``, which the program owns.
Their bodies run unseen by the program's profilers and tracers too (agent/quiet.py).
"""

from __future__ import annotations

import _thread
from _thread import get_ident  # bound once: the program may patch threading
from collections.abc import Callable

from monadapter.agent.quiet import unmonitored

#: idents of our threads that are running: a debugger started after them (an attach session's,
#: agent/attached.py) counts them as its own too, and never halts them
_running: set[int] = set()


def running_idents() -> frozenset[int]:
    """The idents of our threads running now."""
    return frozenset(_running)


def running_count() -> int:
    """How many of our threads run now (each counted by ``_thread._count()`` too, from a moment
    before it is counted here until a moment after it is no longer)."""
    return len(_running)


class OwnThread:
    """One agent thread running ``target()``; ``ident`` is known as soon as ``start`` returns."""

    __slots__ = ("_target", "ident")

    def __init__(self, target: Callable[[], None]) -> None:
        self._target = target
        self.ident: int | None = None

    def start(self) -> None:
        self.ident = _thread.start_new_thread(self._run, (unmonitored(self._target),))

    @staticmethod
    def _run(body: Callable[[], None]) -> None:
        ident = _thread.get_ident()
        _running.add(ident)
        try:
            body()
        finally:
            _running.discard(ident)


class OwnThreads:
    """The idents of the threads that are one debugger's and never stop: those ``ours`` gives (the
    channel's I/O thread, the connection watcher, the interrupter's watchdog; None until started),
    our threads that were there before the debugger (an attach listener's, agent/attached.py), and
    a thread while it forks.

    Asked in callbacks (every breakpoint hit, every line while threads halt), so the set is kept
    once all of ``ours`` run; before that it is rebuilt on each call.
    """

    __slots__ = ("_forking", "_ours", "_own")

    def __init__(self, ours: Callable[[], tuple[int | None, ...]]) -> None:
        self._ours = ours
        self._own: set[int] | None = None
        self._forking: int | None = None  # the thread between os.fork's before and after hooks

    def idents(self) -> set[int]:
        """The idents of the threads that never stop now."""
        if self._own is None:
            ours = self._ours()
            own = {ident for ident in (*ours, self._forking) if ident is not None}
            own |= running_idents()
            if None in ours or self._forking is not None:
                return own
            self._own = own
        return self._own

    def fork_starting(self) -> None:
        """``os.register_at_fork(before=...)``: this thread forks. The child runs Python (the at-fork
        hooks of threading and others) under a copy of our callbacks before our hook drops the session
        there, and nobody could resume a stop in it; so until the fork returned, in the parent and in
        the child, this thread counts as one of ours and never stops."""
        self._forking = get_ident()
        self._own = None

    def fork_ended(self) -> None:
        """``os.register_at_fork(after_in_parent=...)``: the fork returned; the thread is the user's again."""
        self._forking = None
        self._own = None

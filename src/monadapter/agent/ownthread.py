"""The agent's own threads, started so that the program never sees them.

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

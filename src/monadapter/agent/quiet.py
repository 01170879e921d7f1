"""Our own threads run unseen by every monitoring tool, profiler and tracer of the program.

cProfile (sys.monitoring tool 2 on 3.12+), coverage.py's sysmon core and ``threading.settrace_all_threads``
see every thread of the process: the agent's I/O thread waking up to answer a request would show up
in their results, and cProfile, which keeps one call stack for all threads, even counts the
program's own calls wrongly (a function "called twice"). CPython fires no monitoring event and calls
no trace or profile function on a thread while a monitoring callback runs on it (``tstate->tracing``).
So each of our threads runs its whole body inside a callback of ours: a local JUMP event of
DEBUGGER_ID (the engine uses no JUMP) on one small function, :func:`_enter`, whose loop jumps once.
"""

from __future__ import annotations

import sys
from _thread import get_ident
from collections.abc import Callable
from typing import Any

M = sys.monitoring
_TOOL = M.DEBUGGER_ID

#: thread ident -> the body that thread is about to run inside the callback
_bodies: dict[int, Callable[[], None]] = {}


def _enter() -> None:
    """The loop's backward jump fires the JUMP event whose callback runs this thread's body."""
    for _ in range(1):
        pass


def _on_jump(code: Any, offset: int, destination: int) -> None:
    body = _bodies.pop(get_ident(), None) if code is _enter.__code__ else None
    if body is not None:
        body()


def unmonitored(body: Callable[[], None]) -> Callable[[], None]:
    """A thread target that runs ``body()`` inside our callback (plainly when the debugger's tool id is
    not held: the launch failed, or ``noDebug`` stopped the debugger before the thread started)."""

    def run() -> None:
        if M.get_tool(_TOOL) is None:
            body()
            return
        _bodies[get_ident()] = body
        M.register_callback(_TOOL, M.events.JUMP, _on_jump)
        M.set_local_events(_TOOL, _enter.__code__, M.events.JUMP)
        try:
            _enter()
        finally:
            _bodies.pop(get_ident(), None)

    return run

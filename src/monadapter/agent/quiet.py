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
from _thread import allocate_lock, get_ident
from collections.abc import Callable

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

M = sys.monitoring
_TOOL = M.DEBUGGER_ID

#: thread ident -> the body that thread is about to run inside the callback
_bodies: dict[int, Callable[[], None]] = {}
#: guards _bodies and the event: the last thread in switches them off, not while another is on its way
_lock = allocate_lock()


def _enter() -> None:
    """The loop's backward jump fires the JUMP event whose callback runs this thread's body."""
    for _ in range(1):
        pass


def _on_jump(code: Any, offset: int, destination: int) -> None:
    if code is not _enter.__code__:
        return
    with _lock:
        body = _bodies.pop(get_ident(), None)
        if not _bodies:  # nothing of ours stays registered once no thread is on its way in
            M.set_local_events(_TOOL, _enter.__code__, 0)
            M.register_callback(_TOOL, M.events.JUMP, None)
    if body is not None:
        body()


def unmonitored(body: Callable[[], None]) -> Callable[[], None]:
    """A thread target that runs ``body()`` inside our callback (plainly when the debugger's tool id is
    not held: the launch failed, or ``noDebug`` stopped the debugger before the thread started)."""

    def run() -> None:
        with _lock:
            held = M.get_tool(_TOOL) is not None
            if held:
                _bodies[get_ident()] = body
                M.register_callback(_TOOL, M.events.JUMP, _on_jump)
                M.set_local_events(_TOOL, _enter.__code__, M.events.JUMP)
        if held:
            _enter()
            with _lock:
                missed = _bodies.pop(get_ident(), None)  # the event never came: the tool was freed meanwhile
            if missed is None:
                return
        body()

    return run

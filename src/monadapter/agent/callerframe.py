"""The frame of a callback's caller, fetched without ``sys._getframe``'s audit event.

With any audit hook installed (ours captures run-time source, agent/sources.py) every call of
``sys._getframe`` raises the "sys._getframe" event and runs the hook: ~250 ns instead of ~60 on
3.13. The LINE callback of a conditional breakpoint needs the user's frame on every hit (benchmarks
S4, target 1 us a hit), so it reads it through a generator instead: a running generator's frame
has the frame that resumed it as ``f_back``, and ``f_back`` is not audited. That costs ~130 ns.

A generator runs in one thread at a time: a second thread resuming it meanwhile gets ValueError
("generator already executing"), and the caller falls back to ``sys._getframe``. The free-threaded
build gives no such guarantee, so there the getter is ``sys._getframe`` itself.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from sys import _getframe  # bound once: the program may delete or replace sys._getframe
from types import FrameType


def _frames_above_resumer() -> Iterator[FrameType]:
    own = _getframe()  # once: this generator's frame object stays the same across resumptions
    while True:
        yield own.f_back.f_back  # type: ignore[union-attr,misc]  # while it runs, f_back is its resumer


def frame_getter() -> Callable[[], FrameType]:
    """A function that, called from function F, returns F's caller's frame (as ``sys._getframe(1)``
    in F would). May raise ValueError when another thread is using the same getter: fall back to
    ``sys._getframe(1)`` then."""
    if not getattr(sys, "_is_gil_enabled", lambda: True)():
        return lambda: _getframe(2)
    frames = _frames_above_resumer()
    next(frames)
    return frames.__next__

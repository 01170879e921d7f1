"""callerframe.frame_getter returns the caller's caller frame, in any thread, never another thread's."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import FrameType

import pytest

from monadapter.agent.callerframe import frame_getter

pytestmark = pytest.mark.unit


def callee(getter: Callable[[], FrameType]) -> FrameType:
    """Like a monitoring callback asking for the frame that triggered it."""
    try:
        return getter()
    except ValueError:  # another thread is in the getter: the documented fallback
        return sys._getframe(1)


def test_the_getter_returns_the_frame_that_called_its_caller() -> None:
    getter = frame_getter()
    for _ in range(3):  # the generator behind it keeps working across calls
        assert callee(getter) is sys._getframe()


def test_threads_sharing_one_getter_each_get_their_own_frame() -> None:
    getter = frame_getter()
    wrong: list[str] = []

    def worker(name: str) -> None:
        for _ in range(20_000):
            here = sys._getframe()
            if callee(getter) is not here:
                wrong.append(name)
                return

    threads = [threading.Thread(target=worker, args=(f"t{index}",)) for index in range(4)]
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, inside the getter too
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        sys.setswitchinterval(previous)
    assert not any(thread.is_alive() for thread in threads)
    assert wrong == []

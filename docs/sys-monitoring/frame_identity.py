"""Frames cannot be weakly referenced, and a generator's (or coroutine's) frame is the same object across
all its suspensions: a step plan holds its frame strongly while it runs and compares by identity."""

import sys
import weakref

frames = []


def gen():
    frames.append(sys._getframe())
    yield 1
    frames.append(sys._getframe())
    yield 2


for _ in gen():
    pass
assert frames[0] is frames[1]
try:
    weakref.ref(frames[0])
except TypeError:
    pass
else:
    raise AssertionError("a frame was weakly referenced")
print("ok")

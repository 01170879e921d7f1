"""Writing a paused function frame's locals from another thread: on 3.13+ frame.f_locals is a
write-through proxy and the write is kept; on 3.12 it is a snapshot dict and the write is lost
unless flushed with PyFrame_LocalsToFast (before f_locals is read again)."""

import ctypes
import sys
import threading

M = sys.monitoring
E = M.events
TOOL = 3
seen: dict[str, object] = {}


def f():
    x = 1
    return x  # the callback of this line writes x from another thread


def on_line(code, line):
    if code is f.__code__ and line == f.__code__.co_firstlineno + 2:
        frame = sys._getframe(1)

        def write():
            frame.f_locals["x"] = 42
            seen["proxy"] = type(frame.f_locals).__name__

        writer = threading.Thread(target=write)
        writer.start()
        writer.join()
        if sys.version_info < (3, 13):
            seen["kept"] = frame.f_locals["x"]  # read back: the snapshot is taken again, the write is gone
            locals_to_fast = ctypes.pythonapi.PyFrame_LocalsToFast
            locals_to_fast.argtypes = [ctypes.py_object, ctypes.c_int]
            frame.f_locals["x"] = 42
            locals_to_fast(frame, 0)
    return None


M.use_tool_id(TOOL, "fact")
M.register_callback(TOOL, E.LINE, on_line)
M.set_local_events(TOOL, f.__code__, E.LINE)
try:
    assert f() == 42
    if sys.version_info >= (3, 13):
        assert seen["proxy"] == "FrameLocalsProxy", seen
    else:
        assert seen == {"proxy": "dict", "kept": 1}, seen
finally:
    M.set_local_events(TOOL, f.__code__, 0)
    M.register_callback(TOOL, E.LINE, None)
    M.free_tool_id(TOOL)
print("ok")

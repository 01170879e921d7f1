"""DISABLE returned from a LINE callback silences that line of that code object for the tool in every
frame and every thread, not only in the frame that returned it: a line whose breakpoint condition is
false (or whose thread is not the stepping one) must return None, never DISABLE."""

import sys
import threading

M = sys.monitoring
E = M.events
TOOL = 3
hits: list[str] = []


def f(who):
    return who


def on_line(code, line):
    if code is f.__code__:
        hits.append(threading.current_thread().name)
        return M.DISABLE
    return None


M.use_tool_id(TOOL, "fact")
M.register_callback(TOOL, E.LINE, on_line)
M.set_local_events(TOOL, f.__code__, E.LINE)
try:
    f("main")
    worker = threading.Thread(target=f, args=("worker",), name="worker")
    worker.start()
    worker.join()
    f("main again")
    assert hits == ["MainThread"], hits  # the other thread and the later frame never fired
finally:
    M.set_local_events(TOOL, f.__code__, 0)
    M.register_callback(TOOL, E.LINE, None)
    M.free_tool_id(TOOL)
print("ok")

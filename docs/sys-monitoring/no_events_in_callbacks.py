"""Code run inside a monitoring callback fires no events for any tool on that thread: an expression a
paused thread evaluates for the client inside its callback never hits a breakpoint. Code run by
another thread meanwhile does fire them."""

import sys
import threading

M = sys.monitoring
E = M.events
TOOL = 3
lines: list[str] = []


def f():
    return 1


def probe():
    return 2


def on_line(code, line):
    if code is probe.__code__:
        lines.append(threading.current_thread().name)
    elif code is f.__code__:
        probe()  # run inside the callback: no LINE event for probe on this thread
        other = threading.Thread(target=probe, name="other")
        other.start()
        other.join()
    return None


M.use_tool_id(TOOL, "fact")
M.register_callback(TOOL, E.LINE, on_line)
M.set_local_events(TOOL, f.__code__, E.LINE)
M.set_local_events(TOOL, probe.__code__, E.LINE)
try:
    f()
    assert lines == ["other"], lines
finally:
    for code in (f.__code__, probe.__code__):
        M.set_local_events(TOOL, code, 0)
    M.register_callback(TOOL, E.LINE, None)
    M.free_tool_id(TOOL)
print("ok")

"""A frame's f_lineno can be set from that frame's own LINE callback (a jump: the target line runs
next), but not from a thread that is not in a trace or monitoring event: so goto is done by the
paused thread itself, in its callback, and only on its top frame."""

import sys
import threading

M = sys.monitoring
E = M.events
TOOL = 3
result: dict[str, object] = {}
state = {"jumped": False}


def f():
    x = "start"
    x = "skipped"  # the jump goes over this line
    return x


def g():
    return 1


def on_line(code, line):
    first = f.__code__.co_firstlineno
    if code is f.__code__ and line == first + 2 and not state["jumped"]:
        state["jumped"] = True
        frame = sys._getframe(1)
        frame.f_lineno = first + 3
    elif code is g.__code__:
        frame = sys._getframe(1)
        other = threading.Thread(target=lambda: result.setdefault("error", _jump_from_outside(frame)))
        other.start()
        other.join()
    return None


def _jump_from_outside(frame):
    try:
        frame.f_lineno = frame.f_code.co_firstlineno
    except ValueError as exc:
        return exc
    return None


M.use_tool_id(TOOL, "fact")
M.register_callback(TOOL, E.LINE, on_line)
M.set_local_events(TOOL, f.__code__, E.LINE)
M.set_local_events(TOOL, g.__code__, E.LINE)
try:
    assert f() == "start", "the jump skipped the assignment"
    g()
    assert isinstance(result["error"], ValueError), result
finally:
    for code in (f.__code__, g.__code__):
        M.set_local_events(TOOL, code, 0)
    M.register_callback(TOOL, E.LINE, None)
    M.free_tool_id(TOOL)
print("ok")

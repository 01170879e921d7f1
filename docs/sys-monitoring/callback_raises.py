"""An exception raised in a monitoring callback is raised in the user's code at the point of the event,
and the callback stays registered: every callback of a debugger needs its own catch-all."""

import sys

M = sys.monitoring
E = M.events
TOOL = 3
calls: list[int] = []


def f():
    return 1


def on_line(code, line):
    if code is f.__code__:
        calls.append(line)
        raise RuntimeError("a bug in the callback")
    return None


M.use_tool_id(TOOL, "fact")
M.register_callback(TOOL, E.LINE, on_line)
M.set_local_events(TOOL, f.__code__, E.LINE)
try:
    for _ in range(2):
        try:
            f()
        except RuntimeError as exc:
            assert str(exc) == "a bug in the callback"
        else:
            raise AssertionError("the callback's exception did not reach the user's code")
    assert len(calls) == 2, calls  # still registered after the first raise
finally:
    M.set_local_events(TOOL, f.__code__, 0)
    M.register_callback(TOOL, E.LINE, None)
    M.free_tool_id(TOOL)
print("ok")

"""A statement whose head spans several lines fires LINE for its first line, then its other lines, then
its first line again (``x = f(\n 1,\n 2)`` gives 1, 2, 3, 1): a breakpoint on the first line must
not stop twice, and a step over it is one step."""

import sys

M = sys.monitoring
E = M.events
TOOL = 3
lines: list[int] = []


def f(*args):
    return args


def g():
    x = f(
        1,
        2,
    )
    return x


def on_line(code, line):
    if code is g.__code__:
        lines.append(line - g.__code__.co_firstlineno)
    return None


M.use_tool_id(TOOL, "fact")
M.register_callback(TOOL, E.LINE, on_line)
M.set_local_events(TOOL, g.__code__, E.LINE)
try:
    g()
    assert lines[:4] == [1, 2, 3, 1], lines
finally:
    M.set_local_events(TOOL, g.__code__, 0)
    M.register_callback(TOOL, E.LINE, None)
    M.free_tool_id(TOOL)
print("ok")

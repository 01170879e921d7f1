"""sys.monitoring calls the tools registered for one event highest tool id first: an aux tool on id 4
sees a LINE event before DEBUGGER_ID (0) sees the same one."""

import sys

M = sys.monitoring
E = M.events
order: list[int] = []


def f():
    return 1


def recorder(tool):
    def on_line(code, line):
        if code is f.__code__:
            order.append(tool)

    return on_line


tools = (M.DEBUGGER_ID, 3, 4)
for tool in tools:
    M.use_tool_id(tool, f"fact{tool}")
    M.register_callback(tool, E.LINE, recorder(tool))
    M.set_local_events(tool, f.__code__, E.LINE)
try:
    f()
    assert order == [4, 3, 0], order
finally:
    for tool in tools:
        M.set_local_events(tool, f.__code__, 0)
        M.register_callback(tool, E.LINE, None)
        M.free_tool_id(tool)
print("ok")

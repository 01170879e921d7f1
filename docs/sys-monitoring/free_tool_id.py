"""free_tool_id does not clear a tool's events and callbacks on 3.12 and 3.13 (the next owner of the id
inherits them; 3.14 clears them). So a tool that stops clears its global and local events and
unregisters its callbacks itself before freeing the id, on every version."""

import sys

M = sys.monitoring
E = M.events
TOOL = 3
lines: list[int] = []


def f():
    return 1


M.use_tool_id(TOOL, "fact")
M.register_callback(TOOL, E.LINE, lambda code, line: lines.append(line) if code is f.__code__ else None)
M.set_local_events(TOOL, f.__code__, E.LINE)
M.free_tool_id(TOOL)
M.use_tool_id(TOOL, "next owner")
try:
    f()
    inherited = bool(lines)
    assert inherited == (sys.version_info < (3, 14)), (sys.version_info, lines)
finally:
    M.set_local_events(TOOL, f.__code__, 0)
    M.register_callback(TOOL, E.LINE, None)
    M.free_tool_id(TOOL)
print("ok")

"""Re-arming one tool on one code object: local events 0 then LINE bring back the lines that tool
DISABLEd in that code, and only that tool's; setting LINE again without the 0 step changes nothing."""

import sys

M = sys.monitoring
E = M.events
OURS, OTHER = 3, 4
seen: dict[int, list[int]] = {OURS: [], OTHER: []}


def f():
    a = 1
    return a


def callback(tool):
    def on_line(code, line):
        if code is f.__code__:
            seen[tool].append(line - f.__code__.co_firstlineno)
        return M.DISABLE

    return on_line


for tool in (OURS, OTHER):
    M.use_tool_id(tool, f"fact{tool}")
    M.register_callback(tool, E.LINE, callback(tool))
    M.set_local_events(tool, f.__code__, E.LINE)
try:
    f()
    assert seen == {OURS: [1, 2], OTHER: [1, 2]}, seen
    f()
    assert seen == {OURS: [1, 2], OTHER: [1, 2]}, "DISABLEd lines stay silent"
    M.set_local_events(OURS, f.__code__, E.LINE)  # the same event set again: a no-op
    f()
    assert seen[OURS] == [1, 2], seen
    M.set_local_events(OURS, f.__code__, 0)
    M.set_local_events(OURS, f.__code__, E.LINE)  # through 0: our lines come back, the other tool's do not
    f()
    assert seen == {OURS: [1, 2, 1, 2], OTHER: [1, 2]}, seen
finally:
    for tool in (OURS, OTHER):
        M.set_local_events(tool, f.__code__, 0)
        M.register_callback(tool, E.LINE, None)
        M.free_tool_id(tool)
print("ok")

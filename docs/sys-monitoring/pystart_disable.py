"""DISABLE from a global PY_START silences PY_START for that code object only (new code objects still
fire once each), and a disabled PY_START does not come back for one code object: keep a registry
of the code seen instead of waiting for PY_START again."""

import sys

M = sys.monitoring
E = M.events
TOOL = 3
started: list[str] = []


def g():
    return 1


def h():
    return 2


def on_start(code, offset):
    if code.co_name in ("g", "h", "<module>"):
        started.append(code.co_name)
    return M.DISABLE


M.use_tool_id(TOOL, "fact")
M.register_callback(TOOL, E.PY_START, on_start)
M.set_events(TOOL, E.PY_START)
try:
    g()
    g()
    h()
    exec(compile("x = 1", "<fact>", "exec"), {})
    M.set_local_events(TOOL, g.__code__, E.PY_START)  # a local PY_START does not revive it
    g()
    assert started == ["g", "h", "<module>"], started
finally:
    M.set_events(TOOL, 0)
    M.set_local_events(TOOL, g.__code__, 0)
    M.register_callback(TOOL, E.PY_START, None)
    M.free_tool_id(TOOL)
print("ok")

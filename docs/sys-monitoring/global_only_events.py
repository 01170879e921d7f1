"""Before 3.15, RAISE, EXCEPTION_HANDLED, PY_UNWIND, PY_THROW and RERAISE can only be set globally:
set_local_events refuses them (3.15 accepts them on one code object too; the engine sets them
globally on every version). LINE, PY_START, PY_RETURN, CALL and JUMP can be set on one code object."""

import sys

M = sys.monitoring
E = M.events
TOOL = 3


def f():
    return 1


M.use_tool_id(TOOL, "fact")
try:
    for event in (E.RAISE, E.EXCEPTION_HANDLED, E.PY_UNWIND, E.PY_THROW, E.RERAISE):
        try:
            M.set_local_events(TOOL, f.__code__, event)
        except ValueError:
            assert sys.version_info < (3, 15), f"event {event} refused locally"
        else:
            assert sys.version_info >= (3, 15), f"event {event} was accepted locally"
            M.set_local_events(TOOL, f.__code__, 0)
    for event in (E.LINE, E.PY_START, E.PY_RETURN, E.CALL, E.JUMP):
        M.set_local_events(TOOL, f.__code__, event)
        assert M.get_local_events(TOOL, f.__code__) == event
    M.set_local_events(TOOL, f.__code__, 0)
finally:
    M.free_tool_id(TOOL)
print("ok")

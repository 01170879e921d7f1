"""sys._getframe, id() and frame.f_code raise audit events, so with any audit hook installed each call
runs the hook; frame.f_back, f_globals, f_locals and f_lasti and object.__hash__ do not. The engine's
callbacks therefore key code by object.__hash__ and reach frames through f_back where they can."""

import sys

events: list[str] = []
watching = False


def hook(event, args):
    if watching:
        events.append(event)


sys.addaudithook(hook)


def audited(action):
    global watching
    events.clear()
    watching = True
    try:
        action()
    finally:
        watching = False
    return list(events)


frame = sys._getframe()
assert audited(lambda: sys._getframe()) == ["sys._getframe"]
assert audited(lambda: id(frame)) == ["builtins.id"]
assert audited(lambda: frame.f_code) == ["object.__getattr__"]
for action in (lambda: frame.f_back, lambda: frame.f_globals, lambda: frame.f_lasti, lambda: object.__hash__(frame)):
    assert audited(action) == [], audited(action)
print("ok")

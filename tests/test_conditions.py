"""Breakpoint conditions compiled per code object give exactly eval's answers, on real frames."""

from __future__ import annotations

import sys
from types import FrameType

import pytest

from monadapter.agent.breakpoints import Condition

LIMIT = 10


def frame_of_function(value: int) -> FrameType:
    captured = value * 2
    unbound_later = 1 if value < 0 else None

    def inner() -> FrameType:
        seen = captured  # a free variable of inner
        assert seen is not None
        return sys._getframe()

    del unbound_later
    return inner() if value > 100 else sys._getframe()


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("value > 3", 5, True),
        ("value > 3", 1, False),
        ("captured == value * 2 and value < LIMIT", 4, True),  # locals and a module global
        ("len([x for x in range(value)]) == value", 3, True),  # a comprehension over a local
        ("any(v > LIMIT for v in (value, captured))", 6, True),  # a generator closing over locals
        ("max(value, LIMIT) == LIMIT", 7, True),  # a builtin
    ],
)
def test_a_condition_gives_evals_answer_in_a_function_frame(text: str, value: int, expected: bool) -> None:
    frame = frame_of_function(value)
    condition = Condition(text)
    assert condition.holds(frame, frame.f_code) is expected
    assert condition.holds(frame, frame.f_code) is expected  # the compiled function, reused
    assert bool(eval(condition.code, frame.f_globals, frame.f_locals)) is expected


def test_free_variables_of_a_closure_frame_are_read() -> None:
    frame = frame_of_function(200)
    assert Condition("seen == 400 and captured == 400").holds(frame, frame.f_code)


def test_an_unbound_local_falls_back_to_eval_and_raises_like_it() -> None:
    frame = frame_of_function(3)  # unbound_later was deleted
    with pytest.raises(NameError):
        Condition("unbound_later is None").holds(frame, frame.f_code)


def test_module_level_code_uses_the_module_namespace() -> None:
    namespace: dict[str, object] = {"__name__": "probe", "LIMIT": 3}
    exec("import sys\nframe = sys._getframe()\nlocal_name = 5", namespace)
    frame = namespace["frame"]
    assert isinstance(frame, FrameType)
    assert Condition("local_name > LIMIT").holds(frame, frame.f_code)

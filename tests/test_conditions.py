"""Breakpoint conditions compiled per code object (LineProbe) give exactly eval's answers, on real frames."""

from __future__ import annotations

import sys
import types
from types import FrameType

import pytest

from monadapter.agent.breakpoints import Breakpoint, Condition, LineProbe
from monadapter.agent.outcome import HitOutcome

pytestmark = pytest.mark.unit

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


def probe_for(text: str) -> LineProbe:
    return LineProbe(Breakpoint(1, 1, 1, condition=Condition(text)))


def hit(probe: LineProbe, frame: FrameType) -> HitOutcome:
    return probe.hit(frame, frame.f_code)


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
    probe = probe_for(text)
    assert hit(probe, frame).stop is expected
    assert hit(probe, frame).stop is expected  # the compiled test function, reused
    assert probe.breakpoint.condition is not None
    assert probe.breakpoint.condition.evaluate(frame) is expected
    assert probe.breakpoint.hits == (2 if expected else 0)  # only hits whose condition holds count


def test_free_variables_of_a_closure_frame_are_read() -> None:
    frame = frame_of_function(200)
    assert hit(probe_for("seen == 400 and captured == 400"), frame).stop


def test_an_unbound_local_falls_back_to_eval_and_raises_like_it() -> None:
    frame = frame_of_function(3)  # unbound_later was deleted
    outcome = hit(probe_for("unbound_later is None"), frame)
    assert outcome.stop
    assert outcome.error is not None and "raised NameError" in outcome.error


def test_a_raising_condition_stops_the_first_time_then_only_says_why() -> None:
    frame = frame_of_function(3)
    probe = probe_for("value / 0 > 1")
    first, second, third = (hit(probe, frame) for _ in range(3))
    assert first.stop and not second.stop and not third.stop
    for outcome in (first, second, third):
        assert outcome.error is not None
        assert outcome.error.startswith("breakpoint condition at line 1 raised ZeroDivisionError: division by zero; ")
    assert "stopped there" in first.error and "not stopping" in second.error  # type: ignore[operator]


def test_a_condition_ending_in_a_comment_or_naming_our_parameters_still_works() -> None:
    frame = frame_of_function(5)
    assert hit(probe_for("value == 5  # the fifth"), frame).stop
    _monadapter_locals = 1  # a name the test function uses itself: eval decides instead
    assert not hit(probe_for("_monadapter_locals == 2"), sys._getframe()).stop


def test_a_frame_running_other_globals_uses_eval() -> None:
    namespace: dict[str, object] = {"LIMIT": 100}
    exec("import sys\ndef probe(value):\n    return sys._getframe()\n", namespace)
    other_globals = {"LIMIT": 1, "sys": sys}
    shared_code = namespace["probe"].__code__  # type: ignore[attr-defined]
    probe = probe_for("value > LIMIT")
    assert not hit(probe, namespace["probe"](50)).stop  # type: ignore[operator]
    rerun = types.FunctionType(shared_code, other_globals)
    assert hit(probe, rerun(50)).stop  # the same code in other globals: LIMIT is 1 there


def test_module_level_code_uses_the_module_namespace() -> None:
    namespace: dict[str, object] = {"__name__": "probe", "LIMIT": 3}
    exec("import sys\nframe = sys._getframe()\nlocal_name = 5", namespace)
    frame = namespace["frame"]
    assert isinstance(frame, FrameType)
    assert hit(probe_for("local_name > LIMIT"), frame).stop

"""In-process tier: step plans and the Stepper's decisions, on real frames, no sys.monitoring."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from parts_helpers import Recorder, compile_file

from monadapter.agent.registry import CodeRegistry
from monadapter.agent.sources import Sources
from monadapter.agent.stepping import Stepper, StepPlan
from monadapter.agent.usercode import UserCode

pytestmark = pytest.mark.unit  # the in-process tier: no process started

E = sys.monitoring.events
IDENT = 1  # a thread ident: the Stepper takes it as given

PROGRAM = """
def target(capture):
    x = capture(
        1,
    )
    return x

def twice(capture):
    return target(capture) + target(capture)
"""


def stepper() -> tuple[Stepper, Recorder, list[None]]:
    sources = Sources()
    watch, changes = Recorder(), list[None]()
    return Stepper(CodeRegistry(sources), sources, UserCode(), watch, lambda: changes.append(None)), watch, changes


def frames_of_target(tmp_path: Path) -> list[FrameType]:
    """The frames of two calls of ``target`` in a program written to disk, captured mid-call."""
    _path, module = compile_file(tmp_path, PROGRAM)
    namespace: dict[str, Any] = {}
    exec(module, namespace)
    captured: list[FrameType] = []

    def capture(value: int) -> int:
        captured.append(sys._getframe(1))
        return value

    namespace["twice"](capture)
    return captured


def test_a_step_over_watches_the_lines_and_return_of_its_frames_code(tmp_path: Path) -> None:
    first, _second = frames_of_target(tmp_path)
    steps, watch, changes = stepper()
    steps.set_plan(IDENT, StepPlan("over", first, 2))
    assert watch.calls == [("target", 0, E.LINE | E.PY_RETURN, True)]
    assert changes and steps.stepping() and not steps.stepping_in()
    steps.set_plan(IDENT, None)
    assert watch.calls[-1] == ("target", E.LINE | E.PY_RETURN, 0, False)


def test_a_step_over_ends_in_its_own_frame_only(tmp_path: Path) -> None:
    first, second = frames_of_target(tmp_path)
    steps, _watch, _changes = stepper()
    steps.set_plan(IDENT, StepPlan("over", first, 5))
    assert steps.ends_at_line(IDENT, first, 5)
    assert not steps.ends_at_line(IDENT, second, 5)  # the same code in another frame: not this step
    assert not steps.ends_at_line(IDENT + 1, first, 5)  # another thread has no plan


def test_a_step_over_a_multi_line_statement_is_one_step(tmp_path: Path) -> None:
    first, _second = frames_of_target(tmp_path)
    steps, _watch, _changes = stepper()
    steps.set_plan(IDENT, StepPlan("over", first, 2))
    assert not steps.ends_at_line(IDENT, first, 3)  # the head's other line (docs/sys-monitoring/multiline_statement.py)
    assert steps.ends_at_line(IDENT, first, 5)


def test_a_step_in_ends_at_the_next_line_anywhere(tmp_path: Path) -> None:
    first, second = frames_of_target(tmp_path)
    steps, _watch, _changes = stepper()
    steps.set_plan(IDENT, StepPlan("in", first, 2))
    assert steps.stepping_in() and steps.ends_at_line(IDENT, second, 5)


def test_a_return_ends_the_step_in_a_user_caller_with_the_value(tmp_path: Path) -> None:
    first, _second = frames_of_target(tmp_path)
    steps, _watch, _changes = stepper()
    steps.set_plan(IDENT, StepPlan("out", first, 2))
    caller = steps.returned(IDENT, first, first.f_code, 7)
    assert caller is not None and caller is first.f_back and caller.f_code.co_name == "twice"
    assert steps.end_all(IDENT, "step") == ("target", 7)
    assert steps.plans == {}


def test_a_return_into_library_code_continues_as_a_step_in_anywhere() -> None:
    steps, _watch, _changes = stepper()
    captured: list[FrameType] = []

    class Copied:
        def __deepcopy__(self, memo: dict[int, Any]) -> Copied:
            captured.append(sys._getframe())
            return self

    copy.deepcopy(Copied())  # copy.py (the standard library) calls __deepcopy__
    frame = captured[0]
    steps.set_plan(IDENT, StepPlan("over", frame, frame.f_lineno or 0))
    assert steps.returned(IDENT, frame, frame.f_code, None) is None
    assert steps.plans[IDENT].kind == "in" and steps.plans[IDENT].line == 0


def test_an_unwound_frame_continues_the_step_over_its_caller(tmp_path: Path) -> None:
    first, _second = frames_of_target(tmp_path)
    steps, _watch, _changes = stepper()
    steps.set_plan(IDENT, StepPlan("over", first, 2))
    steps.unwound(IDENT, first)
    plan = steps.plans[IDENT]
    assert (plan.kind, plan.frame) == ("over", first.f_back)


def test_a_step_into_one_call_becomes_a_step_in_at_that_call_only(tmp_path: Path) -> None:
    first, _second = frames_of_target(tmp_path)
    steps, watch, _changes = stepper()
    steps.set_plan(IDENT, StepPlan("into_call", first, 2, target=40))
    assert watch.calls[0][2] == E.LINE | E.CALL | E.PY_RETURN
    steps.call_reached(IDENT, first, 38)
    assert steps.plans[IDENT].kind == "into_call"
    steps.call_reached(IDENT, first, 40)
    assert steps.plans[IDENT].kind == "in"

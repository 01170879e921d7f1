"""In-process tier: exception filters and the exception stops they decide, on real exceptions and
frames, no sys.monitoring."""

from __future__ import annotations

import copy
import sys
from types import FrameType
from typing import Any

import pytest

from monadapter.agent.exception_stops import ExceptionStops
from monadapter.agent.exceptions import ExceptionFilters
from monadapter.agent.usercode import UserCode

pytestmark = pytest.mark.unit  # the in-process tier: no process started


def stops(**arguments: Any) -> ExceptionStops:
    exception_stops = ExceptionStops(UserCode())
    exception_stops.filters = ExceptionFilters.from_arguments(arguments)
    return exception_stops


def raised_here(exception: BaseException) -> tuple[FrameType, BaseException]:
    """The frame an exception is raised in and the exception, as the RAISE callback sees them."""
    try:
        raise exception
    except BaseException as exc:
        return sys._getframe(), exc


def test_raised_stops_in_user_code_with_the_user_stack() -> None:
    frame, exc = raised_here(ValueError("bad"))
    stack = stops(filters=["raised"]).raised(frame.f_code, frame, exc)
    assert stack is not None and stack[0][0] is frame
    assert any(entry[0].f_code.co_name.startswith("test_raised") for entry in stack)


def test_raised_stops_once_per_exception_not_again_in_each_user_frame() -> None:
    def inner() -> None:
        raise KeyError("k")

    try:
        inner()
    except KeyError as exc:
        caught = exc
    frame = sys._getframe()
    assert stops(filters=["raised"]).raised(frame.f_code, frame, caught) is None  # it stopped in inner


@pytest.mark.parametrize(
    ("condition", "exception", "expected"),
    [
        ("ValueError", ValueError(), True),
        ("ValueError", KeyError(), False),
        ("not KeyError", ValueError(), True),
        ("!KeyError, IndexError", IndexError(), False),
        ("LookupError", KeyError(), True),  # subclasses match
    ],
)
def test_a_filter_condition_selects_exception_types(condition: str, exception: Exception, expected: bool) -> None:
    frame, exc = raised_here(exception)
    exception_stops = stops(filterOptions=[{"filterId": "raised", "condition": condition}])
    assert (exception_stops.raised(frame.f_code, frame, exc) is not None) is expected


def test_exception_options_decide_before_the_filters() -> None:
    option = {"path": [{"names": ["KeyError"]}], "breakMode": "never"}
    exception_stops = stops(filters=["raised"], exceptionOptions=[option])
    frame, exc = raised_here(KeyError())
    assert exception_stops.raised(frame.f_code, frame, exc) is None
    frame, exc = raised_here(ValueError())
    assert exception_stops.raised(frame.f_code, frame, exc) is not None


def test_which_filters_turn_events_on() -> None:
    assert stops(filters=["raised"]).raised_armed() and not stops(filters=["raised"]).unhandled_armed()
    assert stops(filters=["userUnhandled"]).unhandled_armed()
    assert not stops(filters=["uncaught"]).raised_armed() and not stops(filters=["uncaught"]).unhandled_armed()


def test_user_unhandled_stops_where_an_exception_leaves_user_code_for_the_library() -> None:
    class Copied:
        def __deepcopy__(self, memo: dict[int, Any]) -> None:
            raise ValueError("in user code, called by copy.py")

    with pytest.raises(ValueError) as caught:
        copy.deepcopy(Copied())  # copy.py (the standard library) calls __deepcopy__
    exc = caught.value
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_name != "__deepcopy__":
        tb = tb.tb_next
    assert tb is not None
    exc.__traceback__ = tb  # as PY_UNWIND sees it leaving __deepcopy__: the traceback starts there
    frame = tb.tb_frame
    exception_stops = stops(filters=["userUnhandled"])
    assert exception_stops.may_stop_unhandled(frame.f_code, exc)
    stack = exception_stops.user_unhandled(frame, exc)
    assert stack is not None and stack[0][0] is frame
    assert stops(filters=["uncaught"]).may_stop_unhandled(frame.f_code, exc) is False


def test_user_unhandled_does_not_stop_when_a_user_caller_may_catch_it() -> None:
    exception_stops = stops(filters=["userUnhandled"])
    frame, exc = raised_here(ValueError())
    assert exception_stops.may_stop_unhandled(frame.f_code, exc)
    assert exception_stops.user_unhandled(frame, exc) is None  # its caller, this test, is user code


def test_uncaught_stops_for_the_exception_being_handled_but_not_a_clean_exit() -> None:
    exception_stops = stops(filters=["uncaught"])
    assert exception_stops.ending() is None  # nothing is being handled
    try:
        raise RuntimeError("ends the thread")
    except RuntimeError as exc:
        ending = exception_stops.ending()
        assert ending is not None and ending[1] is exc and ending[0][0][0] is sys._getframe()
    try:
        raise SystemExit(0)
    except SystemExit:
        assert exception_stops.ending() is None

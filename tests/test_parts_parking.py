"""In-process tier: parking real threads and resuming them, no sys.monitoring."""

from __future__ import annotations

import sys
import threading

import pytest
from parts_helpers import Events, Recorder, our_module_unloaded

import monadapter.agent as agent
from monadapter.agent.parking import Parking
from monadapter.agent.registry import CodeRegistry
from monadapter.agent.sources import Sources
from monadapter.agent.stepping import Stepper
from monadapter.agent.threads import ThreadIds
from monadapter.agent.usercode import UserCode

pytestmark = pytest.mark.unit  # the in-process tier: no process started

WAIT = 10.0
#: The module the first park loads.
IMPORTLOCKS = "monadapter.agent.importlocks"


def parking() -> tuple[Parking, Events]:
    sources = Sources()
    stepper = Stepper(CodeRegistry(sources), sources, UserCode(), Recorder(), lambda: None)
    events = Events()
    return Parking(ThreadIds(), stepper, events, lambda: None), events


def test_a_parked_thread_waits_until_resumed_and_halts_the_others() -> None:
    park, events = parking()
    park.active = True
    results: list[bool] = []

    def worker() -> None:
        frame = sys._getframe()
        results.append(park.park(threading.get_ident(), frame, frame.f_lineno or 0, "pause"))

    thread = threading.Thread(target=worker)
    thread.start()
    assert thread.ident is not None
    parked = park.wait_parked(thread.ident, WAIT)
    assert parked is not None and parked.frame.f_code.co_name == "worker"
    assert events.sent[0][0] == "stopped" and events.sent[0][1]["reason"] == "pause"
    assert park.halt.halts(threading.get_ident()) and park.halt.stopping()
    assert results == []
    assert [released.ident for released in park.resume()] == [thread.ident]
    thread.join(WAIT)
    assert results == [True] and not park.halt.on


def test_the_first_park_halts_the_other_threads_before_it_loads_a_module() -> None:
    """The first park of a session loads agent/importlocks.py. A load takes milliseconds and reads a
    file, which lets the other threads run: loaded before the halt was in force (``changed``, the
    engine's signal to switch the halt's LINE on), they ran on meanwhile, and one that reached a
    breakpoint of its own reported its stop during the first (so under load in
    tests/test_threads.py, where two threads start side by side, most runs on a loaded machine)."""
    loaded_at_halt: list[bool] = []
    sources = Sources()
    stepper = Stepper(CodeRegistry(sources), sources, UserCode(), Recorder(), lambda: None)
    park = Parking(ThreadIds(), stepper, Events(), lambda: loaded_at_halt.append(IMPORTLOCKS in agent.MODULES))
    park.active = True

    def worker() -> None:
        frame = sys._getframe()
        park.park(threading.get_ident(), frame, frame.f_lineno or 0, "breakpoint")

    with our_module_unloaded(IMPORTLOCKS):
        thread = threading.Thread(target=worker)
        thread.start()
        assert thread.ident is not None and park.wait_parked(thread.ident, WAIT) is not None
        assert IMPORTLOCKS in agent.MODULES  # loaded by that park
        park.resume()
        thread.join(WAIT)
    assert not thread.is_alive()
    assert loaded_at_halt[0] is False


def test_nothing_parks_while_inactive_and_a_silent_stop_needs_a_halt() -> None:
    park, events = parking()
    frame = sys._getframe()
    assert park.park(threading.get_ident(), frame, 1, "breakpoint") is False
    park.active = True
    assert park.park(threading.get_ident(), frame, 1, None) is False
    assert events.sent == []


def test_a_stop_request_is_taken_by_one_thread_only() -> None:
    park, _events = parking()
    park.active = True
    park.halt.request_stop("pause", None)
    assert park.halt.stopping()
    assert park.halt.take_request(123) == "pause"
    assert park.halt.take_request(456) is None
    park.halt.request_stop("entry", 7)
    assert park.halt.take_request(8) is None and park.halt.take_request(7) == "entry"


def test_console_code_that_parks_again_is_a_nested_stop() -> None:
    """``run_nested`` (a repl evaluate): the thread parks again inside (as our LINE callback would at a
    breakpoint); resuming all then releases only that nested stop, the other parked thread stays;
    when the code returns, the first stop is back and announced again with its own body."""
    park, events = parking()
    park.active = True
    results: list[object] = []
    answered = threading.Event()

    def paused(reason: str | None) -> None:
        frame = sys._getframe()
        park.park(threading.get_ident(), frame, frame.f_lineno or 0, reason)

    def console_code() -> int:
        paused("breakpoint")
        return 7

    first = threading.Thread(target=paused, args=("breakpoint",))
    first.start()
    assert first.ident is not None
    ident = first.ident
    outer = park.wait_parked(ident, WAIT)
    assert outer is not None
    other = threading.Thread(target=paused, args=(None,))  # halted by the first stop
    other.start()
    assert other.ident is not None and park.wait_parked(other.ident, WAIT) is not None

    def job() -> None:
        results.append(park.run_nested(ident, console_code))
        park.announce_again(outer)
        answered.set()

    outer.submit(job)
    with park._parked_changed:  # notified when a thread parks
        assert park._parked_changed.wait_for(lambda: park.parked.get(ident) is not outer, WAIT)
    assert park.evaluating == {ident: [outer]}
    assert [released.ident for released in park.resume()] == [ident]  # only the nested stop
    assert other.ident in park.parked and park.halt.on
    assert answered.wait(WAIT)
    assert results == [7] and park.parked[ident] is outer and not park.evaluating
    stops = [body for event, body in events.sent if event == "stopped"]
    assert len(stops) == 3 and stops[2] == stops[0] == outer.stop_body
    assert {released.ident for released in park.resume()} == {ident, other.ident}
    first.join(WAIT)
    other.join(WAIT)
    assert not first.is_alive() and not other.is_alive()


def test_a_resume_cannot_release_a_thread_between_its_parking_and_its_stopped_event() -> None:
    """Two threads stopping at once (restart_events' test, issue 13): the client's continue of the first
    stop must not release the second after it parked but before its ``stopped`` event went out, or that
    event would name a thread already running (its stack then shows wherever it halted next). The
    resume is forced into exactly that gap: it runs while the event is being sent."""
    park, _events = parking()
    park.active = True
    seen_parked: list[bool] = []

    def send_event(event: str, body: dict[str, object]) -> None:
        if event != "stopped":
            return
        resumer = threading.Thread(target=park.resume)
        resumer.start()
        resumer.join(0.5)  # without the fix it returns at once, having released this thread already
        seen_parked.append(threading.get_ident() in park.parked)

    park._send_event = send_event
    outcome: list[bool] = []

    def worker() -> None:
        frame = sys._getframe()
        outcome.append(park.park(threading.get_ident(), frame, frame.f_lineno or 0, "breakpoint"))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(WAIT)
    # the resume waited for the event, then released the thread (so the event was never stale)
    assert seen_parked == [True] and outcome == [True] and not park.parked

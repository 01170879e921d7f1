"""In-process tier: where the aux id's LINE callback parks a thread (agent/halting.py), called from real
threads running real code, no sys.monitoring."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from types import CodeType
from typing import Any

import pytest
from parts_helpers import Events, Recorder, compile_file, nested

from monadapter.agent import halting
from monadapter.agent.halting import Halting
from monadapter.agent.parking import Parking
from monadapter.agent.registry import CodeRegistry
from monadapter.agent.sources import Sources
from monadapter.agent.stepping import Stepper
from monadapter.agent.threads import ThreadIds
from monadapter.agent.usercode import UserCode

pytestmark = pytest.mark.unit  # the in-process tier: no process started

WAIT = 10.0
PROGRAM = """
    def work(halting, results):
        value = 1
        results.append(aux_line(halting, work.__code__, 2))

    def aux_line(halting, code, line):  # stands where AuxCallbacks._on_aux_line (registered bare) calls it
        return halting.line(code, line)
"""


class Parts:
    """A Halting and the concerns it reads, over the registered code of PROGRAM."""

    def __init__(self, tmp_path: Path, own_threads: set[int] | None = None) -> None:
        sources = Sources()
        self.registry = CodeRegistry(sources)
        self.events = Events()
        stepper = Stepper(self.registry, sources, UserCode(), Recorder(), lambda: None)
        self.parking = Parking(ThreadIds(), stepper, self.events, lambda: None)
        self.parking.active = True
        self.halting = Halting(self.registry, UserCode(), stepper, self.parking, lambda: own_threads or set())
        _path, module = compile_file(tmp_path, PROGRAM)
        self.registry.register_tree(module)
        namespace: dict[str, Any] = {}
        exec(module, namespace)
        self.work = namespace["work"]
        self.code: CodeType = self.work.__code__
        assert self.code is nested(module, "work")

    def run_work(self) -> tuple[threading.Thread, list[object]]:
        """``work`` on a thread of its own, which calls ``Halting.line`` as the aux LINE callback would."""
        results: list[object] = []
        thread = threading.Thread(target=self.work, args=(self.halting, results))
        thread.start()
        return thread, results


def test_a_pause_request_parks_the_next_line_with_its_reason_and_the_users_frame(tmp_path: Path) -> None:
    parts = Parts(tmp_path)
    parts.parking.halt.request_stop("pause", None)
    thread, results = parts.run_work()
    assert thread.ident is not None
    parked = parts.parking.wait_parked(thread.ident, WAIT)
    assert parked is not None and parked.frame.f_code is parts.code  # PARK_DEPTH reached the user's frame
    assert [(event, body["reason"]) for event, body in parts.events.sent] == [("stopped", "pause")]
    assert parts.halting.parked_by_aux == {}  # no probe on the line: DEBUGGER_ID's LINE is not called
    parts.parking.resume()
    thread.join(WAIT)
    assert results == [None]


def test_a_halted_thread_on_a_breakpoint_line_is_left_to_debugger_ids_line_callback(tmp_path: Path) -> None:
    """While a stop is in force, a line with a probe is reported by DEBUGGER_ID's LINE (it runs next),
    so the aux id's callback neither parks nor reports it."""
    parts = Parts(tmp_path)
    state = parts.registry.state(parts.code)
    assert state is not None
    state.probes = {2: ()}
    parts.parking.halt.on = True
    thread, results = parts.run_work()
    thread.join(WAIT)
    assert results == [None] and parts.events.sent == [] and parts.parking.parked == {}


def test_a_silent_stop_on_a_watched_line_tells_debugger_ids_callback_to_skip_that_event(tmp_path: Path) -> None:
    parts = Parts(tmp_path)
    state = parts.registry.state(parts.code)
    assert state is not None
    state.line_watchers = 1
    parts.parking.halt.on = True
    thread, _results = parts.run_work()
    assert thread.ident is not None
    parked = parts.parking.wait_parked(thread.ident, WAIT)
    assert parked is not None and parts.events.sent == []  # halted because another thread stopped: silent
    assert parts.halting.parked_by_aux == {}
    parts.parking.resume()
    thread.join(WAIT)
    # set once resumed: DEBUGGER_ID's LINE callback, called next for the same event, skips it
    assert parts.halting.parked_by_aux == {thread.ident: (parked.frame, 2)}


def test_our_own_threads_and_files_never_park(tmp_path: Path) -> None:
    parts = Parts(tmp_path, own_threads={threading.get_ident()})
    parts.parking.halt.request_stop("pause", None)
    assert parts.halting.line(parts.code, 2) is None and parts.parking.halt.request is not None
    own_code = halting.Halting.line.__code__
    assert parts.halting.line(own_code, own_code.co_firstlineno) is sys.monitoring.DISABLE

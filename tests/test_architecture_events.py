"""What docs/architecture.md and the README say about our events and tool ids is what the engine does:
the documented event table is EVENTS row for row, the tool ids are the engine's, the functions the
"life of" sections name exist, and a real engine (in this process) turns the aux id's events on and
off as the table says."""

from __future__ import annotations

import importlib
import operator
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_helpers import our_tool_ids_free

from monadapter.agent.engine import Engine
from monadapter.agent.exceptions import ExceptionFilters
from monadapter.agent.sources import Sources
from monadapter.agent.wiring import AUX_CANDIDATES, DEBUGGER_ID, EVENTS, TOOL_NAME

pytestmark = pytest.mark.unit  # the in-process tier: no process started

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text()
README = (ROOT / "README.md").read_text()
M = sys.monitoring
E = M.events
NAMES = {getattr(E, name): name for name in dir(E) if name.isupper() and name != "NO_EVENTS"}


def documented_rows() -> list[tuple[str, ...]]:
    table = ARCHITECTURE.split("<!-- events -->", 1)[1].split("<!-- /events -->", 1)[0]
    rows = [line.strip().strip("|").split("|") for line in table.strip().splitlines()[2:]]
    return [tuple(cell.strip().strip("`") for cell in row) for row in rows]


def test_the_documented_event_table_is_the_engines() -> None:
    expected = [(row.tool, NAMES[row.event], row.scope, row.callback, row.when) for row in EVENTS]
    assert documented_rows() == expected


def test_every_global_row_names_a_predicate_and_every_callback_exists() -> None:
    engine = Engine(Sources(), lambda _event, _body: None, lambda: set())
    for row in EVENTS:
        if row.scope == "global" and row.when != "always":
            owner, _, predicate = row.when.rpartition(".")
            assert callable(getattr(operator.attrgetter(owner)(engine) if owner else engine, predicate)), row
        module, _, function = row.callback.rpartition(".")
        tool_owner = engine if row.tool == "debugger" else engine.aux_callbacks
        owner = importlib.import_module(f"monadapter.agent.{module}") if module else tool_owner  # some are closures
        assert callable(getattr(owner, function)), row


def test_the_documented_tool_ids_are_the_engines() -> None:
    assert (DEBUGGER_ID, TOOL_NAME, AUX_CANDIDATES) == (0, "monadapter", (4, 3))
    assert '`DEBUGGER_ID` (0, named "monadapter") and an *aux* id (4, else 3' in ARCHITECTURE
    assert "tool id 0 (DEBUGGER_ID) and one auxiliary id\n  (4, else 3) for the whole session" in README


def test_every_function_the_architecture_names_exists() -> None:
    names = set(re.findall(r"`((?:agent|adapter|protocol)\.[\w.]+)`", ARCHITECTURE))
    assert len(names) > 30
    missing = []
    for name in sorted(names):
        parts = name.split(".")
        for split in range(len(parts), 0, -1):
            try:
                target: object = importlib.import_module("monadapter." + ".".join(parts[:split]))
            except ImportError:
                continue
            try:
                for attribute in parts[split:]:
                    target = getattr(target, attribute)
            except AttributeError:
                missing.append(name)
            break
        else:
            missing.append(name)
    assert missing == []


@pytest.fixture
def engine() -> Iterator[Engine]:
    """A real engine started in this process (its tool ids and events), stopped after the test."""
    our_tool_ids_free()
    started = Engine(Sources(), lambda _event, _body: None, lambda: set())
    started.start()
    yield started
    started.stop()


def test_the_aux_id_is_held_for_the_whole_session_and_its_events_follow_the_table(engine: Engine) -> None:
    aux = engine.tools.aux
    assert aux == 4 and M.get_tool(DEBUGGER_ID) == M.get_tool(aux) == TOOL_NAME
    assert M.get_events(DEBUGGER_ID) == E.PY_START and M.get_events(aux) == 0  # nothing needed yet
    for filters, events in (
        (["raised"], E.RAISE),
        (["userUnhandled"], E.PY_UNWIND),
        (["uncaught"], 0),  # an uncaught exception is seen at the thread's end, not by PY_UNWIND
        ([], 0),
    ):
        engine.settings.set_exception_filters(ExceptionFilters.from_arguments({"filters": filters}))
        assert M.get_events(aux) == events, filters
    engine.parking.halt.request_stop("pause", -1)  # a thread that never runs: nothing parks
    assert M.get_events(aux) == E.LINE
    engine.parking.release_all()
    assert M.get_events(aux) == 0 and M.get_tool(aux) == TOOL_NAME
    engine.stop()
    assert M.get_tool(DEBUGGER_ID) is None and M.get_tool(aux) is None

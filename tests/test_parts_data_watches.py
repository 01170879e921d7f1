"""In-process tier: data breakpoints' parts (agent/data_watches.py) with real code objects and frames, no
sys.monitoring: which code objects a watch probes, the comparison, the end of a local's watch."""

from __future__ import annotations

import sys
from collections.abc import Generator
from pathlib import Path
from types import CodeType

import pytest
from parts_helpers import Events, compile_file, nested

from monadapter.agent.data_stops import data_changed
from monadapter.agent.data_watches import MISSING, DataWatches, Target, same, shown
from monadapter.agent.registry import CodeRegistry, CodeState, file_key
from monadapter.agent.sources import Sources

pytestmark = pytest.mark.unit

PROGRAM = """
total = 0
def bump():
    global total
    total += 1
def reads_other(point):
    return point.size
def outer():
    kept = 1
    def inner():
        nonlocal kept
        kept += 1
    return inner
"""


def _parts(tmp_path: Path) -> tuple[CodeRegistry, DataWatches, list[str], Events, CodeType, Path]:
    path, module = compile_file(tmp_path, PROGRAM)
    registry = CodeRegistry(Sources())
    registry.register_tree(module)
    armed: list[str] = []
    events = Events()
    ids = iter(range(1, 100))

    def arm(state: CodeState, code: CodeType) -> None:
        armed.append(f"{code.co_name}:{len(state.data_watches)}")

    return registry, DataWatches(registry, lambda: next(ids), arm, events), armed, events, module, path


def test_a_global_probes_the_code_of_its_module_that_names_it(tmp_path: Path) -> None:
    registry, watches, armed, _events, module, path = _parts(tmp_path)
    namespace: dict[str, object] = {"total": 0}
    target = Target("global", "total", "total", namespace=namespace, file_key=file_key(str(path)))
    answer = watches.set([{"dataId": watches.add_target(target)}])
    assert answer == [{"id": 1, "verified": True, "description": "total"}]
    assert sorted(armed) == ["<module>:1", "bump:1"]
    namespace["total"] = 1
    changes = watches.changes(tuple(watches.watches))
    assert changes is not None and changes[0].description() == "total changed from 0 to 1"
    assert watches.changes(tuple(watches.watches)) is None
    watches.set([])
    assert sorted(armed) == ["<module>:0", "<module>:1", "bump:0", "bump:1"]


def test_an_attribute_probes_every_code_naming_it_and_access_types_other_than_write_are_refused(tmp_path: Path) -> None:
    registry, watches, armed, _events, _module, _path = _parts(tmp_path)

    class Point:
        size = 0

    point = Point()
    point.size = 3
    target = Target("attribute", "size", "point.size", namespace=vars(point), owner=point)
    data_id = watches.add_target(target)
    answer = watches.set([{"dataId": data_id, "accessType": "readWrite"}, {"dataId": data_id, "hitCondition": "x"}])
    assert [entry["verified"] for entry in answer] == [False, False]
    assert "'write'" in answer[0]["message"] and "hit condition 'x'" in answer[1]["message"]
    watches.set([{"dataId": data_id}])
    assert armed == ["reads_other:1"]


def test_a_local_probes_its_code_and_the_functions_sharing_its_cell_and_ends_with_its_frame(tmp_path: Path) -> None:
    registry, watches, armed, events, module, _path = _parts(tmp_path)
    outer = nested(module, "outer")

    def paused() -> Generator[int]:  # a real frame standing for the paused one
        kept = 1
        yield kept

    generator = paused()
    next(generator)
    frame = generator.gi_frame  # type: ignore[attr-defined]
    target = Target("local", "kept", "kept", frame=frame, codes=(outer, nested(module, "inner")))
    watches.set([{"dataId": watches.add_target(target)}])
    assert sorted(armed) == ["inner:1", "outer:1"]
    assert watches.frames_watched()
    assert not watches.frame_ended(sys._getframe())
    assert watches.frame_ended(frame)
    assert not watches.frames_watched() and target.frame is None
    ((name, body),) = events.sent
    assert (name, body["reason"], body["breakpoint"]["verified"]) == ("breakpoint", "changed", False)
    assert sorted(armed) == ["inner:0", "inner:1", "outer:0", "outer:1"]
    # asked for again, the ended target is refused
    again = watches.set([{"dataId": watches.watches[0].data_id}])
    assert again[0]["verified"] is False and "its frame ended" in again[0]["message"]


def test_values_are_compared_without_running_the_program_code() -> None:
    class Loud:
        def __eq__(self, other: object) -> bool:
            raise AssertionError("ran __eq__")

        def __repr__(self) -> str:
            raise AssertionError("ran __repr__")

    big = 10**30
    assert same(big, 10**30) and same((1, "a"), (1, "a")) and same(float("nan"), float("nan"))
    assert not same(1, True) and not same(1, 1.0) and not same(Loud(), Loud()) and not same([1], [1])
    assert shown(MISSING) == "<unbound>" and shown("x" * 200).endswith("...") and shown(5) == "5"
    assert shown(Loud()).startswith("<") and "Loud object at" in shown(Loud())


def test_a_change_stops_when_its_condition_holds_and_a_failing_condition_is_reported(tmp_path: Path) -> None:
    """data_stops.data_changed: the stop's hit ids and description, and a condition's error as output
    (a condition that fails to evaluate stops the first time, as a line breakpoint's does)."""
    _registry, watches, _armed, _events, _module, path = _parts(tmp_path)
    namespace: dict[str, object] = {"total": 0}
    target = Target("global", "total", "total", namespace=namespace, file_key=file_key(str(path)))
    data_id = watches.add_target(target)
    for condition, stops, reported in (
        ("1 > 0", True, []),
        ("1 < 0", False, []),
        ("no_such_name", True, ["NameError"]),
    ):
        watches.set([{"dataId": data_id, "condition": condition}])
        namespace["total"] = int(namespace["total"]) + 1  # type: ignore[call-overload]
        changes = watches.changes(tuple(watches.watches))
        assert changes is not None
        errors: list[str] = []
        stop = data_changed(watches, changes, sys._getframe(), errors.append)
        assert (stop is not None) is stops, condition
        if stop is not None:
            assert stop["hit_ids"] == [watches.watches[0].breakpoint.id]
            assert stop["description"].startswith("total changed from ")
        assert [name for name in reported if not any(name in error for error in errors)] == []
        assert all("data breakpoint condition" in error for error in errors)

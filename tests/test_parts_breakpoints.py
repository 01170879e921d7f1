"""In-process tier: the breakpoint table and the code registry, with real code objects, no sys.monitoring."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from types import CodeType

import pytest
from parts_helpers import Events, Recorder, compile_file, nested

from monadapter.agent import sourcemap
from monadapter.agent.breakpoint_table import BreakpointTable
from monadapter.agent.codes import code_key
from monadapter.agent.registry import CodeRegistry
from monadapter.agent.sources import Sources

pytestmark = pytest.mark.unit  # the in-process tier: no process started

LINE = sys.monitoring.events.LINE

PROGRAM = """
def work(n):
    total = 0
    for i in range(n):
        total += i
    return total

value = work(
    3,
)
"""


def parts() -> tuple[CodeRegistry, BreakpointTable, Recorder, Events]:
    sources = Sources()
    registry = CodeRegistry(sources)
    arm, events = Recorder(), Events()
    return registry, BreakpointTable(registry, sources, events, arm), arm, events


def test_a_breakpoint_in_loaded_code_is_verified_and_probes_only_its_code_object(tmp_path: Path) -> None:
    path, module = compile_file(tmp_path, PROGRAM)
    registry, table, arm, _events = parts()
    table.code_added(registry.register_tree(module))
    answer = table.set_breakpoints({"path": str(path)}, [{"line": 4}])
    assert [(bp["verified"], bp["line"]) for bp in answer] == [(True, 4)]
    work = registry.state(nested(module, "work"))
    assert work is not None and list(work.probes) == [4]
    assert registry.state(module).probes == {}  # type: ignore[union-attr]
    assert arm.calls == [("work", 0, LINE, True)]  # a line added: re-armed through 0


def test_a_breakpoint_on_a_blank_line_moves_to_the_next_line_with_code(tmp_path: Path) -> None:
    path, module = compile_file(tmp_path, PROGRAM)
    registry, table, _arm, _events = parts()
    table.code_added(registry.register_tree(module))
    answer = table.set_breakpoints({"path": str(path)}, [{"line": 6}, {"line": 99}])
    assert (answer[0]["verified"], answer[0]["line"]) == (True, 7)
    assert answer[1]["verified"] is False and "past the last line" in answer[1]["message"]


def test_a_multi_line_statement_head_skips_its_second_first_line_event(tmp_path: Path) -> None:
    path, module = compile_file(tmp_path, PROGRAM)
    registry, table, _arm, _events = parts()
    table.code_added(registry.register_tree(module))
    table.set_breakpoints({"path": str(path)}, [{"line": 7}])
    state = registry.state(module)
    assert state is not None and list(state.probes) == [7] and state.skip  # docs/sys-monitoring/multiline_statement.py


def test_a_breakpoint_set_before_its_code_loads_is_verified_when_it_loads(tmp_path: Path) -> None:
    registry, table, arm, events = parts()
    path = tmp_path / "later.py"
    answer = table.set_breakpoints({"path": str(path)}, [{"line": 2}])
    assert answer[0]["verified"] is False
    path.write_text("x = 1\ny = 2\n")
    table.code_added(registry.register_tree(compile(path.read_text(), str(path), "exec")))
    assert [(event, body["breakpoint"]["verified"]) for event, body in events.sent] == [("breakpoint", True)]
    assert arm.calls == [("<module>", 0, LINE, True)]


def test_removing_a_breakpoint_leaves_the_events_for_the_line_to_disable_itself(tmp_path: Path) -> None:
    path, module = compile_file(tmp_path, PROGRAM)
    registry, table, arm, _events = parts()
    table.code_added(registry.register_tree(module))
    table.set_breakpoints({"path": str(path)}, [{"line": 4}])
    table.set_breakpoints({"path": str(path)}, [])
    assert registry.state(nested(module, "work")).probes == {}  # type: ignore[union-attr]
    assert arm.calls[-1] == ("work", LINE, 0, False)


def test_an_empty_list_maps_no_text_and_leaves_the_files_code_noted(tmp_path: Path) -> None:
    """The empty ``setBreakpoints`` an editor sends for every open file at start reads and compiles
    no text (``SourceMap``) and makes no state for the file's code (benchmarks A2: ~0.6-1 MB of the
    debuggee's peak); the file's code stays only noted, and its file is not wanted."""
    path, module = compile_file(tmp_path, PROGRAM)
    registry, table, arm, _events = parts()
    key = registry.key_of(str(path))
    registry.note(module, key)
    mapped = sourcemap._map_text.cache_info().misses
    assert table.set_breakpoints({"path": str(path)}, []) == []
    assert sourcemap._map_text.cache_info().misses == mapped
    assert list(registry.registered()) == [] and not table.wants(key) and arm.calls == []


def test_a_function_breakpoint_probes_the_first_line_of_every_function_of_that_name(tmp_path: Path) -> None:
    _path, module = compile_file(tmp_path, PROGRAM)
    registry, table, _arm, events = parts()
    answer = table.set_function_breakpoints([{"name": "work"}])
    assert answer[0]["verified"] is False
    table.code_added(registry.register_tree(module))
    state = registry.state(nested(module, "work"))
    assert state is not None and state.entry and state.entry_point is not None and state.entry_point[1] == 2
    assert list(state.probes) == [2]
    assert events.sent[0][1]["breakpoint"]["verified"] is True


def test_breakpoint_locations_lists_the_lines_with_code(tmp_path: Path) -> None:
    path, _module = compile_file(tmp_path, PROGRAM)
    _registry, table, _arm, _events = parts()
    assert table.breakpoint_locations({"path": str(path)}, 1, 6) == [{"line": n} for n in (1, 2, 3, 4, 5)]


def test_the_registry_forgets_dead_code_and_skips_known_trees(tmp_path: Path) -> None:
    _path, module = compile_file(tmp_path, PROGRAM)
    registry = CodeRegistry(Sources())
    added = registry.register_tree(module)
    assert sorted(code.co_name for _state, code in added) == ["<module>", "work"]
    assert registry.register_tree(module) == []
    key = code_key(module)
    del added, module
    gc.collect()
    assert key not in registry.codes


def test_code_that_existed_at_start_gets_states_only_when_its_file_or_all_code_is_asked_for(tmp_path: Path) -> None:
    """add_existing notes code without registering it (benchmarks A2); a breakpoint in its file
    finds and probes it, and ``live`` (function breakpoints, data watches) registers every file's."""
    path, module = compile_file(tmp_path, PROGRAM)
    other_path, other = compile_file(tmp_path, "def other():\n    return 1\n", "other.py")
    registry, table, _arm, _events = parts()
    work, other_function = nested(module, "work"), nested(other, "other")
    registry.add_existing(lambda: [work, other_function, work])
    assert registry.state(work) is None and registry.state(other_function) is None
    answer = table.set_breakpoints({"path": str(path)}, [{"line": 4}])
    assert [(bp["verified"], bp["line"]) for bp in answer] == [(True, 4)]
    state = registry.state(work)
    assert state is not None and list(state.probes) == [4]
    assert registry.state(other_function) is None
    assert [code for _state, code in registry.registered()] == [work]
    assert {code.co_name for _state, code in registry.live()} == {"work", "other"}
    assert registry.state(other_function) is not None and str(other_path).endswith("other.py")


def test_code_that_existed_at_start_is_found_again_only_when_a_file_it_is_in_is_asked_for(tmp_path: Path) -> None:
    """add_existing keeps the files only, no reference per code object (benchmarks A2: ~0.1 MB of a
    plain program's debuggee); the walk runs again once, when one of those files' code or all code is
    asked for, not for a file that had no code at start."""
    path, module = compile_file(tmp_path, PROGRAM)
    other_path, other = compile_file(tmp_path, "def other():\n    return 1\n", "other.py")
    registry, table, _arm, _events = parts()
    work, other_function = nested(module, "work"), nested(other, "other")
    walks: list[int] = []

    def find() -> list[CodeType]:
        walks.append(1)
        return [work, other_function]

    registry.add_existing(find)
    assert len(walks) == 1 and registry._dormant == {}
    table.set_breakpoints({"path": str(tmp_path / "new.py")}, [{"line": 1}])
    assert len(walks) == 1  # a file with no code at start: no walk
    table.set_breakpoints({"path": str(path)}, [{"line": 4}])
    assert len(walks) == 2 and list(registry.state(work).probes) == [4]  # type: ignore[union-attr]
    assert registry.state(other_function) is None
    assert {code.co_name for _state, code in registry.live()} == {"work", "other"}
    assert len(walks) == 2 and str(other_path).endswith("other.py")


def test_the_opcodes_codes_reads_without_dis_are_dis_own() -> None:
    """codes.py finds RESUME and CACHE without importing dis (benchmarks A2): the first instruction of
    a function without cells, and 0."""
    import dis

    from monadapter.agent import codes

    assert (codes._RESUME_OPCODE, codes._CACHE_OPCODE) == (dis.opmap["RESUME"], dis.opmap["CACHE"])


def test_the_library_roots_read_without_sysconfig_hold_sysconfigs_install_paths() -> None:
    """codes.py finds the library directories without sysconfig (benchmarks A2): each of sysconfig's
    stdlib, platstdlib, purelib and platlib is among them."""
    import os
    import sysconfig

    from monadapter.agent import codes

    paths = sysconfig.get_paths()
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        assert os.path.normcase(os.path.realpath(paths[name])) + os.sep in codes._LIBRARY_ROOTS, name


class Guarded:
    """An object of the program's whose every attribute read runs its code, and says so."""

    reads: list[str] = []

    def __getattribute__(self, name: str) -> object:
        Guarded.reads.append(name)
        raise RuntimeError("the debugger read an attribute of the program's object")


def test_finding_the_code_that_exists_reads_no_attribute_of_the_programs_objects() -> None:
    """The start of a session walks every gc-tracked object for the code that exists (codes.existing_code):
    an object with a ``__getattribute__`` of its own must never run it (isinstance reads ``__class__``),
    or attaching fails (it raised from Engine.start) or runs the program's code."""
    from monadapter.agent import codes

    guarded = Guarded()
    Guarded.reads.clear()
    found = list(codes.existing_code())
    assert Guarded.reads == [] and found
    assert test_finding_the_code_that_exists_reads_no_attribute_of_the_programs_objects.__code__ in found
    del guarded


NESTED = """
class Box:
    def put(self, item):
        def check():
            return item is not None
        return check()

def free():
    return 2
"""


def test_code_noted_at_first_sight_gets_states_when_a_breakpoint_is_set_in_its_file(tmp_path: Path) -> None:
    """A file with no breakpoint has its code noted (CodeRegistry.note, benchmarks S9), not registered.
    Its ``<module>`` code dies once imported, and its class bodies: the code they held (a method)
    was noted with it, a closure's code is reached through its function's, and both are found,
    registered and probed when a breakpoint is set there later; the table wants states for code of a
    file with breakpoints only."""
    path, module = compile_file(tmp_path, NESTED)
    registry, table, _arm, _events = parts()
    key = registry.key_of(str(path))
    assert key and not table.wants(key)
    registry.note(module, key)
    put, check = nested(module, "put"), nested(module, "check")
    del module
    gc.collect()
    assert list(registry.registered()) == []
    answer = table.set_breakpoints({"path": str(path)}, [{"line": 4}])
    assert [(bp["verified"], bp["line"]) for bp in answer] == [(True, 4)]
    assert table.wants(key)
    state = registry.state(check)
    assert state is not None and list(state.probes) == [4]
    # free's code died with the module code (no function was made of it here)
    assert {code.co_name for _state, code in registry.registered()} == {"put", "check"}
    assert registry.state(put) is not None


def test_noted_code_that_died_is_dropped_as_more_is_noted(tmp_path: Path) -> None:
    """A file whose code is compiled and run again and again (a reloaded module) keeps no reference
    to the code that died beyond twice what lives (benchmarks S9's notes stay bounded)."""
    path, _module = compile_file(tmp_path, "x = 1\n")
    text = path.read_text()
    registry = CodeRegistry(Sources())
    key = registry.key_of(str(path))
    for _ in range(1000):
        registry.note(compile(text, str(path), "exec"), key)
    assert len(registry._dormant[key]) <= 2 * 1 + 64
    assert registry.key_of(CodeRegistry.__init__.__code__.co_filename) == ""

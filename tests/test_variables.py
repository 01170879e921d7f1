"""scopes, variables and setVariable answered by the Inspector on real paused frames (3.12 and 3.13)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from inspection_helpers import PausedThread, Stop, finish, module_program, scope_variables, stop_at

from monadapter.agent.formatting import REPR_LIMIT, display
from monadapter.agent.handles import InspectError
from monadapter.agent.static import is_immutable
from monadapter.client import DapClient, DapError

MODULE_GLOBAL = "module global"


class Point:
    """Instance attributes in __dict__, a property that counts its runs, a method and a nested class."""

    class Inner:
        pass

    def __init__(self) -> None:
        self.x = 1
        self._hidden = [1, 2]
        self.property_runs = 0

    @property
    def doubled(self) -> int:
        self.property_runs += 1
        return self.x * 2

    def method(self) -> None:
        pass


class Slotted:
    __slots__ = ("a", "__private", "unset")

    def __init__(self) -> None:
        self.a = 1
        self.__private = 2


class Key:
    def __repr__(self) -> str:
        return "Key()"


class BadRepr:
    def __repr__(self) -> str:
        raise ValueError("no repr today")


class ExitingRepr:
    def __repr__(self) -> str:
        raise SystemExit(4)


def sample(pause: Callable[[], None]) -> tuple[Any, ...]:
    number = 7
    text = "t" * 2000
    mapping = {"k": [1, 2, {"z": (3,)}], 2: "two", Key(): "object key", (1, "a"): None}
    sequence = [10, 20, 30]
    pair = (1, 2)
    members = {5}
    point = Point()
    slotted = Slotted()
    broken = BadRepr()
    exiting = ExitingRepr()
    big = list(range(100_000))
    wide = {f"key{i}": i for i in range(10_000)}
    empty: list[int] = []

    def helper() -> int:
        return number

    pause()
    return number, mapping, sequence, point.x, MODULE_GLOBAL, helper()


@pytest.mark.unit
def test_scopes_of_a_function_frame() -> None:
    with Stop(sample) as stop:
        scopes = stop.scopes()
        assert list(scopes) == ["Locals", "Globals"]
        assert scopes["Locals"]["presentationHint"] == "locals"
        assert "presentationHint" not in scopes["Globals"]
        assert all(scope["expensive"] is False for scope in scopes.values())
        for scope in scopes.values():
            assert scope["namedVariables"] == len(stop.variables(scope["variablesReference"]))
        local_names = set(stop.locals())
        assert {"number", "mapping", "point", "big", "function variables"} <= local_names
        assert "helper" not in local_names  # grouped under "function variables"
        globals_ = stop.named(scopes["Globals"]["variablesReference"])
        assert globals_["MODULE_GLOBAL"]["value"] == repr(MODULE_GLOBAL)
        assert "__name__" not in globals_ and "special variables" in globals_
        special = stop.named(globals_["special variables"]["variablesReference"])
        assert special["__name__"]["value"] == repr(__name__)


@pytest.mark.unit
def test_module_level_frame_shows_only_globals() -> None:
    with Stop(module_program("alpha = 1\nbeta = [alpha]\npause()\n", {})) as stop:
        scopes = stop.scopes(return_value=("f", 3))
        assert list(scopes) == ["Globals"]
        names = stop.named(scopes["Globals"]["variablesReference"])
        assert names["alpha"]["value"] == "1"
        assert names["(return) f"]["value"] == "3"


@pytest.mark.unit
def test_return_value_entry_comes_first_in_locals() -> None:
    with Stop(sample) as stop:
        locals_ref = stop.scopes(return_value=("compute", [1, 2]))["Locals"]["variablesReference"]
        first = stop.variables(locals_ref)[0]
        assert first["name"] == "(return) compute"
        assert first["value"] == "[1, 2]" and first["type"] == "list"
        assert stop.variables(first["variablesReference"], filter="indexed")[1]["value"] == "2"
        with pytest.raises(InspectError, match="cannot be set"):
            stop.set_variable(locals_ref, "(return) compute", "5")


@pytest.mark.unit
def test_dict_children_with_evaluate_names_that_evaluate_back() -> None:
    with Stop(sample) as stop:
        mapping = stop.locals()["mapping"]
        assert mapping["indexedVariables"] == 4
        children = stop.named(mapping["variablesReference"])
        assert list(children) == ["'k'", "2", "Key()", "(1, 'a')", "len()"]
        assert children["'k'"]["evaluateName"] == "mapping['k']"
        assert children["Key()"]["evaluateName"] == "mapping[list(mapping)[2]]"
        assert children["(1, 'a')"]["evaluateName"] == "mapping[(1, 'a')]"
        assert children["len()"]["value"] == "4" and children["len()"]["evaluateName"] == "len(mapping)"
        inner = stop.named(children["'k'"]["variablesReference"])
        deepest = stop.named(inner["2"]["variablesReference"])
        assert deepest["'z'"]["evaluateName"] == "mapping['k'][2]['z']"
        for variable in [*children.values(), *inner.values(), *deepest.values()]:
            assert stop.evaluate(variable["evaluateName"])["result"] == variable["value"], variable


@pytest.mark.unit
def test_sequences_sets_and_scalars() -> None:
    with Stop(sample) as stop:
        locals_ = stop.locals()
        items = stop.variables(locals_["sequence"]["variablesReference"])
        assert [(v["name"], v["value"], v.get("evaluateName")) for v in items] == [
            ("0", "10", "sequence[0]"),
            ("1", "20", "sequence[1]"),
            ("2", "30", "sequence[2]"),
            ("len()", "3", "len(sequence)"),
        ]
        assert [v["value"] for v in stop.variables(locals_["pair"]["variablesReference"], filter="indexed")] == [
            "1",
            "2",
        ]
        member = stop.variables(locals_["members"]["variablesReference"], filter="indexed")[0]
        assert member["value"] == "5" and stop.evaluate(member["evaluateName"])["result"] == "5"
        assert locals_["number"]["variablesReference"] == 0 and locals_["number"]["type"] == "int"
        assert locals_["text"]["variablesReference"] == 0
        assert locals_["empty"]["variablesReference"] == 0  # nothing to expand


@pytest.mark.unit
def test_objects_list_dict_and_slots_without_running_properties() -> None:
    with Stop(sample) as stop:
        point = stop.locals()["point"]
        assert point["type"] == "Point"
        attributes = stop.named(point["variablesReference"])
        assert attributes["x"] == {
            "name": "x",
            "value": "1",
            "type": "int",
            "variablesReference": 0,
            "evaluateName": "point.x",
            "presentationHint": {"kind": "data"},
        }
        assert attributes["_hidden"]["evaluateName"] == "point._hidden"
        assert attributes["doubled"]["presentationHint"]["lazy"] is True  # listed, not run
        assert stop.paused.frame is not None and stop.paused.frame.f_locals["point"].property_runs == 0
        slotted = stop.named(stop.locals()["slotted"]["variablesReference"])
        assert slotted["a"]["value"] == "1"
        assert slotted["_Slotted__private"]["value"] == "2"
        assert "unset" not in slotted
        assert stop.evaluate(slotted["_Slotted__private"]["evaluateName"])["result"] == "2"


class Watched:
    """Counts every attribute lookup that goes through the class's own code, and has dunder properties."""

    lookups = 0

    def __init__(self) -> None:
        self.value = 1

    def __getattribute__(self, name: str) -> Any:
        type(self).lookups += 1
        return object.__getattribute__(self, name)

    def __getattr__(self, name: str) -> Any:
        type(self).lookups += 1
        raise AttributeError(name)

    @property
    def __wrapped__(self) -> int:
        type(self).lookups += 1
        return 0


def watched_program(pause: Callable[[], None]) -> None:
    point = Point()
    watched = Watched()
    Watched.lookups = 0
    slotted = Slotted()
    error = KeyError("k")
    pause()
    del point, watched, slotted, error


@pytest.mark.unit
def test_an_object_lists_its_special_variables_as_debugpy_does_without_running_its_code() -> None:
    with Stop(watched_program) as stop:
        locals_ = stop.locals()
        point = stop.named(locals_["point"]["variablesReference"])
        assert "special variables" in point and "__class__" not in point
        special = stop.named(point["special variables"]["variablesReference"])
        assert {"__class__", "__dict__", "__doc__", "__module__", "__init__", "__weakref__", "__eq__"} <= set(special)
        assert special["__class__"]["value"] == repr(Point)
        assert special["__dict__"]["value"].startswith("{'x': 1,")
        assert special["__doc__"]["value"] == repr(Point.__doc__)
        assert special["__module__"]["value"] == repr(__name__)
        assert special["__init__"]["value"].startswith("<bound method Point.__init__ of ")
        assert special["__class__"]["evaluateName"] == "point.__class__"
        assert stop.evaluate(special["__module__"]["evaluateName"])["result"] == special["__module__"]["value"]
        assert {"__annotations__"}.isdisjoint(special)  # its getter may evaluate annotations (3.14)
        watched = stop.named(locals_["watched"]["variablesReference"])
        special = stop.named(watched["special variables"]["variablesReference"])
        assert special["__class__"]["value"] == repr(Watched) and "__getattribute__" in special
        assert special["__wrapped__"]["presentationHint"]["lazy"] is True  # a property: listed, not run
        assert Watched.lookups == 0
        slotted = stop.named(locals_["slotted"]["variablesReference"])
        assert stop.named(slotted["special variables"]["variablesReference"])["__slots__"]["value"] == repr(
            Slotted.__slots__
        )
        error = stop.named(locals_["error"]["variablesReference"])
        assert "__traceback__" in stop.named(error["special variables"]["variablesReference"])
        assert stop.named(locals_["point"]["variablesReference"]) == point  # the same listing again


@pytest.mark.unit
def test_classes_group_special_function_and_class_members() -> None:
    with Stop(sample) as stop:
        point_class = stop.evaluate("type(point)")
        top = stop.named(point_class["variablesReference"])
        assert {"special variables", "function variables", "class variables"} <= set(top)
        functions = stop.named(top["function variables"]["variablesReference"])
        assert "method" in functions and "__init__" not in functions
        assert functions["method"]["evaluateName"] == "type(point).method"
        assert "Inner" in stop.named(top["class variables"]["variablesReference"])
        special = stop.named(top["special variables"]["variablesReference"])
        assert special["__module__"]["value"] == repr(__name__)
        assert "__init__" in special


@pytest.mark.unit
def test_presentation_hints_give_kind_visibility_and_read_only() -> None:
    with Stop(sample) as stop:
        locals_ref = stop.scopes(return_value=("f", len))["Locals"]["variablesReference"]
        locals_ = stop.named(locals_ref)
        assert locals_["number"]["presentationHint"] == {"kind": "data"}
        assert locals_["(return) f"]["presentationHint"] == {"kind": "method", "attributes": ["readOnly"]}
        assert locals_["function variables"]["presentationHint"] == {"kind": "virtual"}
        helper = stop.named(locals_["function variables"]["variablesReference"])["helper"]
        assert helper["presentationHint"] == {"kind": "method"}
        items = stop.named(locals_["sequence"]["variablesReference"])
        assert items["0"]["presentationHint"] == {"kind": "data"}
        assert items["len()"]["presentationHint"] == {"kind": "virtual", "attributes": ["readOnly"]}
        point = stop.named(locals_["point"]["variablesReference"])
        assert point["_hidden"]["presentationHint"] == {"kind": "data", "visibility": "protected"}
        assert point["x"]["presentationHint"] == {"kind": "data"}
        slotted = stop.named(locals_["slotted"]["variablesReference"])
        assert slotted["_Slotted__private"]["presentationHint"] == {"kind": "data", "visibility": "private"}
        point_class = stop.named(stop.evaluate("type(point)")["variablesReference"])
        inner = stop.named(point_class["class variables"]["variablesReference"])["Inner"]
        assert inner["presentationHint"] == {"kind": "class"}
        special = stop.named(point_class["special variables"]["variablesReference"])
        assert special["__init__"]["presentationHint"] == {"kind": "method"}  # special names are not private


class Account:
    """Properties of every sort: counting, read-write, raising, name-mangled, and one a subclass hides."""

    def __init__(self) -> None:
        self.runs = 0
        self._balance = 10

    @property
    def counted(self) -> int:
        self.runs += 1
        return self.runs

    @property
    def balance(self) -> int:
        return self._balance

    @balance.setter
    def balance(self, value: int) -> None:
        self._balance = value

    @property
    def broken(self) -> int:
        raise ValueError("no balance today")

    @property
    def exiting(self) -> int:
        raise SystemExit(3)

    @property
    def __secret(self) -> str:
        return "hidden"

    @property
    def hidden_later(self) -> int:
        raise AssertionError("shadowed by Savings")


class Savings(Account):
    hidden_later = 5


def accounts(pause: Callable[[], None]) -> Savings:
    account = Savings()
    pause()
    return account


@pytest.mark.unit
def test_properties_are_lazy_and_only_their_expansion_runs_the_getter() -> None:
    with Stop(accounts) as stop:
        reference = stop.locals()["account"]["variablesReference"]
        listed = stop.named(reference)
        account = stop.frame.f_locals["account"]
        assert account.runs == 0
        counted = listed["counted"]
        assert counted["presentationHint"] == {"kind": "property", "attributes": ["readOnly"], "lazy": True}
        assert counted["variablesReference"] > 0 and counted["evaluateName"] == "account.counted"
        assert listed["balance"]["presentationHint"] == {"kind": "property", "lazy": True}
        assert listed["_Account__secret"]["presentationHint"]["visibility"] == "private"
        assert "hidden_later" not in listed  # the subclass's class attribute hides the property
        assert stop.variables(reference) == list(listed.values())  # listed again: same ids, still no run
        assert account.runs == 0
        [value] = stop.variables(counted["variablesReference"])
        assert account.runs == 1
        assert value == {
            "name": "counted",
            "value": "1",
            "type": "int",
            "variablesReference": 0,
            "evaluateName": "account.counted",
            "presentationHint": {"kind": "property", "attributes": ["readOnly"]},
        }
        assert stop.variables(counted["variablesReference"], filter="indexed") == []
        [error] = stop.variables(listed["broken"]["variablesReference"])
        assert (error["value"], error["type"]) == ("<property raised ValueError: no balance today>", "ValueError")
        [exiting] = stop.variables(listed["exiting"]["variablesReference"])
        assert exiting["value"] == "<property raised SystemExit: 3>"
        [secret] = stop.variables(listed["_Account__secret"]["variablesReference"])
        assert secret["value"] == "'hidden'" and secret["presentationHint"]["visibility"] == "private"
        assert account.runs == 1
        balance_ref = listed["balance"]["variablesReference"]
        body = stop.set_variable(balance_ref, "balance", "42")  # through the setter
        assert body["value"] == "42"
        assert stop.variables(balance_ref)[0]["value"] == "42"
        with pytest.raises(InspectError, match="AttributeError"):
            stop.set_variable(counted["variablesReference"], "counted", "0")
        assert stop.paused.resume()._balance == 42


@pytest.mark.unit
def test_what_is_read_of_a_class_once_for_good_is_only_what_cannot_change() -> None:
    """The facts of ``int`` or ``list`` are read once for the process (static.is_immutable); a class of
    the program's is read again at each request, so a property it gained since shows."""

    class Growing:
        def __init__(self) -> None:
            self.size = 3

    def program(pause: Callable[[], None]) -> None:
        grown, numbers = Growing(), [1, 2]
        pause()
        del grown, numbers

    with Stop(program) as stop:
        listed = stop.locals()
        reference = listed["grown"]["variablesReference"]
        assert set(stop.named(reference)) == {"size", "special variables"}
        Growing.area = property(lambda self: self.size**2)  # type: ignore[attr-defined]
        again = stop.named(reference)
        assert again["area"]["presentationHint"] == {"kind": "property", "attributes": ["readOnly"], "lazy": True}
        assert [entry["value"] for entry in stop.variables(listed["numbers"]["variablesReference"])] == ["1", "2", "2"]
    assert is_immutable(list) and is_immutable(int) and not is_immutable(Growing)


@pytest.mark.unit
def test_variable_presentation_option_inlines_or_hides_groups() -> None:
    presentation = {"special": "inline", "function": "hide"}
    with Stop(sample, variablePresentation=presentation) as stop:
        top = stop.named(stop.evaluate("type(point)")["variablesReference"])
        assert "__module__" in top and "special variables" not in top
        assert "method" not in top and "function variables" not in top
        assert "class variables" in top


@pytest.mark.unit
def test_a_100k_list_is_reachable_by_paging() -> None:
    with Stop(sample) as stop:
        big = stop.locals()["big"]
        assert big["indexedVariables"] == 100_000
        assert len(big["value"]) <= REPR_LIMIT and big["value"].endswith("...")
        reference = big["variablesReference"]
        middle = stop.variables(reference, filter="indexed", start=50_000, count=100)
        assert [v["name"] for v in middle] == [str(i) for i in range(50_000, 50_100)]
        assert middle[0]["evaluateName"] == "big[50000]"
        seen = 0
        for start in range(0, 100_000, 5_000):
            page = stop.variables(reference, filter="indexed", start=start, count=5_000)
            assert page[0]["value"] == str(start) and page[-1]["value"] == str(start + 4_999)
            seen += len(page)
        assert seen == 100_000
        assert stop.variables(reference, filter="indexed", start=99_999, count=10)[0]["value"] == "99999"
        assert [v["name"] for v in stop.variables(reference, filter="named")] == ["len()"]


@pytest.mark.unit
def test_a_10k_dict_is_reachable_by_paging() -> None:
    with Stop(sample) as stop:
        wide = stop.locals()["wide"]
        assert wide["indexedVariables"] == 10_000
        names = []
        for start in range(0, 10_000, 1_000):
            names += [
                v["name"]
                for v in stop.variables(wide["variablesReference"], filter="indexed", start=start, count=1_000)
            ]
        assert names == [repr(f"key{i}") for i in range(10_000)]
        last = stop.variables(wide["variablesReference"], filter="indexed", start=9_999, count=1)[0]
        assert last["evaluateName"] == "wide['key9999']" and last["value"] == "9999"


@pytest.mark.unit
def test_paging_without_filter_spans_named_and_indexed_children() -> None:
    with Stop(sample) as stop:
        reference = stop.locals()["sequence"]["variablesReference"]
        everything = stop.variables(reference)
        assert [v["name"] for v in everything] == ["0", "1", "2", "len()"]
        assert stop.variables(reference, start=2, count=2) == everything[2:4]


@pytest.mark.unit
def test_values_hex_truncation_and_failing_repr() -> None:
    with Stop(sample) as stop:
        locals_ref = stop.scopes()["Locals"]["variablesReference"]
        hexed = stop.named(locals_ref, format={"hex": True})
        assert hexed["number"]["value"] == "0x7"
        assert hexed["sequence"]["value"] == "[0xa, 0x14, 0x1e]"
        assert hexed["mapping"]["value"].startswith("{'k': [0x1, 0x2, {'z': (0x3,)}], 0x2: 'two'")
        items = stop.variables(hexed["sequence"]["variablesReference"], format={"hex": True})
        assert items[0]["value"] == "0xa"
        text = stop.locals()["text"]["value"]
        assert len(text) == REPR_LIMIT and text.endswith("...") and text.startswith("'tttt")
        assert stop.locals()["broken"]["value"] == "<repr raised ValueError: no repr today>"
        assert stop.locals()["exiting"]["value"] == "<repr raised SystemExit: 4>"


def huge_int_keys(pause: Callable[[], None]) -> dict[object, object]:
    """A dict keyed by an int of more digits than ``str()`` converts (sys.get_int_max_str_digits)."""
    huge = 1 << 20_000  # ~6,000 decimal digits: repr raises ValueError
    mapping: dict[object, object] = {huge: "huge key", "small": huge}
    pause()
    return mapping


@pytest.mark.unit
def test_a_dict_keyed_by_an_int_too_long_to_convert_still_shows_every_entry() -> None:
    with Stop(huge_int_keys) as stop:
        mapping = stop.locals()["mapping"]
        children = stop.variables(mapping["variablesReference"])
        by_value = {child["value"]: child for child in children}
        assert "'huge key'" in by_value, children
        huge_entry = by_value["'huge key'"]
        assert huge_entry["name"].startswith("<repr raised ValueError")
        assert stop.evaluate(huge_entry["evaluateName"])["result"] == "'huge key'"
        small = next(child for child in children if child["name"] == "'small'")
        assert small["value"].startswith("<repr raised ValueError")


@pytest.mark.unit
@pytest.mark.parametrize(
    "value",
    [[1, "a", {2: (3,)}], (1,), (), set(), frozenset({1}), {"a": [{}]}, [[[]]], {1: {2: {3: "x"}}}],
)
def test_display_matches_repr_for_small_containers(value: object) -> None:
    assert display(value) == repr(value)


@pytest.mark.unit
def test_display_of_recursive_containers() -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    assert display(loop) == repr(loop) == "[1, [...]]"
    table: dict[str, Any] = {}
    table["self"] = table
    assert display(table) == repr(table)


@pytest.mark.unit
def test_bad_variables_arguments() -> None:
    with Stop(sample) as stop:
        frame_id = stop.frame_id
        with pytest.raises(InspectError, match="is a frameId, not a variablesReference"):
            stop.variables(frame_id)
        reference = stop.scopes()["Locals"]["variablesReference"]
        with pytest.raises(InspectError, match="filter must be 'named' or 'indexed'"):
            stop.variables(reference, filter="all")
        with pytest.raises(InspectError, match="count must be a non-negative integer"):
            stop.variables(reference, count=-1)


# --- setVariable ------------------------------------------------------------------------------------------


@pytest.mark.unit
def test_set_variable_in_locals_reaches_the_program_and_its_closure() -> None:
    """On 3.12 this needs the snapshot write-back (facts §5); helper() reads the cell variable."""
    with Stop(sample) as stop:
        locals_ref = stop.scopes()["Locals"]["variablesReference"]
        body = stop.set_variable(locals_ref, "number", "number * 6")
        assert (body["value"], body["type"], body["variablesReference"]) == ("42", "int", 0)
        assert stop.locals()["number"]["value"] == "42"
        result = stop.paused.resume()
        assert result[0] == 42 and result[-1] == 42


@pytest.mark.unit
def test_set_variable_from_another_thread_while_paused() -> None:
    """The same write made by a thread other than the paused one (the I/O thread's view of the frame)."""
    with Stop(sample) as stop:
        locals_ref = stop.scopes()["Locals"]["variablesReference"]
        stop.inspector.set_variable({"variablesReference": locals_ref, "name": "number", "value": "99"})
        assert stop.paused.resume()[0] == 99


@pytest.mark.unit
def test_set_variable_on_children_of_containers_and_objects() -> None:
    with Stop(sample) as stop:
        locals_ = stop.locals()
        mapping_ref = locals_["mapping"]["variablesReference"]
        body = stop.set_variable(mapping_ref, "'k'", "[9]")
        assert body["value"] == "[9]" and body["variablesReference"] > 0
        stop.set_variable(mapping_ref, "Key()", "'changed'")
        stop.set_variable(locals_["sequence"]["variablesReference"], "1", "-1")
        stop.set_variable(locals_["point"]["variablesReference"], "x", "5")
        with pytest.raises(
            InspectError, match="cannot set '0': TypeError: 'tuple' object does not support item assignment"
        ):
            stop.set_variable(locals_["pair"]["variablesReference"], "0", "5")
        with pytest.raises(InspectError, match="'len\\(\\)' is shown by the debugger and cannot be set"):
            stop.set_variable(locals_["sequence"]["variablesReference"], "len()", "5")
        with pytest.raises(InspectError, match="NameError: name 'nope' is not defined"):
            stop.set_variable(locals_["sequence"]["variablesReference"], "0", "nope")
        with pytest.raises(InspectError, match="no such variable in locals"):
            stop.set_variable(stop.scopes()["Locals"]["variablesReference"], "fresh", "1")
        _, mapping, sequence, x, _, _ = stop.paused.resume()
        assert mapping["k"] == [9] and "changed" in mapping.values()
        assert sequence == [10, -1, 30] and x == 5


@pytest.mark.unit
def test_set_variable_in_globals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(globals(), "MODULE_GLOBAL", MODULE_GLOBAL)  # restored after the test
    with Stop(sample) as stop:
        globals_ref = stop.scopes()["Globals"]["variablesReference"]
        stop.set_variable(globals_ref, "MODULE_GLOBAL", "'rewritten'")
        assert stop.paused.resume()[4] == "rewritten"


@pytest.mark.unit
def test_set_variable_in_a_module_level_frame() -> None:
    seen: list[int] = []
    with Stop(module_program("alpha = 1\npause()\nseen.append(alpha)\n", {"seen": seen})) as stop:
        stop.set_variable(stop.scopes()["Globals"]["variablesReference"], "alpha", "2")
        stop.paused.resume()
    assert seen == [2]


@pytest.mark.unit
def test_requests_run_on_the_paused_thread_itself() -> None:
    """Sanity check of the harness: PausedThread.call really runs on the paused thread."""
    import threading

    paused = PausedThread(sample)
    assert paused.call(threading.get_ident) == paused.ident
    paused.resume()


@pytest.mark.unit
def test_failing_container_methods_become_error_responses() -> None:
    class Exploding(dict[str, int]):
        def items(self) -> Any:
            raise RuntimeError("items exploded")

    def program(pause: Callable[[], None]) -> None:
        exploding = Exploding(a=1)
        pause()
        del exploding

    with Stop(program) as stop:
        reference = stop.locals()["exploding"]["variablesReference"]
        with pytest.raises(InspectError, match="^RuntimeError: items exploded$"):
            stop.variables(reference, filter="indexed")
        assert stop.variables(reference, filter="named")[0]["name"] == "len()"


def test_response_bodies_meet_the_dap_schema() -> None:
    """Every body the Inspector builds, wrapped as a response, validates against debugAdapterProtocol.json."""
    from dap_schema import validate_outgoing

    bodies: list[tuple[str, dict[str, Any]]] = []
    with Stop(sample) as stop:
        bodies.append(("stackTrace", stop.stack_trace(format={"parameters": True, "line": True})))
        scopes = stop.scopes(return_value=("f", 1))
        bodies.append(("scopes", {"scopes": list(scopes.values())}))
        locals_ref = scopes["Locals"]["variablesReference"]
        for reference in (
            locals_ref,
            stop.locals()["mapping"]["variablesReference"],
            stop.locals()["point"]["variablesReference"],
        ):
            bodies.append(("variables", {"variables": stop.variables(reference)}))
        bodies.append(
            ("variables", {"variables": stop.variables(stop.locals()["function variables"]["variablesReference"])})
        )
        doubled = stop.named(stop.locals()["point"]["variablesReference"])["doubled"]
        bodies.append(("variables", {"variables": stop.variables(doubled["variablesReference"])}))
        bodies.append(("evaluate", stop.evaluate("mapping", "repl")))
        bodies.append(("evaluate", stop.evaluate("number = 1", "repl")))
        bodies.append(("evaluate", stop.evaluate("text", "clipboard")))
        bodies.append(("setVariable", stop.set_variable(locals_ref, "number", "[1]")))
        bodies.append(("setExpression", stop.set_expression("number", "{}")))
    messages = [
        {"seq": seq, "type": "response", "request_seq": seq, "success": True, "command": command, "body": body}
        for seq, (command, body) in enumerate(bodies, 1)
    ]
    assert validate_outgoing(messages) == []


@pytest.mark.unit
def test_display_of_long_text_is_cut_the_same_way_alone_and_inside_containers() -> None:
    long_text = "ab" * 100_000
    assert display(long_text) == repr(long_text)[: REPR_LIMIT - 3] + "..."
    assert display([long_text]) == repr([long_text])[: REPR_LIMIT - 3] + "..."
    assert display(long_text.encode(), limit=None) == repr(long_text.encode())


# --- through the real adapter -------------------------------------------------------------------------------

NESTED_PROGRAM = """
    class Box:
        def __init__(self):
            self.items = {"a": [1, {"b": (2, 3)}]}

    def main():
        box = Box()
        big = list(range(100_000))
        count = 1
        print("ready")  # stop here
        print("count", count, "first", big[0], "a0", box.items["a"][0])

    main()
"""


async def test_scopes_and_nested_variables_through_the_adapter(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    program = make_program(NESTED_PROGRAM)
    thread_id, top = await stop_at(client, program, "# stop here")
    scopes = await client.scopes(top["id"])
    assert [(s["name"], s.get("presentationHint")) for s in scopes] == [("Locals", "locals"), ("Globals", None)]
    local_vars = await scope_variables(client, top["id"])
    assert {"box", "big", "count"} <= set(local_vars)
    items = {v["name"]: v for v in await client.variables(local_vars["box"]["variablesReference"])}["items"]
    a_list = (await client.variables(items["variablesReference"], filter="indexed"))[0]
    assert (a_list["name"], a_list["evaluateName"]) == ("'a'", "box.items['a']")
    inner = (await client.variables(a_list["variablesReference"], filter="indexed"))[1]
    b_tuple = (await client.variables(inner["variablesReference"], filter="indexed"))[0]
    assert (b_tuple["name"], b_tuple["value"], b_tuple["evaluateName"]) == ("'b'", "(2, 3)", "box.items['a'][1]['b']")
    leaves = await client.variables(b_tuple["variablesReference"], filter="indexed")
    assert [leaf["value"] for leaf in leaves] == ["2", "3"]
    globals_ = await scope_variables(client, top["id"], "Globals")
    assert "main" in {v["name"] for v in await client.variables(globals_["function variables"]["variablesReference"])}
    await finish(client, thread_id)


async def test_100k_list_paging_through_the_adapter(client: DapClient, make_program: Callable[..., Path]) -> None:
    program = make_program(NESTED_PROGRAM)
    thread_id, top = await stop_at(client, program, "# stop here")
    big = (await scope_variables(client, top["id"]))["big"]
    assert big["indexedVariables"] == 100_000
    first = await client.variables(big["variablesReference"], filter="indexed", start=0, count=100)
    assert [v["name"] for v in first] == [str(i) for i in range(100)]
    last = await client.variables(big["variablesReference"], filter="indexed", start=99_990, count=100)
    assert [v["value"] for v in last] == [str(i) for i in range(99_990, 100_000)]
    assert last[-1]["evaluateName"] == "big[99999]"
    await finish(client, thread_id)


async def test_set_variable_through_the_adapter_reaches_the_program(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    program = make_program(NESTED_PROGRAM)
    thread_id, top = await stop_at(client, program, "# stop here")
    scopes = {s["name"]: s for s in await client.scopes(top["id"])}
    locals_ref = scopes["Locals"]["variablesReference"]
    body = await client.request(
        "setVariable", {"variablesReference": locals_ref, "name": "count", "value": "count + 40"}
    )
    assert (body["value"], body["type"]) == ("41", "int")
    big = (await scope_variables(client, top["id"]))["big"]
    await client.request("setVariable", {"variablesReference": big["variablesReference"], "name": "0", "value": "-5"})
    box = (await scope_variables(client, top["id"]))["box"]
    items = {v["name"]: v for v in await client.variables(box["variablesReference"])}["items"]
    a_list = (await client.variables(items["variablesReference"], filter="indexed"))[0]
    await client.request(
        "setVariable", {"variablesReference": a_list["variablesReference"], "name": "0", "value": "'z'"}
    )
    with pytest.raises(DapError, match="cannot set 'nothing': no such variable in locals"):
        await client.request("setVariable", {"variablesReference": locals_ref, "name": "nothing", "value": "1"})
    assert "count 41 first -5 a0 z" in await finish(client, thread_id)


PROPERTY_PROGRAM = """
    class Meter:
        def __init__(self):
            self.runs = 0

        @property
        def reading(self):
            self.runs += 1
            return [self.runs]

    def main():
        meter = Meter()
        print("ready")  # stop here
        print("runs", meter.runs)

    main()
"""


async def test_a_lazy_property_runs_only_when_expanded_through_the_adapter(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    program = make_program(PROPERTY_PROGRAM)
    thread_id, top = await stop_at(client, program, "# stop here")
    meter = (await scope_variables(client, top["id"]))["meter"]
    children = {v["name"]: v for v in await client.variables(meter["variablesReference"])}
    reading = children["reading"]
    assert reading["presentationHint"] == {"kind": "property", "attributes": ["readOnly"], "lazy": True}
    assert children["runs"]["value"] == "0"
    [value] = await client.variables(reading["variablesReference"])
    assert (value["name"], value["value"], value["evaluateName"]) == ("reading", "[1]", "meter.reading")
    assert value["presentationHint"] == {"kind": "property", "attributes": ["readOnly"]}
    assert value["variablesReference"] > 0  # the getter's list expands like any value
    assert "runs 1" in await finish(client, thread_id)


@pytest.mark.unit
def test_named_tuple_fields_and_exception_args_are_listed() -> None:
    from collections import namedtuple

    Pair = namedtuple("Pair", "left right")

    def program(pause: Callable[[], None]) -> None:
        pair = Pair(1, [2])
        error = KeyError("missing", 3)
        pause()
        del pair, error

    with Stop(program) as stop:
        locals_ = stop.locals()
        pair = stop.named(locals_["pair"]["variablesReference"])
        assert [(v["name"], v["value"], v["evaluateName"]) for v in pair.values()] == [
            ("0", "1", "pair[0]"),
            ("1", "[2]", "pair[1]"),
            ("left", "1", "pair.left"),
            ("right", "[2]", "pair.right"),
            ("len()", "2", "len(pair)"),
        ]
        error = stop.named(locals_["error"]["variablesReference"])
        assert error["args"]["value"] == "('missing', 3)"
        assert stop.evaluate(error["args"]["evaluateName"])["result"] == "('missing', 3)"

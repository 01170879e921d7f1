"""evaluate (watch, repl, hover, clipboard) and setExpression on real paused frames (3.12 and 3.13)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from inspection_helpers import Stop, finish, module_program, scope_variables, stop_at

from monadapter.agent.handles import InspectError
from monadapter.client import DapClient, DapError

COUNTER = 0


class Gadget:
    """A property that counts its runs, a custom descriptor, and plain data."""

    class Loud:
        def __get__(self, instance: object, owner: type) -> str:
            if instance is not None:
                instance.runs += 1  # type: ignore[attr-defined]
            return "loud"

    loud = Loud()
    label = "class label"

    class Binding(classmethod):  # type: ignore[type-arg]
        """A classmethod whose binding is the program's code (a subclass of a C descriptor)."""

        def __get__(self, instance: object, owner: type | None = None) -> Any:
            if instance is not None:
                instance.runs += 1  # type: ignore[attr-defined]
            return super().__get__(instance, owner)

    @Binding
    def bound(cls) -> str:
        return "bound"

    def __init__(self) -> None:
        self.runs = 0
        self.data = {"key": [1, 2, 3]}

    @property
    def counted(self) -> int:
        self.runs += 1
        return 1

    def method(self) -> int:
        self.runs += 1
        return 2


class Sneaky:
    def __getattribute__(self, name: str) -> Any:
        raise RuntimeError("should not run")


class Watching(type):
    """A metaclass whose __getattribute__ would run on any lookup through the class."""

    looked_up: list[str] = []

    def __getattribute__(cls, name: str) -> Any:
        Watching.looked_up.append(name)
        return super().__getattribute__(name)


class Watched(metaclass=Watching):
    def __init__(self) -> None:
        self.value = 5


class Defaulting(dict[str, int]):
    def __missing__(self, key: str) -> int:
        raise RuntimeError("__missing__ ran")


def program(pause: Callable[[], None]) -> dict[str, Any]:
    count = 1
    items = [1, 2, 3]
    gadget = Gadget()
    sneaky = Sneaky()
    defaulting = Defaulting(a=1)
    watched = Watched()
    text = "x" * 3000
    acc: list[int] = []
    total = 0
    cell = 10

    def bump() -> int:
        nonlocal cell
        cell += 5
        return cell

    pause()
    return {
        "count": count,
        "items": items,
        "acc": acc,
        "total": total,
        "cell": cell,
        "bump": bump(),
        "runs": gadget.runs,
    }


# --- watch -----------------------------------------------------------------------------------------------


@pytest.mark.unit
def test_watch_returns_result_type_and_children() -> None:
    with Stop(program) as stop:
        body = stop.evaluate("count + 1")
        assert (body["result"], body["type"], body["variablesReference"]) == ("2", "int", 0)
        listed = stop.evaluate("items")
        assert listed["indexedVariables"] == 3 and listed["variablesReference"] > 0
        children = stop.variables(listed["variablesReference"], filter="indexed")
        assert [c["evaluateName"] for c in children] == ["items[0]", "items[1]", "items[2]"]
        summed = stop.evaluate("items + [4]")
        child = stop.variables(summed["variablesReference"], filter="indexed")[3]
        assert child["evaluateName"] == "(items + [4])[3]"
        assert stop.evaluate(child["evaluateName"])["result"] == "4"


@pytest.mark.unit
def test_watch_sees_locals_inside_generator_expressions_and_lambdas() -> None:
    with Stop(program) as stop:
        assert stop.evaluate("sum(x * count for x in items)")["result"] == "6"
        assert stop.evaluate("(lambda: count + 1)()")["result"] == "2"


@pytest.mark.unit
def test_errors_come_back_with_the_exception_text() -> None:
    with Stop(program) as stop:
        with pytest.raises(InspectError, match="^NameError: name 'q' is not defined"):
            stop.evaluate("q")
        with pytest.raises(InspectError, match="^ZeroDivisionError: division by zero$"):
            stop.evaluate("count / 0")
        with pytest.raises(InspectError, match="^SyntaxError: "):
            stop.evaluate("x = 5")  # a statement is not a watch expression
        with pytest.raises(InspectError, match="^no frame$"):
            stop.paused.call(stop.inspector.evaluate, {"expression": "1", "context": "repl"})
        with pytest.raises(InspectError, match="expression must be a string"):
            stop.paused.call(stop.inspector.evaluate, {"expression": 5, "frameId": stop.frame_id})
        with pytest.raises(InspectError, match="^SystemExit: 3$"):
            stop.evaluate("exit(3)", "repl")
        assert stop.paused.resume()["count"] == 1  # the program goes on untouched


@pytest.mark.unit
def test_clipboard_gives_the_whole_repr_and_hex_formats_ints() -> None:
    with Stop(program) as stop:
        assert stop.evaluate("text")["result"].endswith("...")
        whole = stop.evaluate("text", "clipboard")
        assert whole["result"] == repr("x" * 3000)
        assert stop.evaluate("items", format={"hex": True})["result"] == "[0x1, 0x2, 0x3]"
        assert stop.evaluate("255", "clipboard", format={"hex": True})["result"] == "0xff"


# --- repl ------------------------------------------------------------------------------------------------


@pytest.mark.unit
def test_repl_assignment_changes_the_paused_frame() -> None:
    with Stop(program) as stop:
        assert stop.evaluate("count = 5", "repl") == {"result": "", "variablesReference": 0}
        assert stop.evaluate("count", "repl")["result"] == "5"
        assert stop.locals()["count"]["value"] == "5"
        assert stop.paused.resume()["count"] == 5


@pytest.mark.unit
def test_repl_assignment_from_another_thread() -> None:
    with Stop(program) as stop:
        request = {"expression": "count = 6", "context": "repl", "frameId": stop.frame_id}
        stop.inspector.evaluate(request)
        assert stop.paused.resume()["count"] == 6


@pytest.mark.unit
def test_repl_statements_import_loop_and_define() -> None:
    with Stop(program) as stop:
        stop.evaluate("import os", "repl")
        assert stop.evaluate("os.sep", "repl")["result"] == repr(__import__("os").sep)
        stop.evaluate("for i in items:\n    acc.append(i * count)\n    total += i", "repl")
        stop.evaluate("def twice(v):\n    return v * 2", "repl")
        assert stop.evaluate("twice(total)", "repl")["result"] == "12"
        result = stop.paused.resume()
        assert result["acc"] == [1, 2, 3] and result["total"] == 6


@pytest.mark.unit
def test_repl_keeps_a_cell_changed_by_called_code() -> None:
    """3.12 writes back only the names the console changed, so bump()'s nonlocal write survives."""
    with Stop(program) as stop:
        stop.evaluate("total = bump()", "repl")
        result = stop.paused.resume()
        assert result["total"] == 15
        assert result["cell"] == 15 and result["bump"] == 20


@pytest.mark.unit
def test_repl_global_statement_rebinds_the_module_global(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(globals(), "COUNTER", 0)  # restored after the test
    with Stop(program) as stop:
        stop.evaluate("global COUNTER\nCOUNTER = count + 41", "repl")
        assert COUNTER == 42


@pytest.mark.unit
def test_repl_refuses_to_delete_a_function_local_but_deletes_module_names() -> None:
    with Stop(program) as stop:
        with pytest.raises(InspectError, match="cannot delete local variable 'count' of a paused function"):
            stop.evaluate("del count", "repl")
        stop.evaluate("scratch = 1", "repl")
        assert stop.paused.resume()["count"] == 1

    namespace: dict[str, Any] = {}
    with Stop(module_program("gone = 1\nkept = 2\npause()\n", namespace)) as stop:
        stop.evaluate("del gone", "repl")
        stop.evaluate("kept = 3", "repl")
        stop.paused.resume()
    assert "gone" not in namespace and namespace["kept"] == 3


@pytest.mark.unit
def test_repl_expression_result_is_expandable() -> None:
    with Stop(program) as stop:
        body = stop.evaluate("gadget.data", "repl")
        child = stop.named(body["variablesReference"])["'key'"]
        assert child["evaluateName"] == "gadget.data['key']"


# --- hover -----------------------------------------------------------------------------------------------


@pytest.mark.unit
def test_hover_reads_names_attributes_and_constant_subscripts() -> None:
    with Stop(program) as stop:
        assert stop.evaluate("count", "hover")["result"] == "1"
        assert stop.evaluate("gadget.data['key'][-1]", "hover")["result"] == "3"
        assert stop.evaluate("gadget.label", "hover")["result"] == repr("class label")
        assert stop.evaluate("items[0]", "hover")["result"] == "1"
        assert stop.evaluate("len", "hover")["result"] == "<built-in function len>"
        assert stop.evaluate("gadget.method", "hover")["result"].startswith("<bound method Gadget.method")
        assert stop.evaluate("Gadget.counted", "hover")["type"] == "property"
        assert stop.evaluate("defaulting['a']", "hover")["result"] == "1"


@pytest.mark.unit
def test_hover_runs_no_program_code() -> None:
    with Stop(program) as stop:
        declined = {
            "gadget.counted": "hover does not run property 'counted'",
            "gadget.loud": "hover does not run Gadget.Loud 'loud'",
            "gadget.bound": "hover does not run Gadget.Binding 'bound'",
            "gadget.method()": "hover evaluates names, attributes and constant subscripts only",
            "sneaky.anything": "hover does not run the custom __getattribute__ of Sneaky",
            "defaulting['missing']": "KeyError: 'missing'",
            "items[count]": "hover evaluates names, attributes and constant subscripts only",
            "undefined_name": "NameError: name 'undefined_name' is not defined",
            "gadget.absent": "AttributeError: 'Gadget' object has no attribute 'absent'",
        }
        for expression, message in declined.items():
            with pytest.raises(InspectError) as caught:
                stop.evaluate(expression, "hover")
            assert str(caught.value).startswith(message), expression
        assert stop.evaluate("gadget.runs", "hover")["result"] == "0"
        Watching.looked_up.clear()
        assert stop.evaluate("watched.value", "hover")["result"] == "5"
        watched = stop.evaluate("watched", "hover")
        assert watched["type"] == "Watched"
        assert stop.named(watched["variablesReference"])["value"]["value"] == "5"
        assert Watching.looked_up == []  # not even the metaclass's __getattribute__ ran
        assert stop.paused.resume()["runs"] == 0


# --- setExpression ----------------------------------------------------------------------------------------


@pytest.mark.unit
def test_set_expression_assigns_names_attributes_items_and_tuples() -> None:
    with Stop(program) as stop:
        body = stop.set_expression("count", "count + 10")
        assert (body["value"], body["type"]) == ("11", "int")
        stop.set_expression("gadget.runs", "100")
        stop.set_expression("items[0]", "'first'")
        stop.set_expression("items[1:3]", "[8, 9]")
        stop.set_expression("total, acc", "(7, [1])")
        with pytest.raises(InspectError, match="cannot assign to 'count \\+ 1'"):
            stop.set_expression("count + 1", "3")
        with pytest.raises(InspectError, match="^NameError"):
            stop.set_expression("nothing.attr", "3")
        result = stop.paused.resume()
        assert result["count"] == 11
        assert result["runs"] == 100
        assert result["items"] == ["first", 8, 9]
        assert (result["total"], result["acc"]) == (7, [1])


@pytest.mark.unit
def test_set_expression_on_a_global_from_a_function_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(globals(), "COUNTER", 0)
    with Stop(program) as stop:
        stop.set_expression("COUNTER", "count + 2")
        assert COUNTER == 3


@pytest.mark.unit
def test_repl_assignment_in_a_generator_frame() -> None:
    def generator(pause: Callable[[], None]) -> Any:
        value = 1
        pause()
        yield value

    def program(pause: Callable[[], None]) -> list[int]:
        return list(generator(pause))

    with Stop(program) as stop:
        assert stop.stack_trace(levels=1)["stackFrames"][0]["name"].endswith("generator")
        stop.evaluate("value = 2", "repl")
        assert stop.paused.resume() == [2]


# --- through the real adapter -------------------------------------------------------------------------------

COUNTER_PROGRAM = """
    class Counter:
        def __init__(self):
            self.calls = 0

        @property
        def value(self):
            self.calls += 1
            return self.calls

    def main():
        counter = Counter()
        limit = 1
        print("ready")  # stop here
        print("limit", limit, "calls", counter.calls)

    main()
"""


async def test_repl_assignment_through_the_adapter_changes_what_the_program_sees(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    program = make_program(COUNTER_PROGRAM)
    thread_id, top = await stop_at(client, program, "# stop here")
    assert (await client.evaluate("limit = 7", top["id"], context="repl"))["result"] == ""
    assert (await client.evaluate("limit * 6", top["id"], context="repl"))["result"] == "42"
    with pytest.raises(DapError, match="^NameError: name 'q' is not defined"):
        await client.evaluate("q", top["id"], context="watch")
    assert "limit 7 calls 0" in await finish(client, thread_id)


async def test_hover_through_the_adapter_never_runs_a_property(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    program = make_program(COUNTER_PROGRAM)
    thread_id, top = await stop_at(client, program, "# stop here")
    with pytest.raises(DapError, match="hover does not run property 'value'"):
        await client.evaluate("counter.value", top["id"], context="hover")
    assert (await client.evaluate("counter.calls", top["id"], context="hover"))["result"] == "0"
    counter = (await scope_variables(client, top["id"]))["counter"]
    listed = {v["name"]: v for v in await client.variables(counter["variablesReference"])}
    assert listed["value"]["presentationHint"]["lazy"] is True  # listed as a lazy property, not run
    assert "limit 1 calls 0" in await finish(client, thread_id)


async def test_set_expression_and_clipboard_through_the_adapter(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    assert client.capabilities["supportsSetExpression"] and client.capabilities["supportsClipboardContext"]
    program = make_program(COUNTER_PROGRAM)
    thread_id, top = await stop_at(client, program, "# stop here")
    body = await client.request("setExpression", {"expression": "limit", "value": "limit + 99", "frameId": top["id"]})
    assert (body["value"], body["type"]) == ("100", "int")
    await client.request("setExpression", {"expression": "counter.calls", "value": "-1", "frameId": top["id"]})
    whole = await client.evaluate("'y' * 1000", top["id"], context="clipboard")
    assert whole["result"] == repr("y" * 1000)
    assert "limit 100 calls -1" in await finish(client, thread_id)

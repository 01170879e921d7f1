"""Debug-console completions and hovers through the real adapter: names, attributes and dict keys, found without running the program's code."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from monadapter.client import DapClient, DapError

WAIT = 20.0

#: A paused function with a local, a dict, an object whose property, __getattr__ and __dir__ would count their
#: calls, and a class whose metaclass counts attribute reads; the program prints the calls when it ends.
PROGRAM = """
    CALLS = []

    class Meta(type):
        def __getattribute__(cls, name):
            CALLS.append("meta " + name)
            return type.__getattribute__(cls, name)

    class Shaped(metaclass=Meta):
        corner = 4

    class Gadget:
        kind = "gadget"

        def __init__(self):
            self.size = 3
            self.settings = {"colour": "red", "count": 2, "it's": 1, 7: "seven"}

        @property
        def counted(self):
            CALLS.append("property")
            raise RuntimeError("the property ran")

        def __getattr__(self, name):
            CALLS.append("getattr " + name)
            return 0

        def __dir__(self):
            CALLS.append("dir")
            return ["from_dir"]

        def method(self):
            return self.size

    def work():
        gadget = Gadget()
        shaped = Shaped()
        counter_local = 41
        table = {"alpha": 1, "alpine": 2, "beta": 3}
        return counter_local  # stop here

    work()
    print("calls:", CALLS)
"""


async def stop_in_work(client: DapClient, make_program: Callable[..., Path]) -> tuple[dict[str, Any], int]:
    """Launch PROGRAM, stop at the marked line, return (stopped event, id of the top frame)."""
    program = make_program(PROGRAM)
    line = next(n for n, text in enumerate(program.read_text().splitlines(), 1) if "# stop here" in text)
    stopped = await client.launch_and_stop(
        {program: [line]}, program=str(program), python=sys.executable, console="internalConsole"
    )
    frames = await client.stack_trace(stopped["body"]["threadId"])
    return stopped, frames[0]["id"]


async def complete(
    client: DapClient, frame_id: int | None, text: str, column: int | None = None
) -> list[dict[str, Any]]:
    arguments: dict[str, Any] = {"text": text, "column": len(text) + 1 if column is None else column}
    if frame_id is not None:
        arguments["frameId"] = frame_id
    body = await client.request("completions", arguments, timeout=WAIT)
    return body["targets"]


def labels(targets: list[dict[str, Any]]) -> list[str]:
    return [target["label"] for target in targets]


async def finish(client: DapClient, stopped: dict[str, Any]) -> str:
    """Run to the end and return the program's last line ("calls: [...]")."""
    await client.continue_(stopped["body"]["threadId"])
    await client.wait_for_event("exited", timeout=WAIT)
    output = await client.wait_for_output("calls:", timeout=WAIT)
    return output[output.index("calls:") :].splitlines()[0]


async def test_capabilities_announce_completions_modules_and_loaded_sources(adapter: Any) -> None:
    async with DapClient.connect(adapter.host, adapter.port) as client:
        capabilities = await client.initialize()
    assert capabilities["supportsCompletionsRequest"] is True
    assert capabilities["completionTriggerCharacters"] == [".", "["]
    assert capabilities["supportsModulesRequest"] is True
    assert capabilities["supportsLoadedSourcesRequest"] is True


async def test_locals_globals_builtins_and_keywords(client: DapClient, make_program: Callable[..., Path]) -> None:
    stopped, frame_id = await stop_in_work(client, make_program)
    targets = await complete(client, frame_id, "x = counter_l")
    assert targets == [{"label": "counter_local", "type": "variable", "start": 5, "length": 9}]
    assert labels(await complete(client, frame_id, "Gad")) == ["Gadget"]
    assert (await complete(client, frame_id, "Gad"))[0]["type"] == "class"
    by_label = {target["label"]: target["type"] for target in await complete(client, frame_id, "wh")}
    assert by_label == {"while": "keyword"}
    assert {"print": "function", "property": "class"}.items() <= {
        target["label"]: target["type"] for target in await complete(client, frame_id, "pr")
    }.items()
    # the cursor in the middle of the text: only the word before it counts
    assert labels(await complete(client, frame_id, "tab + 1", column=4)) == ["table"]
    assert await finish(client, stopped) == "calls: []"


async def test_attributes_come_from_dicts_without_running_properties_getattr_or_dir(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    stopped, frame_id = await stop_in_work(client, make_program)
    targets = {target["label"]: target for target in await complete(client, frame_id, "gadget.")}
    assert {"counted", "kind", "method", "settings", "size"} <= targets.keys()
    assert "from_dir" not in targets  # __dir__ is not consulted
    assert not any(label.startswith("_") for label in targets)
    assert targets["counted"]["type"] == "property"
    assert targets["method"]["type"] == "method"
    assert targets["size"]["type"] == "field"
    assert "start" not in targets["size"]  # nothing typed after the dot: the label is inserted at the cursor
    assert await complete(client, frame_id, "gadget.cou") == [
        {"label": "counted", "type": "property", "start": 8, "length": 3}
    ]
    assert "__init__" in labels(await complete(client, frame_id, "gadget.__"))
    assert labels(await complete(client, frame_id, "gadget.nothing_like_it")) == []  # __getattr__ not asked
    assert "method" in labels(await complete(client, frame_id, "Gadget.m"))
    # a metaclass's __getattribute__ is not run to list a class's or an instance's attributes
    assert "corner" in labels(await complete(client, frame_id, "Shaped.co"))
    assert "corner" in labels(await complete(client, frame_id, "shaped.co"))
    # a chain through a property is declined (reading it would run it): no items, no error
    assert await complete(client, frame_id, "gadget.counted.") == []
    assert await finish(client, stopped) == "calls: []"


async def test_dict_keys_after_an_open_bracket(client: DapClient, make_program: Callable[..., Path]) -> None:
    stopped, frame_id = await stop_in_work(client, make_program)
    assert labels(await complete(client, frame_id, "table[")) == ["'alpha'", "'alpine'", "'beta'"]
    assert await complete(client, frame_id, "table['alp") == [
        {"label": "'alpha'", "type": "value", "start": 7, "length": 4},
        {"label": "'alpine'", "type": "value", "start": 7, "length": 4},
    ]
    assert labels(await complete(client, frame_id, 'table["b')) == ['"beta"']
    keys = labels(await complete(client, frame_id, "gadget.settings["))
    assert keys == ['"it\'s"', "'colour'", "'count'", "7"]
    assert labels(await complete(client, frame_id, 'gadget.settings["it')) == ['"it\'s"']
    assert labels(await complete(client, frame_id, "gadget.settings['it")) == ["'it\\'s'"]
    assert await finish(client, stopped) == "calls: []"


async def test_positions_are_utf16_and_lines_count(client: DapClient, make_program: Callable[..., Path]) -> None:
    stopped, frame_id = await stop_in_work(client, make_program)
    text = "first = 1\n𝒳 = counter_lo"  # 𝒳 takes two UTF-16 code units
    body = await client.request("completions", {"frameId": frame_id, "text": text, "line": 2, "column": 17})
    assert body["targets"] == [{"label": "counter_local", "type": "variable", "start": 6, "length": 10}]
    assert await finish(client, stopped) == "calls: []"


async def test_without_a_frame_the_global_scope_completes(client: DapClient, make_program: Callable[..., Path]) -> None:
    stopped, _frame_id = await stop_in_work(client, make_program)
    targets = await complete(client, None, "Gad")
    assert targets == [{"label": "Gadget", "type": "class", "start": 1, "length": 3}]
    assert await complete(client, None, "counter_l") == []  # a local of work(): not in the global scope
    assert await finish(client, stopped) == "calls: []"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"text": "x", "column": 2, "frameId": 999_999}, "needs a paused thread"),
        ({"text": 5, "column": 1}, "text: input should be a valid string"),
    ],
)
async def test_bad_arguments_fail_and_the_session_goes_on(
    client: DapClient, make_program: Callable[..., Path], arguments: dict[str, Any], message: str
) -> None:
    stopped, frame_id = await stop_in_work(client, make_program)
    with pytest.raises(DapError) as failure:
        await client.request("completions", arguments, timeout=WAIT)
    assert message in str(failure.value)
    assert labels(await complete(client, frame_id, "counter_l")) == ["counter_local"]
    assert await finish(client, stopped) == "calls: []"


async def test_hover_on_a_property_does_not_run_it(client: DapClient, make_program: Callable[..., Path]) -> None:
    stopped, frame_id = await stop_in_work(client, make_program)
    with pytest.raises(DapError) as failure:
        await client.evaluate("gadget.counted", frame_id, context="hover")
    assert "property" in str(failure.value)
    assert (await client.evaluate("gadget.size", frame_id, context="hover"))["result"] == "3"
    assert (await client.evaluate("table['beta']", frame_id, context="hover"))["result"] == "3"
    assert await finish(client, stopped) == "calls: []"

"""Data breakpoints ("break when this value changes"): a local, a global and an attribute, found through
the Variables view (variablesReference + name) or a watch expression's name (frameId + expression);
each stops on the line after the one that changed it, reason "data breakpoint", old and new value in
the description, the changing frame on top; conditions and hit conditions as for line breakpoints; a
local's watch ends with its frame."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine_helpers import launch_arguments, line_of, session, top_frame, write_program
from inspection_helpers import finish

from monadapter.client import DapClient

PROGRAM = """
    class Point:
        def __init__(self):
            self.x = 0
            self.y = 0

    total = 0

    def bump(amount):
        global total
        total += amount  # bump's change

    def move(point, steps):
        for step in range(steps):
            point.x += 1  # move's change
            point.y = point.y  # no change

    def loop():
        point = Point()
        count = 0
        other = 0  # stop here
        for i in range(5):
            other = i
            count += 2  # count's change
            bump(1)
        move(point, 3)
        return count

    def after():
        print("after", total)

    loop()
    after()
    print("done", total)
"""


async def _variables(client: DapClient, frame_id: int, scope: str) -> int:
    scopes = {entry["name"]: entry for entry in await client.scopes(frame_id)}
    return int(scopes[scope]["variablesReference"])


async def _watch(client: DapClient, arguments: dict[str, Any], **spec: Any) -> dict[str, Any]:
    """dataBreakpointInfo, then setDataBreakpoints with that one dataId; returns the info."""
    info = await client.request("dataBreakpointInfo", arguments)
    assert info["dataId"], info
    assert info["accessTypes"] == ["write"]
    answer = await client.request("setDataBreakpoints", {"breakpoints": [{"dataId": info["dataId"], **spec}]})
    assert answer["breakpoints"][0]["verified"] is True, answer
    return info


async def _stopped_at_marker(client: DapClient, program: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    stopped = await client.launch_and_stop(
        {str(program): [line_of(program, "# stop here")]}, **launch_arguments(program)
    )
    await client.set_breakpoints(str(program), [])
    return stopped, await top_frame(client, stopped)


async def _data_stop(client: DapClient, stopped: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Continue to the next stop, which must be a data breakpoint's; returns it and its top frame."""
    await client.continue_(stopped["body"]["threadId"])
    event = await client.wait_for_event("stopped")
    assert event["body"]["reason"] == "data breakpoint", event
    assert event["body"]["text"] == event["body"]["description"]
    return event, await top_frame(client, event)


async def test_a_local_in_a_loop_stops_after_each_change_and_its_watch_ends_with_the_frame(tmp_path: Path) -> None:
    program = write_program(tmp_path, PROGRAM)
    async with session() as client:
        stopped, frame = await _stopped_at_marker(client, program)
        await _watch(client, {"variablesReference": await _variables(client, frame["id"], "Locals"), "name": "count"})
        changed = line_of(program, "# count's change")
        for old, new in ((0, 2), (2, 4), (4, 6)):
            stopped, frame = await _data_stop(client, stopped)
            assert stopped["body"]["description"] == f"count (local of loop) changed from {old} to {new}"
            assert (frame["name"], frame["line"]) == ("loop", changed + 1)
        # the end of the frame ends the watch: a breakpoint event says so, and no more stops
        # set again through the watch expression's name (frameId + name)
        await client.request("setDataBreakpoints", {"breakpoints": []})
        await _watch(client, {"frameId": frame["id"], "name": "count"})
        await client.continue_(stopped["body"]["threadId"])
        event = await client.wait_for_event("stopped")
        assert event["body"]["description"].endswith("changed from 6 to 8")
        await client.continue_(event["body"]["threadId"])
        event = await client.wait_for_event("stopped")
        assert event["body"]["description"].endswith("changed from 8 to 10")
        output = await finish(client, event["body"]["threadId"])
        gone = await client.wait_for_event("breakpoint", lambda event: not event["body"]["breakpoint"]["verified"])
        assert gone["body"]["reason"] == "changed"
        assert (
            gone["body"]["breakpoint"]["message"]
            == "count (local of loop) is gone: its frame ended (the watch ended with it)"
        )
        assert output == "after 5\ndone 5\n"


async def test_a_global_stops_in_the_function_that_changed_it_with_a_hit_condition(tmp_path: Path) -> None:
    program = write_program(tmp_path, PROGRAM)
    async with session() as client:
        stopped, frame = await _stopped_at_marker(client, program)
        info = await _watch(
            client,
            {"variablesReference": await _variables(client, frame["id"], "Globals"), "name": "total"},
            hitCondition="% 2",
        )
        assert info["description"] == "total (global of __main__)"
        # the change is bump's last line: it stops as bump returns, bump on top (changes 2 and 4)
        for old, new in ((1, 2), (3, 4)):
            stopped, frame = await _data_stop(client, stopped)
            assert stopped["body"]["description"] == f"total (global of __main__) changed from {old} to {new}"
            assert (frame["name"], frame["line"]) == ("bump", line_of(program, "# bump's change"))
        assert await finish(client, stopped["body"]["threadId"]) == "after 5\ndone 5\n"


async def test_an_attribute_through_a_watch_expression_with_a_condition(tmp_path: Path) -> None:
    program = write_program(tmp_path, PROGRAM)
    async with session() as client:
        stopped, frame = await _stopped_at_marker(client, program)
        # point.y is assigned its own value: no change, no stop; point.x stops where condition holds
        y = await client.request("dataBreakpointInfo", {"frameId": frame["id"], "name": "point.y"})
        x = await client.request("dataBreakpointInfo", {"frameId": frame["id"], "name": "point.x"})
        assert (x["description"], y["description"]) == ("point.x", "point.y")
        specs = [
            {"dataId": y["dataId"]},
            {"dataId": x["dataId"], "condition": "point.x >= 2"},
            {"dataId": x["dataId"], "accessType": "read"},
        ]
        answer = await client.request("setDataBreakpoints", {"breakpoints": specs})
        assert [entry["verified"] for entry in answer["breakpoints"]] == [True, True, False]
        assert "'write'" in answer["breakpoints"][2]["message"]
        stopped, frame = await _data_stop(client, stopped)
        assert stopped["body"]["description"] == "point.x changed from 1 to 2"
        assert (frame["name"], frame["line"]) == ("move", line_of(program, "# move's change") + 1)
        assert (await client.evaluate("step", frame["id"], context="watch"))["result"] == "1"
        stopped, frame = await _data_stop(client, stopped)
        assert stopped["body"]["description"] == "point.x changed from 2 to 3"
        assert await finish(client, stopped["body"]["threadId"]) == "after 5\ndone 5\n"


async def test_what_cannot_be_watched_says_why(tmp_path: Path) -> None:
    program = write_program(
        tmp_path,
        """
        class Thing:
            @property
            def size(self):
                return 1
        thing, items = Thing(), [1, 2]
        print(thing, items)  # stop here
        """,
    )
    async with session() as client:
        stopped, frame = await _stopped_at_marker(client, program)
        for name, why in (
            ("thing.size", "computed by code"),
            ("items[0]", "only a variable"),
            ("nothing", "not a global"),
        ):
            info = await client.request("dataBreakpointInfo", {"frameId": frame["id"], "name": name})
            assert info["dataId"] is None and why in info["description"], (name, info)
        answer = await client.request("setDataBreakpoints", {"breakpoints": [{"dataId": "nope"}]})
        assert answer["breakpoints"][0]["verified"] is False and "unknown dataId" in answer["breakpoints"][0]["message"]
        await finish(client, stopped["body"]["threadId"])


async def test_a_local_watch_ends_when_an_exception_unwinds_its_frame(tmp_path: Path) -> None:
    program = write_program(
        tmp_path,
        """
        def failing():
            value = 1
            value = 2  # stop here
            raise ValueError("out")

        try:
            failing()
        except ValueError:
            print("caught")
        """,
    )
    async with session() as client:
        stopped, frame = await _stopped_at_marker(client, program)
        await _watch(client, {"frameId": frame["id"], "name": "value"})
        stopped, frame = await _data_stop(client, stopped)
        assert stopped["body"]["description"] == "value (local of failing) changed from 1 to 2"
        assert frame["line"] == line_of(program, "raise ValueError")
        assert await finish(client, stopped["body"]["threadId"]) == "caught\n"
        gone = await client.wait_for_event("breakpoint", lambda event: not event["body"]["breakpoint"]["verified"])
        assert "its frame ended" in gone["body"]["breakpoint"]["message"]


async def test_a_local_of_a_generator_abandoned_unfinished_is_never_read_again(tmp_path: Path) -> None:
    """A generator dropped at a ``yield`` outside any ``try`` is closed without running (no event ends
    its frame) and freed: its frame object, which the watch holds, then points into freed memory on
    3.13.0-3.13.4 (cpython#125723), and each later line of the watched code read it (garbage, a
    crash of the program). The watch holds the generator weakly and stops reading once it is gone."""
    program = write_program(
        tmp_path,
        """
        def counter(n):
            count = 0
            yield count  # stop here
            for i in range(n):
                yield count

        def run():
            kept = []
            for round in range(300):
                generator = counter(2)
                next(generator)
                del generator  # abandoned unfinished: closed without an event, freed
                kept.append([round] * (round % 7))  # the freed memory is used again
                for value in counter(2):
                    pass
            print("done", len(kept))

        run()
        """,
    )
    async with session() as client:
        stopped, frame = await _stopped_at_marker(client, program)
        await _watch(client, {"frameId": frame["id"], "name": "count"})
        # no stop (nothing changed), no crash: the program ends as without the watch
        assert await finish(client, stopped["body"]["threadId"]) == "done 300\n"
        assert int((await client.wait_for_event("exited"))["body"]["exitCode"]) == 0

"""stackTrace answered by the Inspector on real paused frames, and the Handles registry behind frame ids."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import pytest
from engine_helpers import run_to_exit
from inspection_helpers import PausedThread, Stop, make_inspector, stop_at, thread_frames

from monadapter.agent import formatting
from monadapter.agent.handles import Handles, InspectError
from monadapter.client import DapClient, DapError


def nested(pause: Callable[[], None]) -> None:
    def level3(a: int, b: str = "x", *rest: int, **named: int) -> None:
        pause()

    def level2() -> None:
        level3(1, "bee", 7, k=2)

    class Holder:
        def level1(self) -> None:
            level2()

    Holder().level1()


@pytest.mark.unit
def test_frames_innermost_first_with_qualified_names_sources_and_lines() -> None:
    with Stop(nested) as stop:
        body = stop.stack_trace()
        frames = body["stackFrames"]
        names = [frame["name"] for frame in frames]
        assert names[:4] == [
            "nested.<locals>.level3",
            "nested.<locals>.level2",
            "nested.<locals>.Holder.level1",
            "nested",
        ]
        assert body["totalFrames"] == len(frames) == len(thread_frames(stop.frame))
        expected_lines = [line for _, line in thread_frames(stop.frame)]
        assert [frame["line"] for frame in frames] == expected_lines
        assert all(frame["column"] == 1 for frame in frames)
        assert frames[0]["source"] == {"path": __file__}
        ids = [frame["id"] for frame in frames]
        assert len(set(ids)) == len(ids) and all(isinstance(i, int) and i > 0 for i in ids)
        assert all(stop.inspector.handles.thread_of(i) == stop.paused.ident for i in ids)


@pytest.mark.unit
def test_paging_covers_the_stack_with_stable_ids() -> None:
    with Stop(nested) as stop:
        full = stop.stack_trace()["stackFrames"]
        first = stop.stack_trace(startFrame=0, levels=1)
        rest = stop.stack_trace(startFrame=1, levels=20)
        assert first["totalFrames"] == rest["totalFrames"] == len(full)
        assert first["stackFrames"] + rest["stackFrames"] == full  # same frames, same ids
        middle = stop.stack_trace(startFrame=2, levels=2)["stackFrames"]
        assert middle == full[2:4]
        assert stop.stack_trace(startFrame=len(full) + 5)["stackFrames"] == []


@pytest.mark.unit
def test_frames_of_monadapter_code_are_never_shown() -> None:
    """A __repr__ called by formatting.display captures a stack with monadapter frames in the middle."""
    captured: list[list[tuple[FrameType, int]]] = []

    class Spy:
        def __repr__(self) -> str:
            captured.append(thread_frames(sys._getframe()))
            return "spy"

    def program(pause: Callable[[], None]) -> None:
        formatting.display([Spy()])
        pause()

    with Stop(program) as stop:
        frames = captured[0]
        own = [f for f, _ in frames if f.f_code.co_filename == formatting.__file__]
        assert own, "the captured stack should run through formatting.py"
        body = stop.paused.call(stop.inspector.stack_trace, stop.paused.ident, frames, {})
        names = [frame["name"] for frame in body["stackFrames"]]
        prefix = "test_frames_of_monadapter_code_are_never_shown.<locals>."
        assert names[:2] == [prefix + "Spy.__repr__", prefix + "program"]
        assert body["totalFrames"] == len(frames) - len(own)
        assert not any("formatting" in frame["source"]["path"] for frame in body["stackFrames"])


@pytest.mark.unit
def test_format_options_decorate_frame_names() -> None:
    with Stop(nested) as stop:
        top = stop.stack_trace(levels=1, format={"parameters": True, "line": True})["stackFrames"][0]
        line = thread_frames(stop.frame)[0][1]
        assert top["name"] == f"nested.<locals>.level3(a=1, b='bee', rest=(7,), named={{'k': 2}}) Line: {line}"
        typed = stop.stack_trace(levels=1, format={"parameterTypes": True, "parameterNames": True})["stackFrames"][0]
        assert typed["name"] == "nested.<locals>.level3(int a, str b, tuple rest, dict named)"
        values = stop.stack_trace(levels=1, format={"parameterValues": True, "module": True})["stackFrames"][0]
        assert values["name"] == f"{__name__}!nested.<locals>.level3(1, 'bee', (7,), {{'k': 2}})"


@pytest.mark.unit
def test_bad_paging_arguments_are_refused() -> None:
    with Stop(nested) as stop:
        with pytest.raises(InspectError, match="startFrame must be a non-negative integer"):
            stop.stack_trace(startFrame=-1)
        with pytest.raises(InspectError, match="levels must be a non-negative integer"):
            stop.stack_trace(levels="3")


# --- Handles ----------------------------------------------------------------------------------------------


@pytest.mark.unit
def test_handles_owner_lookup_and_clearing_per_thread() -> None:
    handles = Handles()
    frame = sys._getframe()
    a = handles.add_frame(1, frame)
    b = handles.add(1, "value")
    c = handles.add(2, "other")
    assert handles.add_frame(1, frame) == a  # same frame, same id during the stop
    assert handles.add_frame(2, frame) != a  # but per thread
    assert (handles.thread_of(a), handles.thread_of(b), handles.thread_of(c)) == (1, 1, 2)
    assert handles.get(b) == "value"
    handles.clear_thread(1)
    assert handles.thread_of(a) is None and handles.thread_of(b) is None
    assert handles.get(c) == "other"
    with pytest.raises(InspectError, match=f"unknown variablesReference {b}: ids are valid only while"):
        handles.get(b)
    handles.clear()
    assert handles.thread_of(c) is None
    assert handles.add(1, "again") > c  # never reused: a late request cannot reach a new object
    assert handles.thread_of("1") is None  # type: ignore[arg-type]
    with pytest.raises(InspectError, match="frameId must be an integer"):
        handles.get("1", what="frameId")


@pytest.mark.unit
def test_handles_give_unique_ids_across_threads() -> None:
    handles = Handles()
    results: list[list[int]] = []
    start = threading.Barrier(4)

    def add_many(thread_id: int) -> None:
        start.wait(timeout=10)
        results.append([handles.add(thread_id, object()) for _ in range(2000)])

    threads = [threading.Thread(target=add_many, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    ids = [i for chunk in results for i in chunk]
    assert len(ids) == 8000 and len(set(ids)) == 8000 and min(ids) == 1


@pytest.mark.unit
def test_ids_of_a_resumed_thread_are_refused_by_every_request() -> None:
    inspector = make_inspector()
    paused = PausedThread(nested)
    body = paused.call(inspector.stack_trace, paused.ident, thread_frames(paused.frame), {})
    frame_id = body["stackFrames"][0]["id"]
    scopes = paused.call(lambda: inspector.scopes({"frameId": frame_id}))["scopes"]
    inspector.handles.clear_thread(paused.ident)
    paused.resume()
    with pytest.raises(InspectError, match="unknown frameId"):
        inspector.scopes({"frameId": frame_id})
    with pytest.raises(InspectError, match="unknown variablesReference"):
        inspector.variables({"variablesReference": scopes[0]["variablesReference"]})
    with pytest.raises(InspectError, match="unknown frameId"):
        inspector.evaluate({"expression": "1", "frameId": frame_id})


# --- through the real adapter -------------------------------------------------------------------------------


async def test_stack_trace_paging_through_the_adapter(client: DapClient, make_program: Callable[..., Path]) -> None:
    program = make_program(
        """
        def dive(depth):
            if depth:
                return dive(depth - 1)
            return "bottom"  # stop here

        dive(5)
        print("done")
        """
    )
    thread_id, top = await stop_at(client, program, "# stop here")
    assert (top["name"], top["line"], top["source"]["path"]) == ("dive", 4, str(program))
    full = await client.request("stackTrace", {"threadId": thread_id})
    names = [frame["name"] for frame in full["stackFrames"]]
    assert names == ["dive"] * 6 + ["<module>"]  # no launcher or runner frames
    assert full["totalFrames"] == 7
    assert [frame["line"] for frame in full["stackFrames"]] == [4, 3, 3, 3, 3, 3, 6]
    first = await client.request("stackTrace", {"threadId": thread_id, "startFrame": 0, "levels": 1})
    assert first["totalFrames"] == 7 and first["stackFrames"] == full["stackFrames"][:1]
    rest = await client.request("stackTrace", {"threadId": thread_id, "startFrame": 1, "levels": 20})
    assert rest["stackFrames"] == full["stackFrames"][1:]
    with pytest.raises(DapError):
        await client.request("scopes", {"frameId": 10_000})
    assert await run_to_exit(client, {"body": {"threadId": thread_id}}) == 0
    assert "done" in client.output("stdout")

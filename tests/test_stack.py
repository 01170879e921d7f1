"""stackTrace answered by the StackReader on real paused frames, and the Handles registry behind frame ids."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import pytest
from engine_helpers import launch_arguments, line_of, run_to_exit
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
        body = stop.paused.call(stop.inspector.stack.stack_trace, stop.paused.ident, frames, {})
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
    stack = inspector.stack
    paused = PausedThread(nested)
    body = paused.call(stack.stack_trace, paused.ident, thread_frames(paused.frame), {})
    frame_id = body["stackFrames"][0]["id"]
    scopes = paused.call(lambda: stack.scopes({"frameId": frame_id}))["scopes"]
    inspector.handles.clear_thread(paused.ident)
    paused.resume()
    with pytest.raises(InspectError, match="unknown frameId"):
        stack.scopes({"frameId": frame_id})
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


# --- where stackTrace is answered (agent/paused.py, PausedRequests.stack_trace_here) ---------------------


async def test_frame_names_that_read_globals_are_made_on_the_paused_thread(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    """A stackTrace whose names read values (``format``) runs on the paused thread, as the program's
    code it may run expects (here a ``dict`` subclass's ``get`` on the module's globals); one that
    reads nothing of the program's is answered without it and reads no global."""
    helper = make_program(
        """
        def work():
            return 1  # stop here
        """,
        name="helper.py",
    )
    program = make_program(
        f"""
        import threading

        readers = []

        class Globals(dict):
            def get(self, key, default=None):
                readers.append(threading.get_ident())
                return dict.get(self, key, default)

        namespace = Globals(__name__="made")
        exec(compile(open({str(helper)!r}).read(), {str(helper)!r}, "exec"), namespace)
        namespace["work"]()
        print("readers", set(readers) == {{threading.get_ident()}}, len(readers))
        """
    )
    stopped = await client.launch_and_stop({helper: [line_of(helper, "# stop here")]}, **launch_arguments(program))
    thread_id = stopped["body"]["threadId"]
    named = await client.request("stackTrace", {"threadId": thread_id, "format": {"module": True}})
    assert named["stackFrames"][0]["name"] == "made!work"
    plain = await client.request("stackTrace", {"threadId": thread_id})
    assert plain["stackFrames"][0]["name"] == "work"
    assert await run_to_exit(client, {"body": {"threadId": thread_id}}) == 0
    assert "readers True 1" in client.output("stdout")  # one get, on the program's own thread


async def test_a_stack_trace_waits_for_the_request_its_thread_is_running(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    """A paused thread busy with a request (an evaluate that waits here) answers the stackTrace sent
    after it once that request is answered, as before: its frames may be changing meanwhile."""
    go = tmp_path / "go"
    program = make_program(
        f"""
        import os, time

        def hold():  # the test's signal: the file appears (bounded by evaluateTimeout)
            while not os.path.exists({str(go)!r}):
                time.sleep(0.01)
            return "held"

        x = 1  # stop here
        """
    )
    thread_id, top = await stop_at(client, program, "# stop here")
    evaluating = await client.send_request("evaluate", {"expression": "hold()", "frameId": top["id"]})
    tracing = await client.send_request("stackTrace", {"threadId": thread_id})
    await client.request("threads")  # answered on the I/O thread after it handled the stackTrace
    assert tracing.seq not in client.answer_order and evaluating.seq not in client.answer_order
    go.touch()
    assert (await evaluating)["result"] == "'held'"
    assert (await tracing)["stackFrames"][0]["line"] == top["line"]
    assert client.answer_order.index(evaluating.seq) < client.answer_order.index(tracing.seq)
    assert await run_to_exit(client, {"body": {"threadId": thread_id}}) == 0


async def test_a_stack_trace_sent_right_after_a_continue_gets_a_clear_answer(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    """continue and stackTrace pipelined: the stackTrace shows the next stop (the thread parked again)
    or fails saying the thread is not paused; never a stack of a thread that runs, never a crash."""
    program = make_program(
        """
        total = 0
        for i in range(40):
            total += i  # stop here
        print("total", total)
        """
    )
    thread_id, top = await stop_at(client, program, "# stop here")
    outcomes = set()
    for _ in range(30):
        resumed = await client.send_request("continue", {"threadId": thread_id})
        tracing = await client.send_request("stackTrace", {"threadId": thread_id})
        await resumed
        try:
            frames = (await tracing)["stackFrames"]
        except DapError as exc:
            assert "not paused" in str(exc)
            outcomes.add("not paused")
        else:
            assert [(frame["name"], frame["line"]) for frame in frames] == [("<module>", top["line"])]
            outcomes.add("stopped again")
        await client.wait_for_event("stopped")
    assert outcomes  # which ones depends on the scheduler
    await client.set_breakpoints(program, [])
    assert await run_to_exit(client, {"body": {"threadId": thread_id}}) == 0
    assert "total 780" in client.output("stdout")

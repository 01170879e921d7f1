"""Attaching to running programs: the in-program API, tokens, one client at a time, output, pathMappings.

Every program here is a real process that keeps running while clients come and go; the clients
talk to a real adapter (the ``adapter``/``client`` fixtures).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from attach_helpers import WORK_LINE, RunningProgram, attach_and_stop, connect_to
from conftest import AdapterAddress

from monadapter.client import DapClient, DapError

TOKEN = "a-test-token"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[RunningProgram]:
    """A program that called ``monadapter.listen(0, access_token=TOKEN)`` and runs until told to stop."""
    program = RunningProgram.api(tmp_path, access_token=TOKEN)
    yield program
    program.kill()


async def test_importing_monadapter_imports_only_the_standard_library() -> None:
    code = (
        "import sys, monadapter; monadapter.listen, monadapter.breakpoint; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'anyio', 'sniffio')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert (result.returncode, result.stdout, result.stderr) == (0, "[]\n", "")


async def test_the_api_program_runs_on_after_a_detach_and_accepts_a_second_attach(
    adapter: AdapterAddress, served: RunningProgram
) -> None:
    for _ in range(2):
        async with DapClient.connect(adapter.host, adapter.port) as client:
            await client.initialize()
            stopped = await attach_and_stop(client, served.path, WORK_LINE, **connect_to(served.port, TOKEN))
            assert stopped["body"]["reason"] == "breakpoint"
            frames = await client.stack_trace(stopped["body"]["threadId"])
            assert [frame["name"] for frame in frames] == ["work", "<module>"]
            assert frames[0]["source"]["path"] == str(served.path) and frames[0]["line"] == WORK_LINE
            process = (await client.wait_for_event("process"))["body"]
            assert process["systemProcessId"] == served.process.pid and process["startMethod"] == "attach"
            await client.disconnect()  # detaches: the program runs on, its breakpoint gone
    assert served.finish() == 0
    assert served.stdout[-1] == "done\n" and served.stderr == []


async def a_new_client_attaches_and_stops(adapter: AdapterAddress, served: RunningProgram) -> None:
    """The program still serves clients: a new one attaches, stops at WORK_LINE and detaches."""
    async with DapClient.connect(adapter.host, adapter.port) as client:
        await client.initialize()
        stopped = await attach_and_stop(client, served.path, WORK_LINE, **connect_to(served.port, TOKEN))
        assert stopped["body"]["reason"] == "breakpoint"
        await client.disconnect()


@pytest.mark.parametrize("when", ["while connecting", "after configurationDone"])
async def test_a_disconnect_sent_before_the_attach_answer_leaves_no_request_unanswered(
    adapter: AdapterAddress, served: RunningProgram, when: str
) -> None:
    """DAP: every request gets exactly one response. A client that sends ``disconnect`` without
    waiting for ``attach``'s answer (which comes only after configurationDone) used to see the
    connection closed with attach unanswered (seen on 3.14 in CI). Now attach is answered before
    the disconnect: successfully when configurationDone was answered first, else with an error that
    says it was cancelled; and the program runs on (a later client attaches and stops in it)."""
    for _ in range(4):
        async with DapClient.connect(adapter.host, adapter.port) as client:
            await client.initialize()
            attached = await client.send_request("attach", connect_to(served.port, TOKEN))
            if when == "after configurationDone":
                await client.wait_for_event("initialized")
                await client.send_request("configurationDone")
            detached = await client.send_request("disconnect", {})
            assert (await client.response(detached.seq))["success"] is True
            attach = await client.response(attached.seq)
            order = client.answer_order
            assert order.index(attached.seq) < order.index(detached.seq), order
            cancelled = (False, "cancelled", "attach cancelled: the client disconnected before it was answered")
            outcome = (attach["success"], attach.get("message"), attach.get("body", {}).get("error", {}).get("format"))
            if when == "while connecting":
                assert outcome == cancelled
            else:
                assert attach["success"] or outcome == cancelled, attach
    await a_new_client_attaches_and_stops(adapter, served)
    assert served.finish() == 0
    assert served.stdout[-1] == "done\n" and served.stderr == []


async def test_a_second_client_is_refused_while_one_is_attached(
    adapter: AdapterAddress, client: DapClient, served: RunningProgram
) -> None:
    await attach_and_stop(client, served.path, WORK_LINE, **connect_to(served.port, TOKEN))
    async with DapClient.connect(adapter.host, adapter.port) as second:
        await second.initialize()
        with pytest.raises(DapError, match="another client is already attached to this program"):
            await second.attach(**connect_to(served.port, TOKEN))
    await client.disconnect()
    assert served.finish() == 0


async def test_a_client_that_vanishes_while_threads_are_paused_lets_the_program_run_on(
    adapter: AdapterAddress, served: RunningProgram
) -> None:
    async with DapClient.connect(adapter.host, adapter.port) as client:
        await client.initialize()
        await attach_and_stop(client, served.path, WORK_LINE, **connect_to(served.port, TOKEN))
        # leaves without a disconnect request: the connection just closes
    await a_new_client_attaches_and_stops(adapter, served)
    assert served.finish() == 0


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("not-the-token", "did not accept the access token"),
        (None, "requires an access token: give it as accessToken"),
    ],
    ids=["wrong", "missing"],
)
async def test_a_wrong_or_missing_access_token_is_refused(
    client: DapClient, served: RunningProgram, token: str | None, message: str
) -> None:
    with pytest.raises(DapError, match=message):
        await client.attach(**connect_to(served.port, token))
    await client.disconnect()
    assert served.finish() == 0


async def test_a_program_listening_without_a_token_needs_the_explicit_flag_and_warns(
    client: DapClient, tmp_path: Path
) -> None:
    program = RunningProgram.api(tmp_path, allow_unauthenticated=True)
    try:
        assert program.wait_for_line("stderr", "monadapter: WARNING: listening on 127.0.0.1:")
        stopped = await attach_and_stop(client, program.path, WORK_LINE, **connect_to(program.port))
        assert stopped["body"]["reason"] == "breakpoint"
        await client.disconnect()
        assert program.finish() == 0
    finally:
        program.kill()


async def test_output_after_the_attach_reaches_the_client_and_the_programs_own_stdout(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    path = make_program(
        f"""
        import os, sys, time, monadapter
        monadapter.listen(0, access_token={TOKEN!r})
        monadapter.wait_for_client()
        print("after attach", flush=True)
        print("to stderr", file=sys.stderr, flush=True)
        while not os.path.exists("STOP"):
            time.sleep(0.005)
        """
    )
    program = RunningProgram([sys.executable, "-c", _print_port_then_run(path)], cwd=tmp_path)
    try:
        port = int(program.wait_for_line("stdout", "PORT").split()[1])
        await client.configuration_sequence(request="attach", **connect_to(port, TOKEN))
        assert await client.wait_for_output("after attach\n", category="stdout")
        assert await client.wait_for_output("to stderr\n", category="stderr")
        assert program.wait_for_line("stdout", "after attach")  # still the program's own output too
        assert program.wait_for_line("stderr", "to stderr")
        await client.disconnect()
        assert program.finish() == 0
    finally:
        program.kill()


def _print_port_then_run(path: Path) -> str:
    """``-c`` code that runs ``path`` as ``__main__`` with ``monadapter.listen`` printing its port."""
    return textwrap.dedent(
        f"""
        import runpy, sys
        sys.path.insert(0, {str(Path(__file__).resolve().parent.parent / "src")!r})
        import monadapter.agent.api as api
        listen = api.listen
        def announcing(*args, **kwargs):
            address = listen(*args, **kwargs)
            print("PORT", address[1], flush=True)
            return address
        api.listen = announcing
        runpy.run_path({str(path)!r}, run_name="__main__")
        """
    )


async def test_path_mappings_bind_client_paths_and_show_client_paths(
    client: DapClient, served: RunningProgram, tmp_path: Path
) -> None:
    local = tmp_path / "client-copy"
    local.mkdir()
    shutil.copy(served.path, local / "served.py")
    mappings = [{"localRoot": str(local), "remoteRoot": str(served.path.parent)}]
    attached = await client.send_request(
        "attach", {**connect_to(served.port, TOKEN), "pathMappings": mappings, "redirectOutput": False}
    )
    await client.wait_for_event("initialized")
    (bound,) = await client.set_breakpoints(local / "served.py", [WORK_LINE])
    assert bound["verified"] and bound["source"]["path"] == str(local / "served.py")
    (nowhere,) = await client.set_breakpoints(tmp_path / "elsewhere" / "missing.py", [1])
    assert not nowhere["verified"] and "under no localRoot of pathMappings" in nowhere["message"]
    await client.configuration_done()
    await attached
    stopped = await client.wait_for_event("stopped")
    frames = await client.stack_trace(stopped["body"]["threadId"])
    assert frames[0]["source"]["path"] == str(local / "served.py")
    sources = (await client.request("loadedSources"))["sources"]
    assert str(local / "served.py") in [source.get("path") for source in sources]
    assert str(served.path) not in [source.get("path") for source in sources]
    # an exception's traceback text names the client's file too
    await client.set_breakpoints(local / "served.py", [])
    await client.set_exception_breakpoints(["raised"])
    await client.continue_(stopped["body"]["threadId"])
    (served.path.parent / "RAISE").touch()
    raised = await client.wait_for_event("stopped")
    assert raised["body"]["reason"] == "exception"
    info = await client.request("exceptionInfo", {"threadId": raised["body"]["threadId"]})
    assert f'File "{local / "served.py"}"' in info["details"]["stackTrace"]
    assert str(served.path) not in info["details"]["stackTrace"]
    await client.disconnect()
    assert served.finish() == 0


async def test_an_uncaught_exception_in_an_api_program_stops_once_and_ends_as_python_would(
    client: DapClient, make_program: Callable[..., Path], tmp_path: Path
) -> None:
    path = make_program(
        f"""
        import monadapter
        print("PORT", monadapter.listen(0, access_token={TOKEN!r})[1], flush=True)
        monadapter.wait_for_client()


        def fail():
            raise ValueError("boom")  # line 7


        fail()
        """
    )
    src = str(Path(__file__).resolve().parent.parent / "src")
    program = RunningProgram([sys.executable, str(path)], cwd=tmp_path, env={"PYTHONPATH": src})
    try:
        port = int(program.wait_for_line("stdout", "PORT").split()[1])
        await client.configuration_sequence(request="attach", exception_filters=["uncaught"], **connect_to(port, TOKEN))
        stopped = await client.wait_for_event("stopped")
        assert stopped["body"]["reason"] == "exception"
        (frame, *_) = await client.stack_trace(stopped["body"]["threadId"])
        assert (frame["name"], frame["line"]) == ("fail", 7)
        await client.continue_(stopped["body"]["threadId"])
        await client.wait_for_event("terminated")
        assert [event["body"]["reason"] for event in client.events if event.get("event") == "stopped"] == ["exception"]
        assert program.process.wait(30) == 1
        program.kill()
        assert (
            program.stderr[-1] == "ValueError: boom\n" and program.stderr[0] == "Traceback (most recent call last):\n"
        )
    finally:
        program.kill()

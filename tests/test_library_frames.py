"""justMyCode in stack traces: library frames are marked (``subtle`` frame, ``deemphasize`` source),
and monadapter's own frames appear nowhere: stack traces, exceptionInfo, the program's tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import launch_arguments, line_of, run_to_exit, session, write_program

import monadapter

OWN_DIR = str(Path(monadapter.__file__).resolve().parent)

THREADED = """
    import threading
    def work():
        value = 1  # in the worker
    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
"""


@pytest.mark.parametrize("just_my_code", [True, False])
async def test_library_frames_are_marked_under_just_my_code(tmp_path: Path, just_my_code: bool) -> None:
    program = write_program(tmp_path, THREADED)
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# in the worker")]}, **launch_arguments(program, justMyCode=just_my_code)
        )
        frames = await client.stack_trace(stopped["body"]["threadId"])
        assert frames[0]["name"] == "work" and "presentationHint" not in frames[0]
        assert frames[0]["source"].get("presentationHint") is None
        library = frames[1:]
        assert library and all(frame["source"]["path"].endswith("threading.py") for frame in library)
        for frame in library:
            if just_my_code:
                assert frame["presentationHint"] == "subtle"
                assert frame["source"]["presentationHint"] == "deemphasize"
            else:
                assert "presentationHint" not in frame and "presentationHint" not in frame["source"]
        assert await run_to_exit(client, stopped) == 0


async def test_frozen_importlib_frames_are_marked(tmp_path: Path) -> None:
    module = write_program(tmp_path, "value = 1  # at import\n", name="imported.py")
    program = write_program(tmp_path, "import imported\n")
    async with session() as client:
        stopped = await client.launch_and_stop({module: [line_of(module, "# at import")]}, **launch_arguments(program))
        frames = await client.stack_trace(stopped["body"]["threadId"])
        names = [frame["name"] for frame in frames]
        assert names[0] == "<module>" and names[-1] == "<module>"
        frozen = [frame for frame in frames[1:-1]]
        assert frozen and all(frame["presentationHint"] == "subtle" for frame in frozen)
        assert not [frame for frame in frames if OWN_DIR in str(frame.get("source", {}).get("path"))]
        assert await run_to_exit(client, stopped) == 0


async def test_exception_details_and_printed_traceback_start_in_the_program(tmp_path: Path) -> None:
    program = write_program(
        tmp_path,
        """
        def fail():
            raise ValueError("from the program")
        try:
            fail()
        except ValueError as exc:
            raise RuntimeError("wrapped") from exc
        """,
    )
    async with session() as client:
        await client.configuration_sequence(exception_filters=["uncaught"], **launch_arguments(program))
        stopped = await client.wait_for_event("stopped")
        info = await client.request("exceptionInfo", {"threadId": stopped["body"]["threadId"]})
        text = info["details"]["stackTrace"]
        assert OWN_DIR not in text and "runner.py" not in text
        assert text.count(f'Traceback (most recent call last):\n  File "{program}"') == 2  # the cause's too
        inner = info["details"]["innerException"][0]["stackTrace"]
        assert OWN_DIR not in inner and inner.startswith("Traceback (most recent call last):\n  File ")
        assert await run_to_exit(client, stopped) == 1
        printed = client.output("stderr")
        assert "wrapped" in printed and OWN_DIR not in printed


async def test_rules_decide_which_frames_are_marked(tmp_path: Path) -> None:
    """rules apply to stack marking as to steps: threading included as user code is not marked, the
    program's own helper excluded is."""
    write_program(tmp_path, "def call(function):\n    function()\n", name="helper.py")
    program = write_program(
        tmp_path,
        """
        import threading, helper
        def work():
            value = 1  # in the worker
        worker = threading.Thread(target=helper.call, args=(work,))
        worker.start()
        worker.join()
        """,
    )
    rules = [{"module": "threading", "include": True}, {"path": "helper.py", "include": False}]
    async with session() as client:
        stopped = await client.launch_and_stop(
            {program: [line_of(program, "# in the worker")]},
            **launch_arguments(program, cwd=str(tmp_path), rules=rules),
        )
        frames = await client.stack_trace(stopped["body"]["threadId"])
        marked = {frame["name"]: frame.get("presentationHint") for frame in frames}
        assert marked.pop("work") is None and marked.pop("call") == "subtle"
        assert marked and set(marked.values()) == {None}  # threading's frames, included
        assert await run_to_exit(client, stopped) == 0


async def test_a_module_whose_package_fails_to_import_prints_no_frame_of_ours(tmp_path: Path) -> None:
    write_program(tmp_path, "raise ImportError('the package cannot start')\n", name="broken/__init__.py")
    write_program(tmp_path, "print('never')\n", name="broken/main.py")
    async with session() as client:
        await client.configuration_sequence(
            module="broken.main", cwd=str(tmp_path), python=launch_arguments(tmp_path)["python"], exception_filters=[]
        )
        assert (await client.wait_for_event("exited"))["body"]["exitCode"] == 1
        printed = client.output("stderr")
        assert "ImportError: the package cannot start" in printed and OWN_DIR not in printed
        assert printed.startswith("Traceback (most recent call last):\n")

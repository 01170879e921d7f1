"""modules, loadedSources and their events through the real adapter: imports, exec'd text and files, versions, paging."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from monadapter.client import DapClient, DapError

WAIT = 20.0

PROGRAM = """
    import sys
    print("started")  # first stop
    import mypkg
    import helper
    import fakedist
    import colorsys
    import mmap
    exec("def made_at_run_time():\\n    return 42\\n")
    for _ in range(3):
        exec("same_text = 1")
    exec(compile(open(sys.argv[1]).read(), sys.argv[1], "exec"))
    print(made_at_run_time(), from_script)  # second stop
"""


def line_with(path: Path, marker: str) -> int:
    return next(number for number, text in enumerate(path.read_text().splitlines(), 1) if marker in text)


async def run_to_second_stop(client: DapClient, make_program: Callable[..., Path]) -> tuple[Path, dict[str, Any]]:
    """Launch PROGRAM next to a package, two modules, a dist-info and a script; stop before and after the imports.

    Returns the program path and the second ``stopped`` event; checks on the way that none of the modules
    imported later is listed at the first stop.
    """
    make_program('__version__ = "1.2.3"\n', name="mypkg/__init__.py")
    make_program("def helper():\n    return 1\n", name="helper.py")
    make_program("VALUE = 1\n", name="fakedist.py")
    make_program("Metadata-Version: 2.1\nName: fakedist\nVersion: 4.5.6\n", name="fakedist-4.5.6.dist-info/METADATA")
    script = make_program("from_script = 'script ran'\n", name="script.py")
    program = make_program(PROGRAM)
    stopped = await client.launch_and_stop(
        {program: [line_with(program, "# first stop"), line_with(program, "# second stop")]},
        program=str(program),
        args=[str(script)],
        python=sys.executable,
        console="internalConsole",
    )
    first = {module["name"] for module in (await client.request("modules", {}, timeout=WAIT))["modules"]}
    assert {"sys", "__main__"} <= first
    assert not first & {"mypkg", "helper", "fakedist", "colorsys", "mmap"}
    await client.continue_(stopped["body"]["threadId"])
    return program, await client.wait_for_event("stopped", timeout=WAIT)


def is_module_event(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda event: event["body"]["module"]["name"] == name


def is_source_event(check: Callable[[dict[str, Any]], bool]) -> Callable[[dict[str, Any]], bool]:
    return lambda event: check(event["body"]["source"])


async def test_modules_imported_while_running_are_announced_and_listed(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    program, stopped = await run_to_second_stop(client, make_program)
    directory = program.parent
    for name, path in (("mypkg", directory / "mypkg" / "__init__.py"), ("helper", directory / "helper.py")):
        event = await client.wait_for_event("module", is_module_event(name), timeout=WAIT)
        assert event["body"]["reason"] == "new"
        assert event["body"]["module"]["id"] == name
        assert event["body"]["module"]["path"] == str(path)
    fakedist = await client.wait_for_event("module", is_module_event("fakedist"), timeout=WAIT)
    assert fakedist["body"]["module"]["version"] == "4.5.6"  # from fakedist-4.5.6.dist-info, nothing imported
    extension = await client.wait_for_event("module", is_module_event("mmap"), timeout=WAIT)
    assert extension["body"]["module"]["path"].endswith((".so", ".pyd"))  # ran no Python code, found all the same
    colorsys = await client.wait_for_event("module", is_module_event("colorsys"), timeout=WAIT)
    # announced right before the stop that follows the imports, so the client knows them when it shows it
    assert client.events.index(colorsys) < client.events.index(stopped)

    body = await client.request("modules", {}, timeout=WAIT)
    listed = {module["name"]: module for module in body["modules"]}
    assert body["totalModules"] == len(body["modules"])
    assert listed["mypkg"]["version"] == "1.2.3"  # __version__, set once the package's code ran
    assert listed["fakedist"]["version"] == "4.5.6"
    assert listed["__main__"]["path"] == str(program)
    assert "path" not in listed["sys"]  # built in: no file
    assert not [name for name in listed if name.startswith("monadapter")]

    page = await client.request("modules", {"startModule": 2, "moduleCount": 3}, timeout=WAIT)
    assert page["modules"] == body["modules"][2:5]
    assert page["totalModules"] == body["totalModules"]
    await client.continue_(stopped["body"]["threadId"])
    await client.wait_for_event("exited", timeout=WAIT)
    assert "42 script ran" in client.output("stdout")


async def test_loaded_sources_cover_module_files_exec_text_and_exec_files(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    program, stopped = await run_to_second_stop(client, make_program)
    directory = program.parent
    helper = await client.wait_for_event(
        "loadedSource", is_source_event(lambda source: source.get("path") == str(directory / "helper.py")), timeout=WAIT
    )
    assert helper["body"] == {"reason": "new", "source": {"name": "helper.py", "path": str(directory / "helper.py")}}
    script = await client.wait_for_event(
        "loadedSource", is_source_event(lambda source: source.get("path") == str(directory / "script.py")), timeout=WAIT
    )
    assert script["body"]["reason"] == "new"
    made = await client.wait_for_event(
        "loadedSource", is_source_event(lambda source: source.get("name") == "<string>"), timeout=WAIT
    )
    reference = made["body"]["source"]["sourceReference"]
    assert reference > 0 and "path" not in made["body"]["source"]
    content = await client.request("source", {"source": {"sourceReference": reference}, "sourceReference": reference})
    assert content["content"] == "def made_at_run_time():\n    return 42\n"

    sources = (await client.request("loadedSources", {}, timeout=WAIT))["sources"]
    paths = {source.get("path") for source in sources}
    assert {str(program), str(directory / "helper.py"), str(directory / "mypkg" / "__init__.py")} <= paths
    assert str(directory / "script.py") in paths  # run by exec, imported by nobody
    assert made["body"]["source"] in sources
    texts = [
        (await client.request("source", {"source": source, "sourceReference": source["sourceReference"]}))["content"]
        for source in sources
        if source.get("name") == "<string>"
    ]
    assert texts.count("same_text = 1") == 1  # exec'd three times, one source
    assert not [path for path in paths if path and path.endswith((".so", ".pyd"))]
    assert not [path for path in paths if path and "/monadapter/" in path.replace("\\", "/")]
    await client.continue_(stopped["body"]["threadId"])
    await client.wait_for_event("exited", timeout=WAIT)


@pytest.mark.parametrize("arguments", [{"startModule": -1}, {"moduleCount": "all"}])
async def test_bad_paging_fails_and_the_session_goes_on(
    client: DapClient, make_program: Callable[..., Path], arguments: dict[str, Any]
) -> None:
    program, stopped = await run_to_second_stop(client, make_program)
    with pytest.raises(DapError):
        await client.request("modules", arguments, timeout=WAIT)
    assert (await client.request("modules", {"moduleCount": 1}, timeout=WAIT))["modules"]
    await client.continue_(stopped["body"]["threadId"])
    await client.wait_for_event("exited", timeout=WAIT)


async def test_a_stop_after_hundreds_of_imports_announces_each_then_stops(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    """The announcements and the stop go in one write (over a thousand pieces: more than one sendmsg takes)."""
    for index in range(600):
        make_program(f"VALUE = {index}\n", name=f"many/m{index}.py")
    program = make_program(
        "import importlib\nfor i in range(600):\n    importlib.import_module(f'm{i}')\nprint('done')\n"
    )
    stopped = await client.launch_and_stop(
        {program: [4]}, program=str(program), cwd=str(program.parent / "many"), env={"PYTHONPATH": "."}
    )
    assert stopped["body"]["reason"] == "breakpoint"
    announced = {event["body"]["module"]["name"] for event in client.events if event["event"] == "module"}
    assert {f"m{index}" for index in range(600)} <= announced
    names = [event["event"] for event in client.events]
    assert names.index("stopped") > max(index for index, name in enumerate(names) if name == "module")
    await client.continue_(stopped["body"]["threadId"])
    await client.wait_for_event("exited", timeout=WAIT)

"""Modules the agent imports late, after the program runs, never wait for an import lock a thread we
hold paused owns (agent/__init__.py, ``_import``): such a request fails and says why, and the session
and the program go on. A paused thread in the middle of importing ``dataclasses`` or ``typing`` (a
breakpoint at module level of the standard library's own file) holds importlib's lock for it until
resumed: a stop's stack and scopes need neither (agent/stack.py), the value readers (agent/frames.py:
variables, evaluate) import both."""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
import types
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import WAIT, launch_arguments, line_of, run_to_exit, session, write_program
from parts_helpers import our_module_unloaded

import monadapter.agent as agent
from monadapter.agent import importlocks
from monadapter.client import DapError

#: The standard library's dataclasses.py and typing.py: the debuggee runs this interpreter's, as the
#: tests do. Each is imported by a program that imports it (the agent loads neither at start).
STANDARD = {"dataclasses": Path(dataclasses.__file__), "typing": Path(typing.__file__)}

PROGRAM = """
    import {name}
    done = {name}.__name__  # imported
"""


@pytest.mark.parametrize("name", sorted(STANDARD))
async def test_a_stop_inside_the_import_of_a_module_the_value_readers_import_shows_its_stack_and_scopes(
    tmp_path: Path, name: str
) -> None:
    """A breakpoint at module level of the standard library's ``dataclasses.py`` or ``typing.py``
    (justMyCode off): the paused thread holds importlib's lock for that module until resumed. The
    stack is shown (the module's frame, importlib's, the program's, each at its line) and so are the
    scopes; a variables request, whose readers import that module, fails saying why; the session and
    the program go on, and once the import is done the same request succeeds."""
    program = write_program(tmp_path, PROGRAM.format(name=name))
    module = STANDARD[name]
    inside = line_of(module, "__all__ = [")
    async with session() as client:
        stopped = await client.launch_and_stop(
            {str(module): [inside], program: [line_of(program, "# imported")]},
            **launch_arguments(program, justMyCode=False),
        )
        thread_id = stopped["body"]["threadId"]
        threads = await client.request("threads")
        assert [thread["id"] for thread in threads["threads"]] == [thread_id]
        frames = await client.stack_trace(thread_id)
        top, bottom = frames[0], frames[-1]
        assert (top["name"], top["source"]["path"], top["line"]) == ("<module>", str(module), inside)
        assert (bottom["name"], bottom["source"]["path"]) == ("<module>", str(program))
        assert bottom["line"] == line_of(program, f"import {name}")
        assert all(frame["source"]["name"].startswith("<frozen importlib") for frame in frames[1:-1]), frames
        scopes = await client.scopes(top["id"])
        assert [scope["name"] for scope in scopes] == ["Globals"]  # module code: its locals are its globals
        assert scopes[0]["namedVariables"] > 0
        with pytest.raises(DapError, match=f"the program is paused while importing {name}"):
            await client.variables(scopes[0]["variablesReference"])
        assert await client.stack_trace(thread_id, levels=1) == [top]  # the session goes on
        await client.continue_(thread_id)
        stopped = await client.wait_for_event("stopped")  # the program went on, finished its import
        frames = await client.stack_trace(stopped["body"]["threadId"])
        assert frames[0]["line"] == line_of(program, "# imported")
        scopes = await client.scopes(frames[0]["id"])
        shown = {variable["name"] for variable in await client.variables(scopes[0]["variablesReference"])}
        assert name in shown
        assert await run_to_exit(client, stopped) == 0


STEPPER = """
    import threading
    def importer():
        import bisect  # the program's own bisect.py, which stops in helper.pause_here
    worker = threading.Thread(target=importer)
    worker.start()
    for count in range(10**9):
        total = (count +
                 1)  # stepped over
"""

#: The program's own bisect.py (its directory is first on sys.path), which the agent's late ``import
#: bisect`` finds too: the worker stops (a function breakpoint, which needs no statement heads) while
#: its module code runs.
SHADOW_BISECT = """
    from helper import pause_here
    pause_here()
    from _bisect import bisect_left, bisect_right, insort_left, insort_right
"""


async def test_a_single_thread_step_while_another_thread_is_paused_importing_bisect_ends(tmp_path: Path) -> None:
    """A step's callback finds statement heads with ``ast`` and ``bisect`` (sourcemap.StatementHeads):
    a thread stepping alone while the worker stays paused inside ``bisect``'s import must not wait
    for it; the step ends all the same."""
    program = write_program(tmp_path, STEPPER)
    write_program(tmp_path, SHADOW_BISECT, name="bisect.py")
    write_program(tmp_path, "def pause_here():\n    return 1\n", name="helper.py")
    async with session() as client:
        launched = await client.send_request("launch", launch_arguments(program))
        await client.wait_for_event("initialized")
        await client.request("setFunctionBreakpoints", {"breakpoints": [{"name": "pause_here"}]})
        await client.configuration_done()
        await launched
        stopped = await client.wait_for_event("stopped")
        worker = stopped["body"]["threadId"]
        threads = await client.request("threads")
        main = next(thread["id"] for thread in threads["threads"] if thread["id"] != worker)
        # main parks at the next line it reaches (a stackTrace waits for that: Parking.wait_parked), in
        # the loop or in threading's code still: its step ends in the loop, whose statement heads the
        # step's callback needs
        assert await client.stack_trace(main)
        await client.request("next", {"threadId": main, "singleThread": True})
        stepped = await client.wait_for_event("stopped")
        assert stepped["body"]["threadId"] == main and stepped["body"]["reason"] == "step"


FORK_WHILE_IMPORTING = """
    import importlib.machinery, os, select, signal, sys, threading
    blocked, proceed = threading.Event(), threading.Event()

    class Held:
        \"\"\"Holds the thread that imports socket before socket's code runs.\"\"\"
        def __init__(self, loader):
            self.loader = loader
        def create_module(self, spec):
            return self.loader.create_module(spec)
        def exec_module(self, module):
            blocked.set()
            proceed.wait(60)
            self.loader.exec_module(module)

    class Holdup:
        def find_spec(self, name, path=None, target=None):
            if name != "socket" or threading.current_thread() is threading.main_thread():
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            spec.loader = Held(spec.loader)
            return spec

    sys.meta_path.insert(0, Holdup())
    sys.modules.pop("socket", None)
    importer = threading.Thread(target=lambda: __import__("socket"))
    importer.start()
    assert blocked.wait(60)  # it holds the import lock of socket
    ready, written = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(written, b"ran")  # the child's own code: after the fork hooks, ours among them
        os._exit(7)
    proceed.set()
    importer.join()
    if not select.select([ready], [], [], 10)[0]:
        os.kill(pid, signal.SIGKILL)  # its session start waited for ever
    print("fork child exit code", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""


async def test_a_forked_child_never_waits_for_an_import_lock_a_thread_the_fork_left_behind_held(
    tmp_path: Path,
) -> None:
    """A forked child's session imports ``socket`` on the forking thread, in the fork hook; a lock
    another parent thread held at the fork stays held in the child for ever (agent/children.py)."""
    program = write_program(tmp_path, FORK_WHILE_IMPORTING)
    async with session() as client:
        await client.configuration_sequence(**launch_arguments(program, subProcess=True))
        assert await run_to_exit(client) == 0
        assert "fork child exit code 7\n" in client.output("stdout")
        assert "a thread the fork did not copy was importing" in client.output("stderr")


#: The globals of an import statement in one of our modules (our ``__import__`` reads its package).
OURS = {"__name__": "monadapter.agent.probe", "__package__": "monadapter.agent"}


@contextmanager
def paused_while_importing(tmp_path: Path, name: str, code: str) -> Iterator[threading.Event]:
    """A thread noted as paused (as Parking.park notes one) inside the import of the module ``name``,
    whose ``code`` (a package's, for a dotted ``name``) waits there until the block ends or the
    event given to it is set."""
    gate = types.ModuleType("late_imports_gate")
    gate.ready, gate.go = threading.Event(), threading.Event()  # type: ignore[attr-defined]
    directory = tmp_path / name.split(".")[0]
    if "." in name:
        directory.mkdir()
        (directory / "__init__.py").write_text(code)
        (directory / f"{name.split('.')[1]}.py").write_text("")
    else:
        (tmp_path / f"{name}.py").write_text(code)

    def importer() -> None:
        importlocks.note_paused(threading.get_ident())
        try:
            __import__(name)
        finally:
            importlocks.note_resumed(threading.get_ident())

    thread = threading.Thread(target=importer)
    sys.modules["late_imports_gate"] = gate
    sys.path.insert(0, str(tmp_path))
    try:
        thread.start()
        assert gate.ready.wait(WAIT)  # type: ignore[attr-defined]
        yield gate.go  # type: ignore[attr-defined]
    finally:
        gate.go.set()  # type: ignore[attr-defined]
        thread.join(WAIT)
        sys.path.remove(str(tmp_path))
        for module in [
            module for module in sys.modules if module.split(".")[0] in (name.split(".")[0], "late_imports_gate")
        ]:
            del sys.modules[module]


@contextmanager
def set_aside(package: str) -> Iterator[None]:
    """Take the loaded standard-library ``package`` out of sys.modules for the block (a paused thread
    imports one of the same name meanwhile), and put it back after."""
    saved = {name: module for name, module in sys.modules.items() if name.split(".")[0] == package}
    for name in saved:
        del sys.modules[name]
    try:
        yield
    finally:
        sys.modules.update(saved)


def wait_until_waiting_for(thread: threading.Thread, lock: object) -> None:
    """Until importlib notes ``thread`` waiting for the import lock ``lock`` (``_blocking_on``)."""
    deadline = time.monotonic() + WAIT
    while lock not in (agent._frozen_importlib._blocking_on.get(thread.ident) or ()):
        assert time.monotonic() < deadline, f"{thread.name} never waited for {lock!r}"
        threading.Event().wait(0.005)  # a look every 5 ms: what it waits for has no event to wait on


WAITS_IN_ITS_CODE = "import late_imports_gate as gate\ngate.ready.set()\ngate.go.wait(20)\n"


@pytest.mark.unit
def test_an_import_of_ours_of_a_module_a_paused_thread_is_running_fails_at_once(tmp_path: Path) -> None:
    """The module is in sys.modules, partly run: importlib's wait for it is taken for a deadlock,
    and the partly run module is not handed to our code."""
    with paused_while_importing(tmp_path, "late_imports_probe", WAITS_IN_ITS_CODE):
        with pytest.raises(agent.PausedImportError, match="the program is paused while importing late_imports_probe"):
            agent.BUILTINS["__import__"]("late_imports_probe", OURS, None, (), 0)
        assert threading.get_ident() not in agent.LATE_IMPORTERS


@pytest.mark.unit
def test_an_import_of_ours_of_a_module_whose_package_a_paused_thread_is_running_fails_at_once(tmp_path: Path) -> None:
    """``late_imports_pkg.sub`` is not in sys.modules yet, but its lock is taken (the paused thread
    runs its package's code on the way): importlib raises its _DeadlockError instead of waiting.
    (3.15 imports the package before it takes the submodule's lock: the package is partly run.)"""
    with paused_while_importing(tmp_path, "late_imports_pkg.sub", WAITS_IN_ITS_CODE):
        with pytest.raises(
            agent.PausedImportError, match=r"paused while importing late_imports_pkg(, late_imports_pkg\.sub)?:"
        ):
            agent.BUILTINS["__import__"]("late_imports_pkg.sub", OURS, None, (), 0)


@pytest.mark.unit
def test_a_program_thread_still_waits_for_an_import_a_paused_thread_runs(tmp_path: Path) -> None:
    """Only our imports see the paused thread as a deadlock: the program's own thread waits for it
    as it would without us, and gets the whole module once the paused thread goes on."""
    got: list[types.ModuleType] = []
    with paused_while_importing(tmp_path, "late_imports_probe", WAITS_IN_ITS_CODE + "whole = True\n") as go:
        program_thread = threading.Thread(target=lambda: got.append(__import__("late_imports_probe")))
        program_thread.start()
        lock = agent._frozen_importlib._module_locks["late_imports_probe"]()
        wait_until_waiting_for(program_thread, lock)
        assert not got
        go.set()
        program_thread.join(WAIT)  # before the module and its directory go
    assert got and got[0].whole  # type: ignore[attr-defined]


@pytest.mark.unit
def test_two_threads_of_ours_loading_one_of_our_modules_wait_for_each_other_while_a_thread_is_paused(
    tmp_path: Path,
) -> None:
    """A load of our own module is no late import: one thread waits for the other's (here: for the
    lock the first holds), even while a paused thread is noted, and both get the one module."""
    name = "monadapter.agent.evaluate_names"  # a module with no state; set aside if this process loaded it
    got: list[types.ModuleType] = []
    with our_module_unloaded(name), paused_while_importing(tmp_path, "late_imports_probe", WAITS_IN_ITS_CODE):
        lock = agent._get_module_lock(name)
        lock.acquire()  # as a first thread of ours loading it holds it
        try:
            loader = threading.Thread(target=lambda: got.append(agent.load(name)))
            loader.start()
            wait_until_waiting_for(loader, lock)
            assert not got
        finally:
            lock.release()
        loader.join(WAIT)
        assert got == [agent.MODULES[name]]


@pytest.mark.unit
def test_a_bad_message_while_a_paused_thread_is_importing_json_is_still_a_bad_message(tmp_path: Path) -> None:
    """wire's JSON errors are json.JSONDecodeError, imported at the first bad message: while json
    cannot be imported, a plain ValueError, which the reader reports the same (BadBody)."""
    from monadapter.agent.wire import BadBody, decode

    with set_aside("json"), paused_while_importing(tmp_path, "json", WAITS_IN_ITS_CODE):
        bad = decode(b'{"seq": ')
    assert isinstance(bad, BadBody) and "Expecting value: char 7" in bad.error


@pytest.mark.unit
def test_the_interrupter_loads_ctypes_again_once_a_paused_thread_no_longer_imports_it(tmp_path: Path) -> None:
    """The interrupter loads ctypes once (evaluateTimeout's async exceptions): a load that failed
    because a paused thread was importing ctypes is not taken for ctypes missing for good."""
    from monadapter.agent.interrupt import Interrupter

    interrupter = Interrupter()
    with set_aside("ctypes"), paused_while_importing(tmp_path, "ctypes", WAITS_IN_ITS_CODE):
        assert not interrupter._load()
    assert interrupter._load()


@pytest.mark.unit
def test_an_import_of_ours_already_waiting_for_a_thread_that_then_parks_fails(tmp_path: Path) -> None:
    """Our import began waiting for a running thread's import (it owns the lock), and then that thread
    parks (it halts at its next line after another thread's stop): the park wakes the waiters, and
    ours finds the pause instead of waiting until the program goes on."""
    code = "import late_imports_gate as gate\ngate.ready.set()\ngate.go.wait(20)\n"
    code += "from monadapter.agent import importlocks\nimport threading\n"
    code += "importlocks.note_paused(threading.get_ident())\ngate.parked.set()\ngate.resume.wait(20)\n"
    code += "importlocks.note_resumed(threading.get_ident())\n"
    gate = types.ModuleType("late_imports_gate")
    gate.ready, gate.go, gate.parked, gate.resume = (threading.Event() for _ in range(4))  # type: ignore[attr-defined]
    (tmp_path / "late_imports_probe.py").write_text(code)
    failures: list[BaseException] = []

    def ours() -> None:
        try:
            agent.BUILTINS["__import__"]("late_imports_probe", OURS, None, (), 0)
        except BaseException as exc:
            failures.append(exc)

    sys.modules["late_imports_gate"] = gate
    sys.path.insert(0, str(tmp_path))
    running = threading.Thread(target=lambda: __import__("late_imports_probe"))
    importer = threading.Thread(target=ours)
    try:
        running.start()
        assert gate.ready.wait(WAIT)  # type: ignore[attr-defined]
        importer.start()
        wait_until_waiting_for(importer, agent._frozen_importlib._module_locks["late_imports_probe"]())
        gate.go.set()  # type: ignore[attr-defined]
        assert gate.parked.wait(WAIT)  # type: ignore[attr-defined]
        importer.join(WAIT)
        assert not importer.is_alive()
        assert [type(exc) for exc in failures] == [agent.PausedImportError]
        assert "paused while importing late_imports_probe" in str(failures[0])
    finally:
        gate.go.set()  # type: ignore[attr-defined]
        gate.resume.set()  # type: ignore[attr-defined]
        running.join(WAIT)
        importer.join(WAIT)
        sys.path.remove(str(tmp_path))
        for name in ("late_imports_probe", "late_imports_gate"):
            sys.modules.pop(name, None)


EVALUATOR = """
    import threading
    def importer():
        import slowmod  # stops inside slowmod's module code
    worker = threading.Thread(target=importer)
    worker.start()
    while worker.is_alive():
        pass  # main is halted here, in Python code, while the worker is paused
    import slowmod
    print("imported", slowmod.VALUE)
"""


@pytest.mark.parametrize(
    ("context", "source"), [("watch", "__import__('slowmod').VALUE"), ("repl", "from slowmod import VALUE")]
)
async def test_evaluating_an_import_of_a_module_another_paused_thread_is_importing_fails_and_says_why(
    tmp_path: Path, context: str, source: str
) -> None:
    """The program's own ``import`` run by ``evaluate`` on one paused thread waited for ever for the
    import lock of another paused thread (a lock wait is not interrupted by evaluateTimeout). It now
    gets what importlib gives a circular import, the partly run module, and using it fails saying
    that the program is paused while importing it; both threads go on when continued."""
    program = write_program(tmp_path, EVALUATOR)
    module = write_program(tmp_path, "VALUE = 41 + 1  # inside\n", name="slowmod.py")
    async with session() as client:
        stopped = await client.launch_and_stop(
            {module: [line_of(module, "# inside")]}, **launch_arguments(program, evaluateTimeout=0)
        )
        worker = stopped["body"]["threadId"]
        threads = await client.request("threads")
        main = next(thread["id"] for thread in threads["threads"] if thread["id"] != worker)
        frame = (await client.stack_trace(main))[0]["id"]  # waits until main is parked in its loop

        async def evaluate(text: str, how: str) -> dict[str, Any]:
            arguments = {"expression": text, "frameId": frame, "context": how}
            return await client.request("evaluate", arguments, timeout=WAIT)

        with pytest.raises(DapError, match="the program is paused while importing slowmod"):
            await evaluate(source, context)
        await evaluate("import slowmod", "repl")  # the partly run module, at once
        assert (await evaluate("slowmod.__name__", "watch"))["result"] == "'slowmod'"
        await client.continue_(worker)
        assert await run_to_exit(client) == 0
        assert "imported 42\n" in client.output("stdout")

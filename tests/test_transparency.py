"""The program must not notice the debugger: probes run under monadapter with each exception filter,
every stop continued at once (after an editor's requests), and their output and exit code compared
with a plain run of the same program.

What a probe looks at: exit codes (``sys.exit`` of int subclasses, strings, None), frames and locals
dying when their function returns (weakref, gc), ``sys.path``, ``sys.argv``, ``threading.enumerate()``,
``sys.gettrace()``/``getprofile()``, builtins and ``sys`` attributes the program replaces or deletes
(``sys._getframe``), signal handlers, ``atexit``, ``faulthandler``, ``sys.modules`` (the same but for
the standard-library modules the agent imports, listed exactly in the README and pinned here, in the
launched program and in one that clients attach to). Differences we make on purpose (README,
"Guarantees") are not probed: ``sys.breakpointhook``, our sys.monitoring tool ids, an audit hook.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from attach_helpers import RunningProgram, connect_to
from engine_helpers import launch_arguments, run_continuing, session, write_program

#: Each exception filter alone ([] is none: not even the default "uncaught").
FILTERS = [[], ["raised"], ["uncaught"], ["userUnhandled"]]
FILTER_IDS = ["none", "raised", "uncaught", "userUnhandled"]


def plain_run(program: Path, *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``python PROGRAM ARGS`` with the environment a launch gives."""
    done = subprocess.run(
        [sys.executable, str(program), *args],
        cwd=program.parent,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    return done.returncode, done.stdout, done.stderr


async def debugged_run(program: Path, filters: list[str], *args: str) -> tuple[int, str, str, list[dict[str, Any]]]:
    """(exit code, stdout, stderr, stopped events) of the program under the debugger, auto-continued."""
    async with session() as client:
        code, stops = await run_continuing(
            client, filters, **launch_arguments(program, args=list(args), cwd=str(program.parent))
        )
        return code, client.output("stdout"), client.output("stderr"), stops


async def assert_unnoticed(program: Path, filters: list[str], *args: str) -> list[dict[str, Any]]:
    """The debugged run's exit code and output equal the plain run's; returns the stops."""
    code, stdout, stderr, stops = await debugged_run(program, filters, *args)
    assert (code, stdout, stderr) == plain_run(program, *args)
    return stops


EXITS = """
    import enum, sys
    class ExitCode(enum.IntEnum):  # as pytest's
        OK = 0
        TESTS_FAILED = 1
        INTERRUPTED = 2
    class Weird(int):
        def __eq__(self, other):
            return True  # python reads the value, not __eq__
        __hash__ = int.__hash__
    class Message:
        def __str__(self):
            return "custom message"
    codes = {
        "intenum-ok": ExitCode.OK, "intenum-2": ExitCode.INTERRUPTED, "none": None, "zero": 0,
        "false": False, "true": True, "weird-zero": Weird(0), "weird-5": Weird(5), "text": "fatal: bye",
        "object": Message(), "plain": 7,
    }
    print("exiting", sys.argv[1], flush=True)
    sys.exit(codes[sys.argv[1]])
"""
SUCCESS = ["intenum-ok", "none", "weird-zero"]
FAILURE = ["intenum-2", "text", "object"]


@pytest.mark.parametrize("filters", FILTERS[1:], ids=FILTER_IDS[1:])
async def test_exit_codes_are_pythons_and_success_never_stops(tmp_path: Path, filters: list[str]) -> None:
    """``sys.exit(ExitCode.OK)`` (an IntEnum, as pytest ends every passing run) exits 0 without a stop,
    whatever the filter; every other SystemExit value exits and prints as under python."""
    program = write_program(tmp_path, EXITS)
    for name in SUCCESS:
        assert await assert_unnoticed(program, filters, name) == [], name
    for name in FAILURE:
        stops = await assert_unnoticed(program, filters, name)
        # it ends the program from its top: not an exception leaving user code for a library's
        assert len(stops) == (0 if filters == ["userUnhandled"] else 1), name


WEAK = """
    import gc, inspect, sys, threading, weakref
    class Thing:
        pass
    def caught_inside():
        thing = Thing()
        try:
            raise ValueError("raised and caught in the same function")
        except ValueError:
            pass
        return weakref.ref(thing)
    class Lazy:
        @property
        def broken(self):
            thing = Thing()
            holder.append(weakref.ref(thing))
            raise AttributeError("leaves user code into inspect, which catches it")
    holder = []
    def escapes_into_library():
        inspect.getmembers(Lazy())
        return holder.pop()
    def report(label, make):
        ref = make()
        alive_without_gc = ref() is not None
        gc.collect()
        print(label, "alive after return:", alive_without_gc, "after gc:", ref() is not None)
    report("caught", caught_inside)
    report("library", escapes_into_library)
    def worker():
        report("thread caught", caught_inside)
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    gc.collect()
    print("things alive at the end:", sum(1 for o in gc.get_objects() if type(o) is Thing))
"""


@pytest.mark.parametrize("filters", FILTERS, ids=FILTER_IDS)
async def test_no_frame_outlives_its_function_after_an_exception_stop(tmp_path: Path, filters: list[str]) -> None:
    """An exception raised and caught in a function (or escaping into library code that catches it)
    stops with raised / userUnhandled; once continued, nothing of ours holds the exception, its
    traceback or the function's frame: the function's locals die when it returns, as under python."""
    program = write_program(tmp_path, WEAK)
    stops = await assert_unnoticed(program, filters)
    expected = {"raised": 3, "userUnhandled": 1}.get(filters[0] if filters else "", 0)
    assert len(stops) == expected, [stop["body"].get("description") for stop in stops]


PATCHED = """
    import builtins, sys, threading
    def work(n):
        try:
            raise ValueError(n)
        except ValueError:
            return n
    getframe, current_frames, exception = sys._getframe, sys._current_frames, sys.exception
    del sys._getframe  # attrs' tests do this, to test their fallback
    sys._current_frames = None
    sys.exception = lambda: None
    real_open, opened = builtins.open, []
    builtins.open = lambda *args, **kwargs: opened.append(args[0]) or real_open(*args, **kwargs)
    total = sum(work(n) for n in range(5))
    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    current_thread, get_ident = threading.current_thread, threading.get_ident
    threading.current_thread = threading.get_ident = lambda: None  # after the threads: they need both
    sum(work(n) for n in range(2))
    threading.current_thread, threading.get_ident = current_thread, get_ident  # so does python's exit
    sys._getframe, sys._current_frames, sys.exception = getframe, current_frames, exception
    builtins.open = real_open
    print("total", total, "files opened by the program's open:", opened)
    raise RuntimeError("the end")
"""


@pytest.mark.parametrize("filters", FILTERS, ids=FILTER_IDS)
async def test_a_program_that_replaces_sys_and_builtins_attributes(tmp_path: Path, filters: list[str]) -> None:
    """Our callbacks use what they bound at start: deleting ``sys._getframe`` or replacing
    ``threading.current_thread`` and ``builtins.open`` breaks nothing of ours and is not used by us."""
    program = write_program(tmp_path, PATCHED)
    stops = await assert_unnoticed(program, filters)
    expected = {"raised": 11, "uncaught": 1}.get(filters[0] if filters else "", 0)
    assert len(stops) == expected, [stop["body"].get("description") for stop in stops]


PROBE = """
    import atexit, faulthandler, json, signal, sys, threading, time
    atexit.register(lambda: print("atexit ran", flush=True))
    def snapshot(label):
        handlers = {}
        for number in sorted(signal.valid_signals()):
            try:
                handler = signal.getsignal(number)
            except (OSError, ValueError):
                continue
            handlers[int(number)] = handler if isinstance(handler, int) or handler is None else getattr(handler, "__qualname__", "?")
        print(label, json.dumps({
            "path": sys.path, "argv": sys.argv, "trace": repr(sys.gettrace()), "profile": repr(sys.getprofile()),
            "threads": [t.name for t in threading.enumerate()], "active": threading.active_count(),
            "current": threading.current_thread().name, "faulthandler": faulthandler.is_enabled(),
            "excepthook": sys.excepthook is sys.__excepthook__, "thread_hook": threading.excepthook is threading.__excepthook__,
            "displayhook": sys.displayhook is sys.__displayhook__, "stdout": sys.stdout is sys.__stdout__,
            "signals": handlers, "switch": sys.getswitchinterval(), "recursion": sys.getrecursionlimit(),
            "dummies": [t.name for t in threading.enumerate() if isinstance(t, threading._DummyThread)],
            "main_globals": sorted(globals()),
        }, sort_keys=True), flush=True)
    snapshot("start")
    ready = threading.Event()
    def worker():
        try:
            raise LookupError("in a thread")
        except LookupError:
            pass
        snapshot("thread")
        ready.set()
    worker_thread = threading.Thread(target=worker, name="worker")
    worker_thread.start()
    ready.wait(10)
    worker_thread.join()
    try:
        {}["missing"]
    except KeyError:
        pass
    snapshot("end")
"""


@pytest.mark.parametrize("filters", FILTERS, ids=FILTER_IDS)
async def test_a_program_probing_for_a_debugger_sees_a_plain_run(tmp_path: Path, filters: list[str]) -> None:
    """sys.path, argv, trace/profile functions, threads (no agent thread, no Dummy-N), hooks,
    signal handlers, faulthandler, atexit: the same under the debugger as without it."""
    program = write_program(tmp_path, PROBE)
    stops = await assert_unnoticed(program, filters, "an argument")
    assert len(stops) == (2 if filters == ["raised"] else 0), [stop["body"].get("description") for stop in stops]


COUNTED = """
    import builtins, threading
    NAMES = ["isinstance", "len", "getattr", "hasattr", "setattr", "repr", "id", "print", "open", "sorted", "iter",
             "next", "min", "max", "any", "all", "hash", "issubclass", "vars", "dir", "callable", "compile", "exec",
             "eval", "__import__", "ord", "chr", "format", "abs", "round"]
    calls = {}
    def counting(name, real):
        def wrapper(*args, **kwargs):
            calls[name] = calls.get(name, 0) + 1
            return real(*args, **kwargs)
        return wrapper
    originals = {name: getattr(builtins, name) for name in NAMES}
    for name, real in originals.items():
        setattr(builtins, name, counting(name, real))
    def work(n):
        try:
            raise ValueError(n)
        except ValueError:
            return n * 2
    results = [work(n) for n in range(5)]
    worker = threading.Thread(target=work, args=(7,))
    worker.start()
    worker.join()
    for name, real in originals.items():
        setattr(builtins, name, real)
    print(results, sorted(calls.items()))
"""


@pytest.mark.parametrize("filters", [[], ["uncaught"], ["userUnhandled"]], ids=["none", "uncaught", "userUnhandled"])
async def test_replaced_builtins_see_no_call_of_ours(tmp_path: Path, filters: list[str]) -> None:
    """A program that replaces builtins with counting wrappers counts only its own calls: the agent
    runs on the builtins it copied at start (agent/__init__.py) and speaks JSON through the json
    module's C code alone. (A stop runs standard-library code, traceback and linecache, that uses
    the program's builtins: so no filter that stops here is probed.)"""
    program = write_program(tmp_path, COUNTED)
    assert await assert_unnoticed(program, filters) == []


#: The standard-library modules the agent imports before the program runs: what a debugged program
#: finds in ``sys.modules`` besides a plain run's is exactly these and what they import themselves
#: (on this Python), no module of ours. The README lists them ("What the program sees in
#: sys.modules"); a new import must be added there and here, or avoided.
AGENT_STDLIB = (
    "__future__", "_json", "_queue", "_sha2", "_socket", "atexit", "collections.abc", "functools",
    "gc", "keyword", "operator", "re", "threading", "types",
)  # fmt: skip
#: What a program clients attach to loads besides: its listener's (a launched program only connects).
LISTENER_STDLIB = ("selectors", "socket")
#: What a stop the client inspected adds: exceptionInfo's traceback text, the evaluation clock's ctypes,
#: the ast, dataclasses, json and typing the modules that read frames and values import (loaded at the
#: first request that needs them), inspect, which 3.15's dataclasses imports when a class is made, and
#: tokenize, imported before those may import it (sources.pin_tokenize).
AFTER_A_STOP = ("ast", "ctypes", "dataclasses", "inspect", "json", "tokenize", "traceback", "typing")
#: A program that imports nothing but ``sys`` and ``_thread`` (built in, loaded by every python):
#: whatever else its ``sys.modules`` holds, python or the debugger put there.
MODULES_PROBE = """
    import _thread, sys
    def snapshot(label):
        print(label, sorted(sys.modules), flush=True)
    snapshot("start")
    done = _thread.allocate_lock()
    done.acquire()
    def worker():
        try:
            raise LookupError("in a thread")
        except LookupError:
            pass
        snapshot("thread")
        done.release()
    _thread.start_new_thread(worker, ())
    done.acquire()
    try:
        {}["missing"]
    except KeyError:
        pass
    snapshot("end")
"""


def snapshots(stdout: str) -> dict[str, set[str]]:
    """The probe's ``sys.modules`` snapshots by label."""
    found = {}
    for line in stdout.splitlines():
        label, _, names = line.partition(" ")
        if label in ("start", "thread", "end", "listening"):
            found[label] = set(ast.literal_eval(names))
    return found


#: What the agent does with the modules it imports that loads more of them (on some Pythons): it
#: formats tracebacks (3.15's traceback imports ``_colorize`` then).
USES = """
if "traceback" in sys.modules:
    list(sys.modules["traceback"].TracebackException.from_exception(ValueError()).format())
"""


def loaded_with(names: tuple[str, ...], directory: Path) -> set[str]:
    """``sys.modules`` of a plain run of a script that imports ``names`` and uses them as the agent
    does (:data:`USES`)."""
    script = directory / "loads.py"
    script.write_text(
        f"import sys\nfor name in {names!r}:\n    __import__(name)\n{USES}print(sorted(sys.modules))\n",
        encoding="utf-8",
    )
    return set(ast.literal_eval(plain_run(script)[1]))


def test_the_readme_lists_the_standard_library_modules_the_agent_imports() -> None:
    """The README's list is this test's: neither can change alone."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### What the program sees in `sys.modules`", 1)[1].split("\n#", 1)[0]
    at_start, after_a_stop = re.findall(r"^- (?:At start|Once a stop was inspected): (.*?)\.$", section, re.M | re.S)
    assert re.findall(r"`([\w.]+)`", at_start) == sorted(AGENT_STDLIB)
    assert re.findall(r"`([\w.]+)` \(", after_a_stop) == sorted(AFTER_A_STOP)


@pytest.mark.parametrize("filters", FILTERS, ids=FILTER_IDS)
async def test_a_launched_program_finds_only_the_listed_standard_library_modules_added(
    tmp_path: Path, filters: list[str]
) -> None:
    """In ``sys.modules`` a debugged program finds what a plain run has, plus exactly the listed
    standard-library modules and what they import (with the stop modules once a stop was inspected):
    no module of monadapter's, at start, in a thread of its own or at the end."""
    program = write_program(tmp_path, MODULES_PROBE)
    code, stdout, _, stops = await debugged_run(program, filters)
    plain = snapshots(plain_run(program)[1])
    debugged = snapshots(stdout)
    assert code == 0 and set(debugged) == set(plain) == {"start", "thread", "end"}
    at_start = loaded_with(AGENT_STDLIB, tmp_path)
    after_a_stop = loaded_with(AGENT_STDLIB + AFTER_A_STOP, tmp_path)
    assert len(stops) == (2 if filters == ["raised"] else 0)
    for label in ("start", "thread", "end"):
        assert not [name for name in debugged[label] if name.split(".")[0] == "monadapter"], label
        assert plain[label] <= debugged[label], label
    assert debugged["start"] - plain["start"] == at_start - plain["start"]
    assert debugged["end"] - plain["end"] == (after_a_stop if stops else at_start) - plain["end"]
    assert at_start - plain["thread"] <= debugged["thread"] - plain["thread"] <= after_a_stop - plain["thread"]


LISTENING_PROBE = """
    import os, sys, time
    def snapshot(label):
        print(label, sorted(sys.modules), flush=True)
    snapshot("start")
    if sys.argv[1:] == ["api"]:
        import monadapter
        print("LISTENING", monadapter.listen(0, access_token="token")[1], flush=True)
    snapshot("listening")
    while not os.path.exists("STOP"):
        time.sleep(0.01)
    snapshot("end")
"""


@pytest.mark.parametrize("how", ["--listen", "listen()"])
async def test_a_program_clients_attach_to_finds_only_the_listed_modules_added(tmp_path: Path, how: str) -> None:
    """``python -m monadapter --listen FILE``, or ``monadapter.listen()`` called by the program: before
    and after a client attached and left, ``sys.modules`` holds what a plain run's does plus exactly
    the listed modules and what they import (and ``runpy``, which python's ``-m`` loads; the program
    that imported ``monadapter`` to call ``listen`` keeps it) and the listener's ``selectors`` and
    ``socket``, none of the agent's."""
    program = write_program(tmp_path, LISTENING_PROBE)
    (tmp_path / "STOP").touch()
    plain = snapshots(plain_run(program)[1])
    (tmp_path / "STOP").unlink()
    src = str(Path(__file__).resolve().parent.parent / "src")
    if how == "--listen":
        argv = [sys.executable, "-m", "monadapter", "--listen", "0", "--access-token", "token", str(program)]
    else:
        argv = [sys.executable, str(program), "api"]
    running = RunningProgram(argv, cwd=tmp_path, env={"PYTHONPATH": src, "PYTHONUNBUFFERED": "1"})
    try:
        if how == "--listen":
            port = int(running.wait_for_line("stderr", "monadapter agent listening").rsplit(":", 1)[1])
        else:
            port = int(running.wait_for_line("stdout", "LISTENING").split()[1])
        running.wait_for_line("stdout", "listening")
        async with session() as client:
            await client.configuration_sequence(request="attach", **connect_to(port, "token"))
            await client.disconnect()
        assert running.finish() == 0
    finally:
        running.kill()
    debugged = snapshots("".join(running.stdout))
    if how == "--listen":
        expected = loaded_with((*AGENT_STDLIB, *LISTENER_STDLIB, "runpy"), tmp_path)
        checked = ["start", "listening", "end"]
    else:
        expected = loaded_with((*AGENT_STDLIB, *LISTENER_STDLIB), tmp_path) | {"monadapter"}
        checked = ["listening", "end"]
        assert debugged["start"] == plain["start"]
    for label in checked:
        assert debugged[label] - plain[label] == expected - plain[label], label


FAMILY = """
    import os, subprocess, sys
    def ours():
        return sorted(name for name in sys.modules if name.split(".")[0] == "monadapter")
    if sys.argv[1:] == ["child"]:
        print("child", ours(), flush=True)
        sys.exit(0)
    subprocess.run([sys.executable, __file__, "child"], check=True)
    pid = os.fork()
    if pid == 0:
        print("forked", ours(), flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
    print("parent", ours(), flush=True)
"""


async def test_child_processes_find_none_of_our_modules(tmp_path: Path) -> None:
    """A debugged child (a new python through our sitecustomize, a fork) finds no module of ours in
    ``sys.modules``, as the launched parent does not."""
    program = write_program(tmp_path, FAMILY)

    async def child_session(start: dict[str, Any]) -> None:
        async with client.attached_child(start) as child:
            await child.wait_for_event("terminated", timeout=20)

    async with session() as client:
        client.follow_children = True
        await client.configuration_sequence(**launch_arguments(program, cwd=str(tmp_path)))
        for _ in range(2):  # one after the other: the parent waits for each child
            await child_session(await client.wait_for_child(timeout=20))
        assert await client.wait_for_event("exited", timeout=20)
        assert client.output("stdout") == "child []\nforked []\nparent []\n"


LOADERS = """
    import importlib, sys, threading
    import monadapter.agent as agent
    agent.hide()
    private = ["monadapter.agent.goto", "monadapter.agent.step_targets", "monadapter.agent.completions"]
    shared = ["monadapter.agent.frames", "monadapter.agent.expander", "monadapter.agent.evaluate"]
    assert not [name for name in private + shared if name in agent.MODULES]
    start = threading.Barrier(9)
    got = []
    def importer(index):
        start.wait()
        for name in (private + shared)[index % 6 :] + (private + shared)[: index % 6]:
            if name in private or index % 2:
                got.append(agent.load(name))  # as the agent's own imports
            else:
                got.append(importlib.import_module(name))  # as the program would, by name
    threads = [threading.Thread(target=importer, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join()
    print(len(got), len({id(module) for module in got}), all(agent.MODULES[m.__name__] is m for m in got))
    print(sorted(name for name in sys.modules if name in private + shared))
"""


def test_threads_loading_our_modules_at_once_get_one_copy_each(tmp_path: Path) -> None:
    """Eight threads load six of the agent's lazily loaded modules at once, through the agent's own
    loading and (three of them, in half the threads) by ``import``: each module is loaded once and
    everyone gets that copy; only what was imported by name is in ``sys.modules``."""
    program = write_program(tmp_path, LOADERS)
    src = str(Path(__file__).resolve().parent.parent / "src")
    done = subprocess.run(
        [sys.executable, str(program)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": src},
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        "48 6 True",
        "['monadapter.agent.evaluate', 'monadapter.agent.expander', 'monadapter.agent.frames']",
    ]


USES_THE_API = """
    import pickle, sys
    import monadapter
    import monadapter.agent.attached as attached
    print(monadapter.is_client_connected(), attached.current_debugger() is not None, flush=True)
    print(pickle.loads(pickle.dumps(monadapter.breakpoint)) is monadapter.breakpoint, flush=True)
    print(sorted(name for name in sys.modules if name.split(".")[0] == "monadapter"), flush=True)
"""


async def test_a_launched_program_that_imports_monadapter_gets_the_running_agent(tmp_path: Path) -> None:
    """The agent's modules are out of ``sys.modules``, yet a program that imports ``monadapter`` (to
    ask ``is_client_connected()``), or one of the agent's modules by name, or pickles one of our
    functions, gets the modules the agent runs, not a second copy knowing nothing of the session;
    only what it imported shows in ``sys.modules``."""
    program = write_program(tmp_path, USES_THE_API)
    code, stdout, stderr, _ = await debugged_run(program, [])
    assert (code, stderr) == (0, "")
    assert stdout.splitlines() == [
        "True True",
        "True",
        "['monadapter', 'monadapter.agent', 'monadapter.agent.api', 'monadapter.agent.attached']",
    ]


STACK_PROBE = """
    import inspect, json, os, sys, traceback

    def outer():
        return [(os.path.basename(frame.filename), frame.name) for frame in traceback.extract_stack()]

    print(json.dumps({"module": outer(), "inspect": len(inspect.stack()), "back": sys._getframe().f_back is None}))
"""
#: What stands above the program's module frame when launched (README, Guarantees): our start
#: script's frame and the runner's, and for ``-m`` runpy's ``_run_code`` below them, where plain
#: python shows nothing (``python -m``: runpy's ``_run_module_as_main`` and ``_run_code``).
OURS_ABOVE = [["start_debuggee.py", "<module>"], ["runner.py", "run"]]
RUNPY = [["<frozen runpy>", "_run_module_as_main"], ["<frozen runpy>", "_run_code"]]
#: Under ``python -m monadapter --listen FILE``: runpy's two (python runs monadapter's __main__.py
#: through them), that module's frame and the runner's.
LISTENING_ABOVE = [*RUNPY, ["__main__.py", "<module>"], ["runner.py", "run"]]


@pytest.mark.parametrize("kind", ["program", "module", "listen"])
async def test_the_stack_above_the_programs_own_frames_is_our_start_script_and_runner(
    tmp_path: Path, kind: str
) -> None:
    """``traceback.print_stack()``, ``extract_stack()``, ``inspect.stack()`` and the ``f_back`` chain in
    a launched program: the program's own frames are a plain run's, and above its module frame stand
    exactly the two frames of ours the README names (some frame has to call the program's code;
    python calls a script's from none). Under ``python -m monadapter --listen FILE`` (run without a
    client: it starts at once), runpy's two stand below those two, as the README says too."""
    program = write_program(tmp_path, STACK_PROBE, name="probe.py")
    own = [["probe.py", "<module>"], ["probe.py", "outer"]]
    if kind == "module":  # python -m shows runpy's two frames; launched, runpy's _run_code stands below ours
        plain_arguments, launch, plain_above, ours = ["-m", "probe"], {"module": "probe"}, RUNPY, OURS_ABOVE + RUNPY[1:]
    else:
        plain_arguments, launch, plain_above, ours = [str(program)], {"program": str(program)}, [], OURS_ABOVE
    plain = subprocess.run(
        [sys.executable, *plain_arguments], cwd=tmp_path, capture_output=True, text=True, timeout=30, check=True
    )
    assert json.loads(plain.stdout) == {
        "module": plain_above + own,
        "inspect": len(plain_above) + 1,
        "back": kind != "module",
    }
    if kind == "listen":
        listening = subprocess.run(
            [sys.executable, "-m", "monadapter", "--listen", "0", "--access-token", "token", str(program)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        above = LISTENING_ABOVE
        assert json.loads(listening.stdout) == {"module": above + own, "inspect": len(above) + 1, "back": False}
        return
    async with session() as client:
        assert await client.run_to_end(**launch, cwd=str(tmp_path)) == 0
        assert json.loads(client.output("stdout")) == {"module": ours + own, "inspect": len(ours) + 1, "back": False}


async def test_syntax_warnings_of_the_programs_files_are_shown_as_often_as_in_a_plain_run(tmp_path: Path) -> None:
    """Our compile and parse of a file with breakpoints (its lines, a multi-line statement's head) show
    none of its warnings: python shows them once as it compiles the file (both files compile in each
    run: no bytecode is written), and once is what the program's stderr holds under the debugger too.
    Before, each warning showed two or three times more ("<unknown>:N" from ast.parse among them)."""
    helper = tmp_path / "helper.py"
    helper.write_text(
        'import re\n\ndef digits(text):\n    found = re.findall(\n        "\\d+", text\n    )\n    return found\n'
    )
    program = write_program(
        tmp_path,
        """
        import sys
        sys.dont_write_bytecode = True
        import helper

        def main():
            pattern = (
                "\\w+" if helper.digits("a1") else None
            )
            print(pattern, helper.digits("x12y3"))

        main()
        """,
    )
    breakpoints = {program: [6], helper: [4]}  # each a multi-line statement's first line
    async with session() as client:
        code, stops = await run_continuing(
            client, [], breakpoints=breakpoints, **launch_arguments(program, cwd=str(tmp_path))
        )
        debugged = (code, client.output("stdout"), client.output("stderr"))
    assert len(stops) == 3
    plain = plain_run(program)
    assert plain[2].count("SyntaxWarning") == 2, plain
    assert debugged == plain

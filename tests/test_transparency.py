"""The program must not notice the debugger: probes run under monadapter with each exception filter,
every stop continued at once (after an editor's requests), and their output and exit code compared
with a plain run of the same program.

What a probe looks at: exit codes (``sys.exit`` of int subclasses, strings, None), frames and locals
dying when their function returns (weakref, gc), ``sys.path``, ``sys.argv``, ``threading.enumerate()``,
``sys.gettrace()``/``getprofile()``, builtins and ``sys`` attributes the program replaces or deletes
(``sys._getframe``), signal handlers, ``atexit``, ``faulthandler``. Differences we make on purpose
(README, "Guarantees") are not probed: ``sys.breakpointhook``, our sys.monitoring tool ids, an audit
hook, the agent's modules in ``sys.modules``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
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

"""Which of the agent's own modules a launched debuggee loads at start, and what a module loaded
later may import (benchmarks A2: every module loaded at start costs every debuggee its memory)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from engine_helpers import launch_arguments, run_continuing, session, write_program

from monadapter.agent import drop_annotate

#: The agent's modules a launched program that never stops has loaded when it ends, with an empty
#: ``setBreakpoints`` for its file and no exception filter (benchmarks S1's session). A module added
#: here costs every debuggee its code; load it when a request needs it instead, where possible.
AT_START = (
    "auth", "breakpoint_requests", "breakpoint_table", "callerframe", "channel", "children", "coderules", "codes",
    "debugger", "engine", "exception_stops", "exceptions", "halting",
    "handshake", "interrupt", "launcher", "modules", "ownthread", "parking", "quiet", "records",
    "outcome", "registry", "run_control", "runner", "sources", "stepping", "stop_settings", "threads", "usercode",
    "wire", "wiring",
)  # fmt: skip
#: Our modules loaded later that may be loaded inside a monitoring callback (sourcemap: by a step's
#: first statement head, or by the first code of a file with breakpoints waiting, in PY_START), or
#: while the engine's lock is held (breakpoints, at the first breakpoint set; data_watches and
#: data_stops, at the first request about data breakpoints), or while a thread is paused (handles,
#: exception_info, at the first request about a stop; stack and what it uses, formatting, presentation,
#: static, tasks, value_members and variable_refs, at the first stackTrace or scopes, which are shown
#: even while a thread is paused importing a module the value readers import, dataclasses or typing,
#: tests/test_late_imports.py; pathmap and static with a configuration that needs them; gate in a child
#: waiting for its session; importlocks at the first import of ours of a module not loaded yet, maybe
#: a step's ast in its callback).
LAZY = (
    "breakpoints", "data_stops", "data_watches", "exception_info", "formatting", "gate", "handles", "importlocks",
    "pathmap", "presentation", "sourcemap", "stack", "static", "tasks", "value_members", "variable_refs",
)  # fmt: skip

PROBE = """
    import sys
    import monadapter.agent as agent  # the agent's own package (agent/__init__.py's _LiveFinder)
    ours = sorted(name.rsplit(".", 1)[1] for name in agent.MODULES if name.count(".") == 2)
    before = set(sys.modules)
    for name in {lazy!r}:
        agent.load("monadapter.agent." + name)
    added = sorted(name for name in set(sys.modules) - before if name.split(".")[0] != "monadapter")
    annotated = []  # our modules' functions and methods that still have an __annotate__ function (3.14+)
    for name, module in agent.MODULES.items():
        if not name.startswith("monadapter.agent"):
            continue  # the monadapter package itself is loaded before the agent's loader exists
        members = [(name, vars(module))]
        members += [(value.__qualname__, vars(value)) for value in vars(module).values()
                    if isinstance(value, type) and value.__module__ == name]
        for owner, namespace in members:
            for key, value in namespace.items():
                value = getattr(value, "__func__", getattr(value, "fget", value))
                if getattr(value, "__globals__", None) is vars(module) and getattr(value, "__annotate__", None):
                    annotated.append(owner + "." + key)
    print("RESULT", repr((ours, added, annotated)))
"""


async def test_a_debuggee_loads_only_the_listed_modules_of_ours_and_a_lazy_one_imports_nothing_new(
    tmp_path: Path,
) -> None:
    """At start a launched program's agent has loaded exactly AT_START; each LAZY module, loaded
    afterwards, imports no module the agent had not loaded: so loading it inside a callback (on a
    program thread, maybe under the engine's lock) takes no import lock but its own, which no other
    thread holds for longer than that module's own body runs (a thread paused while importing a
    module of the program holds that module's lock until it is resumed)."""
    program = write_program(tmp_path, PROBE.format(lazy=LAZY))
    async with session() as client:
        arguments = launch_arguments(program, cwd=str(tmp_path))
        code, stops = await run_continuing(client, [], breakpoints={program: []}, **arguments)
        stdout = client.output("stdout")
    assert code == 0 and stops == [], stdout
    line = next(line for line in stdout.splitlines() if line.startswith("RESULT "))
    ours, added, annotated = ast.literal_eval(line.removeprefix("RESULT "))
    assert ours == sorted(AT_START)
    assert not set(LAZY) & set(ours)
    assert added == []
    assert annotated == []  # agent/__init__.py's drop_annotate ran for each, the start and lazy ones


FOREIGN = """
from __future__ import annotations

def imported(x: int) -> str:
    return str(x)
"""

OURS = """
from __future__ import annotations

def function(x: int) -> str:
    def inner(y: int) -> int:
        return y
    return inner

class Outer:
    def method(self, x: int) -> None: ...
    @staticmethod
    def static(x: int) -> None: ...
    @classmethod
    def klass(cls, x: int) -> None: ...
    @property
    def value(self) -> int:
        return 1
    @value.setter
    def value(self, value: int) -> None: ...
    class Nested:
        def method(self, x: int) -> None: ...
"""


def test_drop_annotate_drops_what_the_module_defined_and_nothing_it_imported() -> None:
    """3.14+ gives each annotated function an ``__annotate__`` function with a code object of its own
    (~0.2 MB of a debuggee's agent at start, benchmarks A2): our loader drops those of the functions
    and methods a module of ours defined once it ran, and leaves every imported function and class
    as it was (the program's and the standard library's). 3.12 and 3.13 make none: nothing to drop."""
    foreign: dict[str, object] = {"__name__": "foreign"}
    exec(compile(FOREIGN, "foreign.py", "exec"), foreign)
    ours: dict[str, object] = {"__name__": "ours"}
    exec(compile(OURS, "ours.py", "exec"), ours)
    if sys.version_info < (3, 14):
        assert not hasattr(ours["function"], "__annotate__")
        assert not hasattr(vars(ours["Outer"])["value"].fget, "__annotate__")
        return
    ours["imported"] = foreign["imported"]
    ours["ImportedClass"] = type("ImportedClass", (), {"__module__": "foreign", "method": foreign["imported"]})
    drop_annotate(ours)
    outer = ours["Outer"]
    dropped = [
        ours["function"], outer.method, outer.static, outer.klass, vars(outer)["value"].fget,
        vars(outer)["value"].fset, outer.Nested.method,
    ]  # fmt: skip
    assert [function.__annotate__ for function in dropped] == [None] * len(dropped)
    assert ours["function"].__annotations__ == {}
    assert foreign["imported"].__annotations__ == {"x": "int", "return": "str"}
    assert ours["function"](1).__annotations__ == {"y": "int", "return": "int"}  # made at run time: kept


def test_the_agents_own_modules_lost_their_annotate_functions() -> None:
    """The modules of ours this process loaded (through the agent's loader, as a debuggee does) have
    no ``__annotate__`` functions left on 3.14+, and none to begin with on 3.12 and 3.13."""
    from monadapter.agent import codes, engine, registry

    for function in (engine.Engine.start, codes.existing_code, registry.CodeRegistry.add_existing, drop_annotate):
        assert getattr(function, "__annotate__", None) is None, function

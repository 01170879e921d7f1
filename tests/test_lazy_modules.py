"""Which of the agent's own modules a launched debuggee loads at start, and what a module loaded
later may import (benchmarks A2: every module loaded at start costs every debuggee its memory)."""

from __future__ import annotations

import ast
from pathlib import Path

from engine_helpers import launch_arguments, run_continuing, session, write_program

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
#: exception_info, at the first request about a stop; pathmap and static with a configuration that
#: needs them; gate in a child waiting for its session; importlocks at the first import of ours of a
#: module not loaded yet, maybe a step's ast in its callback).
LAZY = (
    "breakpoints", "data_stops", "data_watches", "exception_info", "gate", "handles", "importlocks", "pathmap",
    "sourcemap", "static",
)  # fmt: skip

PROBE = """
    import sys
    import monadapter.agent as agent  # the agent's own package (agent/__init__.py's _LiveFinder)
    ours = sorted(name.rsplit(".", 1)[1] for name in agent.MODULES if name.count(".") == 2)
    before = set(sys.modules)
    for name in {lazy!r}:
        agent.load("monadapter.agent." + name)
    added = sorted(name for name in set(sys.modules) - before if name.split(".")[0] != "monadapter")
    print("RESULT", repr((ours, added)))
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
    ours, added = ast.literal_eval(line.removeprefix("RESULT "))
    assert ours == sorted(AT_START)
    assert not set(LAZY) & set(ours)
    assert added == []

"""The benchmark runner's cells: each starts with nothing left of the one before, and one whose
debuggee cannot start ends at once, saying why.

The isolation tests run in a child interpreter, since the runner makes itself the subreaper of its
descendants (benchmarks/isolation.py), which the test process must not become. Their processes
are real; the ones that never end on their own block in ``signal.pause()`` until killed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from benchmarks.dap_driver import DapDebugger
from benchmarks.jobs import Context
from benchmarks.report import outcome_notes
from benchmarks.runner import run_all
from benchmarks.scenarios import all_scenarios

REPO = Path(__file__).resolve().parent.parent

#: Run in the child: ``python -c SPAWN_ORPHAN CODE`` starts ``python -c CODE`` in a session of its
#: own (as monadapter starts its debuggee), prints its pid and exits without waiting for it. The
#: orphan's output goes nowhere, so no one reading ours waits for it to end.
SPAWN_ORPHAN = """
import subprocess, sys
quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
print(subprocess.Popen([sys.executable, "-c", sys.argv[1]], start_new_session=True, **quiet).pid)
"""

ISOLATION = """
import json, os, subprocess, sys
from benchmarks import isolation

SPAWN_ORPHAN = {spawn!r}


def orphan(code, **options):
    middle = subprocess.run([sys.executable, "-c", SPAWN_ORPHAN, code], stdout=subprocess.PIPE, check=True, **options)
    return int(middle.stdout)


report = {{"adopted": isolation.adopt_orphans()}}
# one that ends on its own once its stdin closes, a moment after its parent is gone
reader, writer = os.pipe()
ending = orphan("import sys; sys.stdin.read()", stdin=reader)
os.close(reader)
report["ending_seen"] = [leftover.pid for leftover in isolation.leftovers()] == [ending]
os.close(writer)
settled = isolation.settle_now(60)
report["ending"] = {{"killed": len(settled.killed), "left": len(isolation.leftovers()),
                     "in_proc": os.path.exists(f"/proc/{{ending}}")}}
# one that never ends on its own
endless = orphan("import signal; signal.pause()")
settled = isolation.settle_now(0.2)
report["endless"] = {{"killed": [leftover.pid for leftover in settled.killed] == [endless],
                      "left": len(isolation.leftovers()), "in_proc": os.path.exists(f"/proc/{{endless}}"),
                      "log": str(settled)}}
print(json.dumps(report))
"""

RUNNER = """
import json, sys
from pathlib import Path
import anyio
from benchmarks import isolation
from benchmarks.jobs import Context, Driver
from benchmarks.runner import run_all
from benchmarks.scenarios import all_scenarios

SPAWN_ORPHAN = {spawn!r}


class Leaver(Driver):
    name = "leaver"

    async def start_up(self, job, ctx):
        await anyio.run_process([sys.executable, "-c", SPAWN_ORPHAN, "import signal; signal.pause()"])
        return {{"startup": 0.0}}


class Checker(Driver):
    name = "checker"

    async def start_up(self, job, ctx):
        return {{"startup": float(len(isolation.leftovers()))}}


isolation.adopt_orphans()
scenarios = [s for s in all_scenarios(sys.version_info[:2]) if s.key == "start-up"]
log = []
results = anyio.run(lambda: run_all(
    scenarios, [Leaver(), Checker()], Context(sys.executable, Path("."), smoke=True), repeats=1, cutoff=60,
    cell_budget=60, progress=log.append, settle_timeout=0.2,
))
print(json.dumps({{"log": log, "seen_by_next": results.samples["start-up", "checker"][0]["startup"],
                   "left": len(isolation.leftovers())}}))
"""


def _child(script: str) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, "-c", script.format(spawn=SPAWN_ORPHAN)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return dict(json.loads(run.stdout))


def test_processes_a_run_leaves_are_waited_for_reaped_and_killed_when_they_stay() -> None:
    report = _child(ISOLATION)
    assert report["adopted"]
    # an orphan in a session of its own whose parent has exited is still found: the subreaper adopted it
    assert report["ending_seen"]
    # it was waited for, not killed, and reaped (no zombie of it left)
    assert report["ending"] == {"killed": 0, "left": 0, "in_proc": False}
    endless = report["endless"]
    assert endless["killed"] and endless["left"] == 0 and not endless["in_proc"], endless
    assert endless["log"].startswith("still running") and "killed: pid" in endless["log"]


def test_the_next_cell_starts_once_the_processes_of_the_last_are_gone_and_the_log_says_what_was_killed() -> None:
    report = _child(RUNNER)
    assert report["seen_by_next"] == 0.0
    assert report["left"] == 0
    leaver = [line for line in report["log"] if "leaver" in line and "left processes:" in line]
    assert len(leaver) == 1 and "killed: pid" in leaver[0] and "signal.pause()" in leaver[0], report["log"]
    assert not any("checker" in line and "left processes" in line for line in report["log"]), report["log"]


@pytest.mark.timeout(90)
async def test_a_cell_whose_debuggee_cannot_import_the_agent_ends_at_once_with_the_reason(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    # first on the debuggee's path: the agent's own import of threading fails
    (broken / "threading.py").write_text('raise ImportError("this environment is broken")\n', encoding="utf-8")
    monadapter = DapDebugger("monadapter", [sys.executable, "-m", "monadapter"], {"env": {"PYTHONPATH": str(broken)}})
    scenarios = [s for s in all_scenarios(sys.version_info[:2]) if s.key == "S10"]
    ctx = Context(python=sys.executable, scratch=tmp_path, smoke=True)
    assert ctx.timeout >= 120  # what each wait of the run may take: the cell must not wait it out
    log: list[str] = []
    with anyio.fail_after(60):
        results = await run_all(
            scenarios, [monadapter], ctx, repeats=1, cutoff=200, cell_budget=200, progress=log.append
        )
    outcome = results.outcomes["S10", "monadapter"]
    assert outcome.kind == "not supported", outcome
    assert outcome.message.startswith("launch failed: "), outcome.message
    assert "this environment is broken" in outcome.message, outcome.message  # the debuggee's stderr
    assert f"- S10 / monadapter: not supported: {outcome.message}" in outcome_notes(results)

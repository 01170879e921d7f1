"""The results as a Markdown table, plus the machine and versions they were measured on.

Each interpreter's results live between two marker comments in ``RESULTS.md``, so a run on 3.12
replaces only the 3.12 section and the hand-written notes around the sections stay as they are.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path

from benchmarks.runner import Outcome, Results
from benchmarks.scenarios import Figure, Scenario
from benchmarks.stats import Summary

REPO_ROOT = Path(__file__).resolve().parent.parent

_VERSIONS_PROBE = """
import json, platform, sys
found = {"python": sys.version.split()[0], "implementation": platform.python_implementation()}
for name in ("debugpy", "monadapter"):
    try:
        module = __import__(name)
        found[name] = getattr(module, "__version__", "installed")
    except ImportError:
        found[name] = None
print(json.dumps(found))
"""


def interpreter_versions(python: str) -> dict[str, str | None]:
    """Versions as the measured interpreter sees them (it may differ from the runner's)."""
    out = subprocess.run([python, "-c", _VERSIONS_PROBE], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def machine_description() -> dict[str, str]:
    """Operating system, CPU model, core count, load average and the monadapter commit."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO_ROOT)
    dirty = subprocess.run(["git", "status", "--porcelain", "src"], capture_output=True, text=True, cwd=REPO_ROOT)
    revision = (commit.stdout.strip() or "unknown") + (
        " plus uncommitted changes in src/" if dirty.stdout.strip() else ""
    )
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "os": platform.platform(),
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "load average at start": " ".join(f"{x:.2f}" for x in load),
        "monadapter commit": revision,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _format(summary: Summary, unit: str, repeats: int) -> str:
    digits = 3 if unit == "x" else (0 if unit == "entries" else 2)
    suffix = "" if summary.count >= repeats else f" n={summary.count}"
    if summary.low == summary.high:
        return f"{summary.median:.{digits}f}{unit if unit == 'x' else ''}{suffix}"
    return f"{summary.median:.{digits}f} ({summary.low:.{digits}f}–{summary.high:.{digits}f}){suffix}"


def _outcome_cell(outcome: Outcome) -> str:
    if outcome.kind == "cut off":
        return f"cut off (> {outcome.seconds:g} s)"
    return outcome.kind


def _plain_cell(figure: Figure, scenario: Scenario, results: Results) -> str:
    program = scenario.baseline
    if figure.plain_metric is None or program is None:
        return ""
    values = results.plain_series(program.name).get(figure.plain_metric)
    if not values:
        return "missing"
    summary = Summary.of(values)
    if figure.plain_metric == "maxrss_kb":
        return f"{summary.median / 1024:.1f} MB"
    return f"{summary.median:.3f} s"


def _cell(
    figure: Figure, scenario: Scenario, debugger: str, results: Results, repeats: int
) -> tuple[str, Summary | None]:
    key = (scenario.key, debugger)
    if key in results.outcomes and key not in results.samples:
        return _outcome_cell(results.outcomes[key]), None
    run = results.series(key)
    plain = results.plain_series(scenario.baseline.name) if scenario.baseline else {}
    try:
        summary = figure.compute(run, plain)
    except (KeyError, ValueError, IndexError, ZeroDivisionError) as exc:
        return f"missing ({type(exc).__name__})", None
    return _format(summary, figure.unit, repeats), summary


def _verdict(figure: Figure, summary: Summary | None) -> str:
    if figure.target is None:
        return ""
    if summary is None:
        return "not measured"
    return "yes" if summary.median <= figure.target else "**NO**"


def table(scenarios: Sequence[Scenario], debuggers: Sequence[str], results: Results, repeats: int) -> str:
    """The Markdown table: one row per figure, one column per debugger, monadapter's verdict last."""
    verdicts = "monadapter" in debuggers
    head = ["scenario", "figure", "target", "plain", *debuggers] + (["monadapter meets target"] if verdicts else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for scenario in scenarios:
        for figure in scenario.figures:
            cells = [_cell(figure, scenario, name, results, repeats) for name in debuggers]
            verdict = [_verdict(figure, cells[debuggers.index("monadapter")][1])] if verdicts else []
            target = "" if figure.target is None else f"<= {figure.target:g} {figure.unit}"
            row = [scenario.key, f"{figure.label} ({figure.unit})", target, _plain_cell(figure, scenario, results)]
            lines.append("| " + " | ".join(row + [text for text, _ in cells] + verdict) + " |")
    return "\n".join(lines)


def outcome_notes(results: Results) -> str:
    """Why each empty cell is empty, in the debugger's own words."""
    if not results.outcomes:
        return "Every debugger ran every scenario."
    return "\n".join(
        f"- {scenario} / {debugger}: {outcome.kind}: {outcome.message}"
        for (scenario, debugger), outcome in sorted(results.outcomes.items())
    )


def section(
    scenarios: Sequence[Scenario],
    debuggers: Sequence[str],
    results: Results,
    *,
    machine: dict[str, str],
    python: str,
    repeats: int,
    command: str,
) -> str:
    """One interpreter's results: machine (described before the run), versions, the table and
    the notes on empty cells."""
    versions = interpreter_versions(python)
    facts = {**machine, **{k: str(v) for k, v in versions.items()}}
    lines = [
        f"### Python {versions['python']}",
        "",
        *(f"- {name}: {value}" for name, value in facts.items()),
        f"- command: `{command}`; {repeats} repeats, interleaved; whole run {results.seconds:.0f} s",
        "- cells: median (min–max) over the repeats; `n=` when fewer runs finished",
        "",
        table(scenarios, debuggers, results, repeats),
        "",
        "Cells without figures:",
        "",
        outcome_notes(results),
    ]
    return "\n".join(lines)


def write_section(path: Path, version: str, text: str) -> None:
    """Put ``text`` between this version's markers in ``path``, replacing what was there."""
    begin, end = f"<!-- results {version} -->", f"<!-- end results {version} -->"
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    block = f"{begin}\n{text}\n{end}"
    if begin in old and end in old:
        before, _, rest = old.partition(begin)
        _, _, after = rest.partition(end)
        new = before + block + after
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(new, encoding="utf-8")

"""A tiny run of the benchmark runner (``python -m benchmarks --smoke``) so it does not rot.

No timing is asserted (speed is the benchmarks' business, not the tests'): only that the runner
drives monadapter and pdb through a whole session and writes a well-formed table. The runner's
cut-off for a single run is raised out of the way, so a slow machine is no failure.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.report import write_section

REPO = Path(__file__).resolve().parent.parent


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


@pytest.mark.timeout(240)
def test_smoke_run_measures_monadapter_and_pdb_and_writes_results(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    command = ["--smoke", "--debuggers", "monadapter,pdb", "--cutoff", "200", "--results", str(results)]
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", *command], cwd=REPO, capture_output=True, text=True, timeout=230
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    header = _cells(next(line for line in lines if line.startswith("| scenario")))
    assert header[4:6] == ["monadapter", "pdb"]
    rows = [_cells(line) for line in lines if line.startswith("| S2 nbody")]
    assert [row[1] for row in rows] == ["compute time ratio (x)", "wall ratio, launch to terminated (x)"]
    for row in rows:
        # A figure, not "error" / "not supported": both debuggers ran the program to its end.
        assert re.fullmatch(r"\d+\.\d{3}x", row[4]), row
        assert re.fullmatch(r"\d+\.\d{3}x", row[5]), row
        assert re.fullmatch(r"\d+\.\d{3} s", row[3]), row
    assert "Every debugger ran every scenario." in run.stdout
    written = results.read_text(encoding="utf-8")
    version = "{}.{}".format(*sys.version_info[:2])
    assert f"<!-- results {version} -->" in written and "| S2 nbody |" in written


@pytest.mark.unit
def test_a_new_section_replaces_only_its_own_interpreter(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text("# Results\n\nNotes written by hand.\n", encoding="utf-8")
    write_section(results, "3.13", "first 3.13 table")
    write_section(results, "3.12", "the 3.12 table")
    write_section(results, "3.13", "second 3.13 table")
    text = results.read_text(encoding="utf-8")
    assert "Notes written by hand." in text
    assert "first 3.13 table" not in text
    assert text.count("second 3.13 table") == 1 and text.count("the 3.12 table") == 1
    assert text.index("second 3.13 table") < text.index("the 3.12 table")

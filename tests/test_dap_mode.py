"""Emacs dap-mode (Debian's elpa-dap-mode) drives the real adapter: tests/dap_mode/scenarios.el.

One batch Emacs runs one session through EDITORS.md's dap-mode configuration: launch, a breakpoint
hit, the stack, variables, dap-eval (context "hover", answered with a call thanks to the template's
hoverRunsCode), a stop at a condition that raises (once: its later errors only show in the output
buffer), a second hit, logpoint output in dap-mode's output buffer, the run to the end; then
a session with console integratedTerminal, whose runInTerminal dap-mode joins with spaces and runs
in a shell: the program reads its input there, stops, and ends.
Skipped only where Emacs is not installed; .ci/run installs emacs-nox and elpa-dap-mode.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "tests" / "dap_mode" / "scenarios.el"
EXPECTED = [
    "launch",
    "breakpoints verified at once",
    "breakpoint hit",
    "stack",
    "variables",
    "evaluate",
    "hover evaluate runs a call",
    "raising condition stops once",
    "second hit",
    "logpoint output shown",
    "condition errors shown, one stop",
    "continue to the end",
    "integrated terminal runs the program, which reads its input",
]


@pytest.mark.timeout(120)
@pytest.mark.skipif(shutil.which("emacs") is None, reason="emacs is not installed (.ci/run installs it)")
def test_dap_mode_scenarios(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "HOME": str(tmp_path),  # dap-mode and lsp-mode keep files under ~/.emacs.d
        "MONADAPTER_PYTHON": sys.executable,
        "MONADAPTER_EDITORS_MD": str(ROOT / "vscode-extension" / "EDITORS.md"),
        "MONADAPTER_SCENARIO_DIR": str(tmp_path),
    }
    result = subprocess.run(
        ["emacs", "--batch", "-l", str(SCENARIOS)], env=env, capture_output=True, text=True, timeout=100
    )
    passed = [line.removeprefix("ok: ") for line in result.stdout.splitlines() if line.startswith("ok: ")]
    assert (result.returncode, passed) == (0, EXPECTED), result.stdout + result.stderr

"""The README's first command runs examples/demo_session.py: keep it working."""

import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).parents[1] / "examples" / "demo_session.py"


def test_demo_session_stops_inspects_and_changes_the_program() -> None:
    result = subprocess.run([sys.executable, str(DEMO)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "stopped: reason=breakpoint" in out
    assert "at restock (inventory.py:11)" in out
    assert "name = 'apples'" in out
    assert "evaluate 'stock[name] + 1' -> 4" in out
    # minimum = 7 was set in the paused frame, and the program really used it
    assert "stock now: {'apples': 7, 'pears': 12, 'plums': 7}" in out
    assert "exit code: 0" in out

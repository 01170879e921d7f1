"""The sys.monitoring facts the engine relies on (docs/sys-monitoring/) hold on this interpreter, and every
``docs/...`` path the source cites exists: a citation that went stale fails here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FACTS = ROOT / "docs" / "sys-monitoring"
SCRIPTS = sorted(FACTS.glob("*.py"))
#: a path under docs/ as the source cites it (``docs/sys-monitoring/tool_order.py``)
CITATION = re.compile(r"\bdocs/[\w./-]*\w")


@pytest.mark.parametrize("script", SCRIPTS, ids=[script.name for script in SCRIPTS])
def test_fact_holds(script: Path) -> None:
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "ok\n"), done.stderr


def test_every_fact_script_is_listed_in_the_readme() -> None:
    readme = (FACTS / "README.md").read_text()
    assert [script.name for script in SCRIPTS if f"`{script.name}`" not in readme] == []


def test_every_cited_docs_path_exists() -> None:
    cited: dict[str, list[str]] = {}
    for source in sorted((ROOT / "src").rglob("*.py")):
        for path in CITATION.findall(source.read_text()):
            cited.setdefault(path, []).append(source.relative_to(ROOT).as_posix())
    assert any(path.startswith("docs/sys-monitoring/") for path in cited)
    assert {path: where for path, where in cited.items() if not (ROOT / path).exists()} == {}


def test_no_source_cites_notes_outside_the_repository() -> None:
    """The facts used to be cited as "facts §N" of a notes file that is not in the repository."""
    stale = [
        source.relative_to(ROOT).as_posix()
        for source in sorted((ROOT / "src").rglob("*.py"))
        if re.search(r"facts §|sys-monitoring-facts|peers\.md", source.read_text())
    ]
    assert stale == []

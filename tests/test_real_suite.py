"""A real project's test suite under the debugger: more-itertools' own tests (from its sdist, which
``.ci/run`` downloads into ``<venv>/suite``) run under monadapter with the ``raised`` filter on,
every stop continued at once, and pass and fail exactly as in a plain run.

The suite runs from the unpacked sdist, so more_itertools itself is user code there: the filter stops
wherever it or its tests raise, and the program goes on from every one of those stops.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from engine_helpers import run_continuing, session

#: Where .ci/run puts the sdist (pip download --no-deps --no-binary :all: more-itertools==VERSION -d DIR).
SUITE_DIR = Path(sys.prefix) / "suite"
#: Runs the suite as ``python -m unittest tests.test_more`` does (test_recipes is left out for its
#: 19 s prime sieve), less one test that races a thread: it expects a worker thread to have raised
#: before the main thread looks, and a debugger stopping that worker at its raise loses the race.
RUNNER = """
import sys, unittest

RACY = {"tests.test_more.CallbackIterTests.test_exception"}

def kept(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield unittest.TestSuite(kept(test))
        elif test.id() not in RACY:
            yield test

suite = unittest.TestSuite(kept(unittest.defaultTestLoader.loadTestsFromName("tests.test_more")))
sys.exit(not unittest.TextTestRunner().run(suite).wasSuccessful())
"""


def unpacked_suite(directory: Path) -> Path:
    """The more-itertools sdist unpacked under ``directory``; the test is skipped without one."""
    archives = sorted(SUITE_DIR.glob("more_itertools-*.tar.gz"))
    if not archives:
        pytest.skip(f"no more-itertools sdist in {SUITE_DIR}: .ci/run downloads it")
    with tarfile.open(archives[-1]) as archive:
        archive.extractall(directory, filter="data")
    (root,) = [path for path in directory.iterdir() if path.name.startswith("more_itertools-")]
    return root


def counts(report: str) -> tuple[int, int, int, int]:
    """(tests run, failures, errors, skipped) from unittest's summary."""
    ran = re.search(r"^Ran (\d+) tests?", report, re.MULTILINE)
    assert ran is not None, report[-2000:]
    outcome = {name: int(number) for name, number in re.findall(r"(failures|errors|skipped)=(\d+)", report)}
    return int(ran.group(1)), outcome.get("failures", 0), outcome.get("errors", 0), outcome.get("skipped", 0)


@pytest.mark.timeout(240)
async def test_more_itertools_suite_passes_and_fails_as_in_a_plain_run(tmp_path: Path) -> None:
    root = unpacked_suite(tmp_path)
    runner = root / "run_suite.py"
    runner.write_text(RUNNER)
    plain = subprocess.run(
        [sys.executable, str(runner)],
        cwd=root,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    async with session() as client:
        code, stops = await run_continuing(
            client, ["raised"], inspect=False, program=str(runner), cwd=str(root), python=sys.executable
        )
        debugged = counts(client.output("stderr"))
    assert (code, debugged) == (plain.returncode, counts(plain.stderr))
    assert debugged[0] > 500 and stops, (debugged, len(stops))

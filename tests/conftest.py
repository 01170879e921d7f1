"""Fixtures shared by the test suite: inline programs, a real adapter process, a connected client.

Two tiers: tests marked ``unit`` run in the test process and start no process (``python -m pytest -m
unit`` takes seconds); every other test is end to end (a real adapter, a real debuggee). A ``unit``
test that starts a process anyway fails, saying so (``_unit_tests_start_no_process``).
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import pytest_asyncio
from dap_schema import dap_log_dir  # noqa: F401 (a fixture: every adapter session is schema-checked)

from monadapter.client import DapClient

#: Audit events of the calls that start a process (sys.audit's table of events).
_PROCESS_START_EVENTS = frozenset(
    {"subprocess.Popen", "os.posix_spawn", "os.fork", "os.forkpty", "os.system", "os.exec", "os.spawn", "pty.spawn"}
)


class _ProcessStarts:
    """What the audit hook saw while a ``unit`` test ran (the hook itself cannot be removed)."""

    watching = False
    seen: list[str] = []


def _note_process_start(event: str, args: tuple[object, ...]) -> None:
    if _ProcessStarts.watching and event in _PROCESS_START_EVENTS:
        _ProcessStarts.seen.append(f"{event} {args[:2]!r}")


sys.addaudithook(_note_process_start)

# Tests press Ctrl-C at adapters and debuggees (SIGINT). A shell starts a background job with SIGINT
# ignored (`bash .ci/run &` from a script), and an ignored signal stays ignored in every process
# started from it: the adapters then never saw those Ctrl-Cs, and every test that stops its adapter
# waited out the timeout and failed. The suite gives its processes Ctrl-C as a terminal would.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _unit_tests_start_no_process(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test marked ``unit`` belongs to the in-process tier: it fails if it starts a process."""
    if request.node.get_closest_marker("unit") is None:
        yield
        return
    _ProcessStarts.seen = []
    _ProcessStarts.watching = True
    try:
        yield
    finally:
        _ProcessStarts.watching = False
    if _ProcessStarts.seen:
        pytest.fail(f"a test marked unit started a process ({_ProcessStarts.seen[0]}): it is end to end", pytrace=False)


#: The line the adapter prints on stderr once it listens.
LISTENING = re.compile(r"monadapter listening on (?P<host>\S+):(?P<port>\d+)$")
#: Seconds the adapter may take to print its listening line, and to exit on Ctrl-C.
ADAPTER_TIMEOUT = 20.0


class AdapterAddress(NamedTuple):
    """Where the adapter under test listens, and where it writes its session logs."""

    host: str
    port: int
    log_dir: Path


@pytest.fixture
def make_program(tmp_path: Path) -> Callable[..., Path]:
    """Write a program to tmp_path and return its path: ``make_program(text, name="program.py")``.

    The text is dedented, so programs can be written inline and indented with the test.
    """

    def make(text: str, name: str = "program.py") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return make


class AdapterProcess:
    """``python -m monadapter --port 0 OPTIONS`` running, with the address from its listening line."""

    def __init__(self, *options: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "monadapter", "--port", "0", *options],
            stdin=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stderr is not None
        first = self.process.stderr.readline().rstrip("\n")
        match = LISTENING.match(first)
        if match is None:
            self.process.kill()
            rest = self.process.stderr.read()
            self.process.wait()
            self.process.stderr.close()
            raise AssertionError(f"the adapter did not report its port; stderr: {first!r} {rest!r}")
        self.host = match["host"]
        self.port = int(match["port"])
        #: what the adapter wrote to stderr after the listening line
        self.stderr: list[str] = []
        self._reader = threading.Thread(target=lambda: self.stderr.extend(self.process.stderr), daemon=True)  # type: ignore[arg-type]
        self._reader.start()

    def stop(self, signum: int | None = signal.SIGINT) -> int:
        """Stop the adapter with ``signum`` (default: as Ctrl-C would; None: it was told already)
        and return its exit code; kill it if it does not exit in time."""
        if signum is not None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(ADAPTER_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            self._reader.join(ADAPTER_TIMEOUT)
            self.process.stderr.close()  # type: ignore[union-attr]


@pytest.fixture
def adapter(dap_log_dir: Path) -> Iterator[AdapterAddress]:  # noqa: F811
    """A real adapter process listening on a free port; its session logs are schema-checked."""
    process = AdapterProcess("--log-dir", str(dap_log_dir))
    try:
        yield AdapterAddress(process.host, process.port, dap_log_dir)
    finally:
        process.stop()


@pytest_asyncio.fixture
async def client(adapter: AdapterAddress) -> AsyncIterator[DapClient]:
    """A client connected to the ``adapter`` fixture, already initialized."""
    async with DapClient.connect(adapter.host, adapter.port) as connected:
        await connected.initialize()
        yield connected


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The long fuzz run (``@pytest.mark.fuzz_long``) runs only when asked for: ``pytest -m fuzz_long``.

    Otherwise its items are deselected (not skipped), so a normal run's summary counts only what ran.
    """
    if "fuzz_long" in (config.option.markexpr or ""):
        return
    long_runs = [item for item in items if item.get_closest_marker("fuzz_long") is not None]
    if long_runs:
        config.hook.pytest_deselected(items=long_runs)
        items[:] = [item for item in items if item.get_closest_marker("fuzz_long") is None]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many cases the fuzz runs sent (tests/test_fuzz.py records them; xdist passes them on)."""
    counts = [
        (report.nodeid, value)
        for report in terminalreporter.stats.get("passed", [])
        for name, value in getattr(report, "user_properties", [])
        if name == "fuzz_cases" and report.when == "call"
    ]
    if counts:
        terminalreporter.write_sep("-", f"fuzz: {sum(count for _, count in counts)} cases")
        for nodeid, count in counts:
            terminalreporter.write_line(f"{count} cases: {nodeid}")

"""Programs that keep running while clients attach to them, for the attach tests (real processes)."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

from monadapter.client import DapClient

#: Seconds a program may take to print a line we wait for, or to exit once told to.
PROGRAM_TIMEOUT = 30.0
#: The loop every test program here ends with: ``work`` runs until a file STOP appears (and a
#: ValueError is raised and caught each time a file RAISE appears).
LOOP = """
def work(i):
    value = i * 2  # the breakpoint line
    return value


i = 0
while not os.path.exists("STOP"):
    work(i)
    i += 1
    if os.path.exists("RAISE"):  # a test asks for an exception (raised and caught)
        os.remove("RAISE")
        try:
            raise ValueError("asked for")
        except ValueError:
            pass
    time.sleep(0.005)
print("done", flush=True)
"""
#: What the API program does before its loop.
API_PRELUDE = """
import monadapter

host, port = monadapter.listen(0, **LISTEN_ARGUMENTS)
print("LISTENING", port, flush=True)
"""


def looping_program(prelude: str) -> str:
    """The text of a program: ``import os, sys, time``, ``prelude``, then :data:`LOOP`."""
    return "import os, sys, time\n" + textwrap.dedent(prelude).strip("\n") + "\n\n\n" + LOOP.lstrip("\n")


def work_line(text: str) -> int:
    """The line of ``work``'s body in a :func:`looping_program`."""
    return text.splitlines().index("    value = i * 2  # the breakpoint line") + 1


#: The line of ``work``'s body in the API program.
WORK_LINE = work_line(looping_program(API_PRELUDE))


class RunningProgram:
    """A program running as its own process; its stdout and stderr lines are collected as they come."""

    def __init__(self, argv: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.stop_file = cwd / "STOP"
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env={**os.environ, **(env or {})},
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._lines: queue.SimpleQueue[tuple[str, str | None]] = queue.SimpleQueue()
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, "stdout", self.stdout), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stderr, "stderr", self.stderr), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @classmethod
    def api(cls, tmp_path: Path, python: str = sys.executable, **listen_arguments: Any) -> RunningProgram:
        """Run the API program (``monadapter.listen(0, **listen_arguments)``, then :data:`LOOP`) and wait
        until it listens."""
        source = looping_program(API_PRELUDE.replace("LISTEN_ARGUMENTS", repr(listen_arguments)))
        path = tmp_path / "served.py"
        path.write_text(source, encoding="utf-8")
        src = str(Path(__file__).resolve().parent.parent / "src")
        program = cls([python, str(path)], cwd=tmp_path, env={"PYTHONPATH": src})
        program.port = int(program.wait_for_line("stdout", "LISTENING").split()[1])
        program.path = path
        return program

    port: int
    path: Path

    def _read(self, stream: Any, name: str, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)
            self._lines.put((name, line))
        self._lines.put((name, None))

    def wait_for_line(self, stream: str, start: str) -> str:
        """The first line (seen from now on, or already seen) of ``stream`` that starts with ``start``."""
        seen = self.stdout if stream == "stdout" else self.stderr
        for line in list(seen):
            if line.startswith(start):
                return line
        while True:
            try:
                name, next_line = self._lines.get(timeout=PROGRAM_TIMEOUT)
            except queue.Empty:
                raise AssertionError(f"no {stream} line starting {start!r}; stderr: {''.join(self.stderr)}") from None
            if name == stream and next_line is None:
                raise AssertionError(f"{stream} ended without {start!r}; stderr: {''.join(self.stderr)}")
            if name == stream and next_line is not None and next_line.startswith(start):
                return next_line

    def finish(self) -> int:
        """Tell the program to stop (its loop ends), wait for it and return its exit code."""
        self.stop_file.touch()
        try:
            return self.process.wait(PROGRAM_TIMEOUT)
        finally:
            self._close()

    def kill(self) -> None:
        """Make sure the program is gone (a test that failed half-way left it running)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close()

    def _close(self) -> None:
        for reader in self._readers:
            reader.join(PROGRAM_TIMEOUT)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


async def attach_and_stop(client: DapClient, path: Path, line: int, **attach: Any) -> dict[str, Any]:
    """Attach ``client``, set one breakpoint, finish configuring, and return the ``stopped`` event."""
    await client.configuration_sequence({path: [line]}, request="attach", **attach)
    return await client.wait_for_event("stopped")


def connect_to(port: int, token: str | None = None) -> dict[str, Any]:
    """The attach arguments for a program listening on loopback ``port``."""
    arguments: dict[str, Any] = {"connect": {"host": "127.0.0.1", "port": port}}
    if token is not None:
        arguments["accessToken"] = token
    return arguments

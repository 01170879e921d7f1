"""Each measured run starts only once every process of the run before it is gone.

An adapter can exit before the processes it started: after about half of debugpy's runs its
launcher was still there, exiting up to ~0.1 s (and ~20 ms of CPU) after the adapter, that is
while the next run started. Waiting for the adapter process is not enough, and its process
session (the adapter starts in one of its own) does not name every process of a run either:
monadapter starts its debuggee in a session of its own too.

So the runner makes itself the *subreaper* of its descendants (Linux ``PR_SET_CHILD_SUBREAPER``,
:func:`adopt_orphans`): a process whose parent exits is re-parented to the runner instead of
init, so every process a run started stays a descendant of the runner, and between two runs
there must be none. :func:`settle` waits for them to exit (on their pidfds: no fixed sleep),
reaps the ones the runner inherited, and kills what is still there after a few seconds, saying so.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import anyio

#: Seconds the processes left by a run get to exit on their own before they are killed.
SETTLE_TIMEOUT = 5.0
#: Seconds killed processes get to disappear (SIGKILL cannot be refused: this only bounds the wait).
_KILL_WAIT = 5.0
_PR_SET_CHILD_SUBREAPER = 36
_PROC = Path("/proc")
#: How much of a leftover's command line the log shows.
_COMMAND_SHOWN = 100


def adopt_orphans() -> bool:
    """Make this process the subreaper of its descendants; False where the system has no such thing."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return False
    return bool(prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)


@dataclass(frozen=True, slots=True)
class Leftover:
    """A process still there after a run: its pid and (the start of) its command line."""

    pid: int
    command: str

    def __str__(self) -> str:
        return f"pid {self.pid} ({self.command})"


@dataclass(frozen=True, slots=True)
class Settled:
    """What :func:`settle` found: the processes a run left, how long they were waited for (until
    they were gone, or until they were killed), the ones it killed."""

    found: tuple[Leftover, ...] = ()
    seconds: float = 0.0
    killed: tuple[Leftover, ...] = ()

    def __str__(self) -> str:
        if not self.found:
            return "nothing left"
        if self.killed:
            return f"still running {self.seconds:.1f} s later, killed: " + ", ".join(map(str, self.killed))
        return f"gone {self.seconds:.2f} s later: " + ", ".join(map(str, self.found))


def _table() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, state letter) of every process in /proc."""
    found: dict[int, tuple[int, str]] = {}
    for entry in os.scandir(_PROC):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_bytes()
        except OSError:  # gone since the listing
            continue
        # "pid (command) state ppid ...": the command may hold spaces and parentheses
        state, parent = stat.rpartition(b")")[2].split()[:2]
        found[int(entry.name)] = (int(parent), state.decode())
    return found


def _command(pid: int) -> str:
    """The command line of ``pid``; the bracketed name alone for one that is exiting (its command
    line is gone by then)."""
    try:
        raw = (
            Path(_PROC, str(pid), "cmdline").read_bytes()
            or b"[" + Path(_PROC, str(pid), "comm").read_bytes().strip() + b"]"
        )
    except OSError:
        return "?"
    return raw.rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace")[:_COMMAND_SHOWN]


def leftovers() -> list[Leftover]:
    """This process's living descendants. Zombies are not counted (they use nothing): the ones that
    are this process's children (inherited as subreaper) are reaped here."""
    if not _PROC.is_dir():
        return []
    me = os.getpid()
    children: dict[int, list[int]] = {}
    table = _table()
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    found: list[Leftover] = []
    pending = list(children.get(me, ()))
    while pending:
        pid = pending.pop()
        pending += children.get(pid, ())
        if table[pid][1] != "Z":
            found.append(Leftover(pid, _command(pid)))
        elif table[pid][0] == me:
            _reap(pid)
    return found


def _reap(pid: int) -> None:
    try:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG)
    except ChildProcessError:  # reaped meanwhile by whoever started it
        pass


def _wait_for_an_exit(pids: list[int], deadline: float) -> None:
    """Block until one of ``pids`` exits or ``deadline`` (time.monotonic) passes."""
    poller = select.poll()
    opened: list[int] = []
    try:
        for pid in pids:
            try:
                descriptor = os.pidfd_open(pid)
            except ProcessLookupError:
                return  # already gone: the caller looks again
            opened.append(descriptor)
            poller.register(descriptor, select.POLLIN)
        poller.poll(max(0.0, deadline - time.monotonic()) * 1000)
    finally:
        for descriptor in opened:
            os.close(descriptor)


def _wait_for_exits(deadline: float) -> list[Leftover]:
    """Wait until no descendant lives or ``deadline`` (time.monotonic) passes; return those left."""
    while (remaining := leftovers()) and time.monotonic() < deadline:
        _wait_for_an_exit([leftover.pid for leftover in remaining], deadline)
    return remaining


def _kill_all(deadline: float) -> list[Leftover]:
    """SIGKILL every living descendant (and any it starts meanwhile), waiting for them to go until
    ``deadline``; return the ones killed."""
    killed: dict[int, Leftover] = {}
    while (remaining := leftovers()) and time.monotonic() < deadline:
        for leftover in remaining:
            if leftover.pid not in killed:
                killed[leftover.pid] = leftover
                try:
                    os.kill(leftover.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        _wait_for_an_exit([leftover.pid for leftover in remaining], deadline)
    return list(killed.values())


def settle_now(timeout: float = SETTLE_TIMEOUT) -> Settled:
    """Wait up to ``timeout`` seconds for this process's descendants to exit, then kill the rest."""
    started = time.monotonic()
    found = leftovers()
    if not found:
        return Settled()
    left = _wait_for_exits(started + timeout)
    waited = time.monotonic() - started
    killed = _kill_all(time.monotonic() + _KILL_WAIT) if left else []
    return Settled(tuple(found), waited, tuple(killed))


async def settle(timeout: float = SETTLE_TIMEOUT) -> Settled:
    """:func:`settle_now` in a worker thread, so the event loop stays free while it waits."""
    return await anyio.to_thread.run_sync(settle_now, timeout)

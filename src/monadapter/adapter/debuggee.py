"""The debuggee process as the adapter sees it: spawn, output capture, exit code, termination.

Exit codes: a process that exits reports its own code; one killed by signal N reports
``128 + N`` (the shell's convention, so SIGKILL is 137 and SIGTERM 143), because DAP's
``exitCode`` is an integer and a negative number means nothing to most users.

The debuggee runs in its own session (``start_new_session``), so it is the leader of a new
process group: terminating the group also ends every child it started that stayed in it.

It is a plain ``subprocess.Popen`` whose pipes and exit are waited for in worker threads, not an
asyncio subprocess: asyncio kills the subprocesses it still tracks when its loop closes, and a
debuggee the user detached from must outlive the adapter.
"""

from __future__ import annotations

import codecs
import os
import select
import signal
import subprocess
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

#: After the process exited, how long its pipes may stay open (held by a child) before we stop reading.
DRAIN_TIMEOUT = 2.0
#: How long a terminated debuggee gets between SIGTERM and SIGKILL.
TERMINATE_GRACE = 2.0
#: How often terminate() looks whether the process is gone.
_POLL_INTERVAL = 0.02
_READ_SIZE = 65536
#: How long a chunk that ends mid-line waits for the rest of its line.
_LINE_WAIT = 0.002
#: Worker threads for pipes and exits: three per debuggee for its whole life, so they get their
#: own limiter rather than eating anyio's default pool of 40 that the rest of the adapter shares.
_PIPE_THREADS = anyio.CapacityLimiter(1_000_000)

Emit = Callable[[str, dict[str, Any]], Awaitable[None]]


def exit_code(returncode: int) -> int:
    """The DAP exitCode for a process return code: ``128 + N`` when killed by signal N."""
    return 128 - returncode if returncode < 0 else returncode


class Debuggee:
    """A running debuggee: its pid, its exit, and how to end it.

    ``process`` is None when the client started it (``runInTerminal``) or when we attached to it:
    then the adapter cannot read its exit code or output, and the end of the agent connection
    marks its end.
    """

    def __init__(self, pid: int, process: subprocess.Popen[bytes] | None, *, attached: bool = False) -> None:
        self.pid = pid
        self.process = process
        #: attached to a program someone else started: never signalled, only detached from
        self.attached = attached
        self.exit_code: int | None = None
        #: set once the process ended and its output was read (or, without a process, the agent left)
        self.ended = anyio.Event()
        self.detached = False

    async def watch(self, emit: Emit, redirect_output: bool = True) -> None:
        """Forward output as ``output`` events until exit, then send ``exited`` and ``terminated``.

        With ``redirect_output`` false (the launch's ``redirectOutput``) the output is read and
        dropped: the pipes must still be emptied or the program would block writing.

        Both pipes are read to the end before ``exited`` goes out, so no output is lost; a child
        that keeps a pipe open can delay that by at most :data:`DRAIN_TIMEOUT` seconds.
        """
        process = self.process
        assert process is not None and process.stdout is not None and process.stderr is not None
        async with anyio.create_task_group() as pumps:
            pumps.start_soon(_pump, process.stdout.fileno(), "stdout", emit if redirect_output else None)
            pumps.start_soon(_pump, process.stderr.fileno(), "stderr", emit if redirect_output else None)
            returncode = await anyio.to_thread.run_sync(process.wait, abandon_on_cancel=True, limiter=_PIPE_THREADS)
            pumps.cancel_scope.deadline = anyio.current_time() + DRAIN_TIMEOUT
        if not pumps.cancel_scope.cancelled_caught:
            # read to the end: safe to close. Otherwise a worker thread may still be reading
            # (a child holds the pipe open); closing would let the fd number be reused under it.
            process.stdout.close()
            process.stderr.close()
        self.exit_code = exit_code(returncode)
        if not self.detached:
            await emit("exited", {"exitCode": self.exit_code})
            await emit("terminated", {})
        self.ended.set()

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the debuggee and the children in its process group.

        A debuggee the client started in a terminal is not a group leader of ours: its group may
        hold the terminal's shell or the client itself, so only the process gets the signal.
        """
        if self.pid <= 0:
            return  # a terminal debuggee whose pid we don't know yet: 0 would mean our own group
        try:
            if self.process is not None:
                os.killpg(self.pid, signum)
            else:
                os.kill(self.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass  # already gone

    async def terminate(self, *, grace: float = TERMINATE_GRACE) -> None:
        """End the debuggee: SIGTERM to its group, SIGKILL if it is still there after ``grace``.

        Does nothing to a program we attached to: it is not ours to end.

        Returns once the process is gone; its ``exited``/``terminated`` events may still be on
        their way (wait for :attr:`ended` for those).
        """
        for signum in (signal.SIGTERM, signal.SIGKILL):
            if self.attached or self.pid <= 0 or self._gone():
                return
            self.signal(signum)
            with anyio.move_on_after(grace):
                while not self._gone():
                    await anyio.sleep(_POLL_INTERVAL)

    def _gone(self) -> bool:
        if self.process is not None:
            return self.process.poll() is not None
        return self.ended.is_set()


async def _pump(fd: int, category: str, emit: Emit | None) -> None:
    """Turn one pipe into ``output`` events (or drop it, without ``emit``), decoding UTF-8 across chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    while True:
        try:
            data = await anyio.to_thread.run_sync(_read_lines, fd, abandon_on_cancel=True, limiter=_PIPE_THREADS)
        except OSError:
            data = b""
        text = decoder.decode(data, final=not data)
        if text and emit is not None:
            await emit("output", {"category": category, "output": text})
        if not data:
            return


def _read_lines(fd: int) -> bytes:
    """Read what the pipe has; if that ends mid-line, wait a moment for the rest of the line.

    An unbuffered ``print("x")`` writes "x" and the newline separately; without this the two
    would often become two ``output`` events.
    """
    data = os.read(fd, _READ_SIZE)
    while (
        data
        and not data.endswith(b"\n")
        and len(data) < _READ_SIZE  # a stream without newlines still goes out in pieces
        and select.select([fd], [], [], _LINE_WAIT)[0]
    ):
        more = os.read(fd, _READ_SIZE)
        if not more:
            break  # end of stream: the next read says so again
        data += more
    return data

"""Attaching to a running process by its id: ``sys.remote_exec`` (PEP 768, Python 3.14+).

Standard library only (``python -m monadapter --listen ... --pid N`` uses it, and so does the
adapter for ``attach`` with ``processId``). We write a small bootstrap script and have the target's
own interpreter binary (``/proc/PID/exe``: ``remote_exec`` only talks to its own version) run
``sys.remote_exec(PID, SCRIPT)``; the target runs the script at its next safe point, on its main
thread, once that thread runs Python code (a thread blocked in a long system call runs it when the
call returns). The script puts the directory holding our ``monadapter`` on ``sys.path`` just long
enough to import the agent (the target needs nothing installed) and starts one of our threads; the
main thread goes on at once.

Python 3.12/3.13 have no ``remote_exec``: there the request fails at once saying what to do instead.
"""

from __future__ import annotations

import os
import socket
import sys
import time

from monadapter.agent.records import Value

#: The first Python whose processes can be attached to by id.
REMOTE_EXEC_VERSION = (3, 14)
#: The directory holding the ``monadapter`` package the bootstrap imports the agent from.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: How long a process's session may take to end before a new client is told it is taken.
SESSION_END_GRACE = 3.0
#: Exit code of the helper when the target's Python is too old; it prints the version.
_TOO_OLD = 3
#: What the target's interpreter runs: check its version, then ask the target to run the script.
_HELPER = """\
import sys
if sys.version_info < {minimum!r}:
    print("%d.%d.%d" % sys.version_info[:3])
    raise SystemExit({too_old})
try:
    sys.remote_exec({pid}, {script!r})
except Exception as exc:
    print("%s: %s" % (type(exc).__name__, exc))
    raise SystemExit(1)
"""
#: The bootstrap the target runs; it is run in a namespace of its own, so its names touch nothing.
_BOOTSTRAP = """\
import sys
_root = {root!r}
_added = _root not in sys.path
if _added:
    sys.path.insert(0, _root)
_keep = ("monadapter",) if "monadapter" in sys.modules else ()  # the program's own import, if any
try:
    from monadapter.agent import hide as _hide, {module} as _agent
finally:
    if _added and _root in sys.path:
        sys.path.remove(_root)
_hide(_keep)
_agent.in_own_thread(_agent.{function}, *{args!r})
"""


def session_marker(pid: int) -> str:
    """The Linux abstract socket a process with a debug session binds (agent/attached.py): an adapter
    asked to attach to it by id says at once that a client is attached, even when every thread is
    paused and the process could not run the attach code."""
    return f"\0monadapter-session-{pid}"


def has_session(pid: int) -> bool:
    """Whether process ``pid`` has a debug session now (its :func:`session_marker` is bound)."""
    if not sys.platform.startswith("linux"):
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.setblocking(False)  # the marker never accepts: once its backlog is full, connect would wait
        try:
            probe.connect(session_marker(pid))
        except BlockingIOError:
            return True  # bound, its backlog full
        except OSError:
            return False
    return True


class InjectError(Exception):
    """Attaching to the process is not possible; the message says why and what to do instead."""


class Injection(Value):
    """A bootstrap written for one process: the command that makes it run there, and the file to
    remove once it ran (or the attach gave up)."""

    __slots__ = ("pid", "command", "script")

    def __init__(self, pid: int, command: list[str], script: str) -> None:
        self.pid = pid
        self.command = command
        self.script = script

    def remove(self) -> None:
        try:
            os.unlink(self.script)
        except OSError:
            pass

    def check(self, returncode: int, output: str) -> None:
        """Raise InjectError unless the helper asked the target to run the bootstrap."""
        text = output.strip().splitlines()[-1:] or [""]
        if returncode == _TOO_OLD:
            raise InjectError(
                f"process {self.pid} runs Python {text[0]}: attaching by process id needs Python "
                f"{REMOTE_EXEC_VERSION[0]}.{REMOTE_EXEC_VERSION[1]} or newer in the program (sys.remote_exec, "
                "PEP 768). Instead, start the program with `python -m monadapter --listen 5678 PROGRAM` (or call "
                'monadapter.listen(5678) in it) and attach with "connect": {"port": 5678}'
            )
        if returncode != 0:
            detail = text[0] or f"exit code {returncode}"
            hint = ""
            if "ermission" in detail or "not permitted" in detail:
                hint = (
                    " (the system does not let us trace it: attach as its user or as root, and check "
                    "/proc/sys/kernel/yama/ptrace_scope)"
                )
            raise InjectError(f"could not attach to process {self.pid}: {detail}{hint}")


def prepare(pid: int, function: str, *args: object) -> Injection:
    """Write a bootstrap that runs ``monadapter.agent.attached.<function>(*args)`` on a thread of
    ours in process ``pid`` (agent/ownthread.py: the program does not see it), and return how to
    make the process run it.

    Raises:
        InjectError: there is no such process, or its interpreter cannot be found.
    """
    interpreter = _interpreter_of(pid)
    deadline = time.monotonic() + SESSION_END_GRACE
    while has_session(pid):  # a client that just left may not be gone yet: give its session time to end
        if time.monotonic() > deadline:
            raise InjectError(
                f"another client is already attached to this program (process {pid}); disconnect it first"
            )
        time.sleep(0.05)
    import tempfile  # here: every attached program loads this module, only the attaching side writes

    source = _BOOTSTRAP.format(root=ROOT, module="attached", function=function, args=tuple(args))
    descriptor, script = tempfile.mkstemp(prefix="monadapter-attach-", suffix=".py")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(source)
        owner = os.stat(f"/proc/{pid}").st_uid
        if owner != os.getuid():
            os.chown(script, owner, -1)  # only we (root) and the target's user may read the secret in it
    except OSError as exc:
        os.unlink(script)
        raise InjectError(f"could not write the attach script for process {pid}: {exc}") from None
    helper = _HELPER.format(minimum=REMOTE_EXEC_VERSION, too_old=_TOO_OLD, pid=pid, script=script)
    return Injection(pid, [interpreter, "-I", "-c", helper], script)


def _interpreter_of(pid: int) -> str:
    """The interpreter binary process ``pid`` runs (its ``/proc/PID/exe``)."""
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
        raise InjectError(f"processId must be a positive integer, got {pid!r}")
    if pid == os.getpid():
        raise InjectError("a process cannot attach to itself")
    if not sys.platform.startswith("linux"):
        raise InjectError(f"attaching by process id is supported on Linux only (this is {sys.platform})")
    try:
        interpreter = os.readlink(f"/proc/{pid}/exe")
    except FileNotFoundError:
        raise InjectError(f"there is no process {pid}") from None
    except PermissionError:
        raise InjectError(f"process {pid} belongs to another user: attach as its user or as root") from None
    except OSError as exc:
        raise InjectError(f"cannot inspect process {pid}: {exc.strerror or exc}") from None
    if "python" not in os.path.basename(interpreter).lower():
        raise InjectError(f"process {pid} runs {interpreter}, which is not a Python interpreter")
    return interpreter

"""The head start: a launch's debuggee started while the adapter still imports anyio and pydantic.

After the early ``initialize`` answer (adapter/early.py) the adapter spends most of its start
importing what a session needs (benchmarks S9: ~690 M instructions on 3.13), and an editor sends
``launch`` at once. ``__main__`` looks, between those imports, at what the client has sent: when
the next message is a ``launch`` whose arguments the model certainly accepts (:func:`certain_launch`:
exact JSON types, nothing the model must judge or that needs more than a plan: no shell ``args``,
no other ``python``, no terminal) and whose program and directory exist, the debuggee is started
here from the same plan the session would make (adapter/plan.py), with the listener its agent
connects to and, when children are followed, their notify listener. Its interpreter starts and
its agent loads on the other core meanwhile; it runs none of the program before the session
configures it.

The launch itself is not handled here: the session reads it as any other request, validates it,
and makes its plan; ``Session.start_debuggee`` keeps this process only when that plan gives the
same command line, directory and environment (:meth:`HeadStart.fits`), and kills it otherwise,
as it does when the session ends or the launch fails before.

Standard library only (with the package's light modules).
"""

from __future__ import annotations

import os
import select
import signal
import socket
from types import SimpleNamespace

from monadapter.adapter.early import RECEIVE_SIZE, EarlyStart, certain_arguments, is_scalar
from monadapter.adapter.errors import LaunchError
from monadapter.adapter.plan import LaunchPlan, follows_children, make_plan
from monadapter.agent import auth
from monadapter.agent.wire import FramingError, decode

TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from typing import Any

#: The launch arguments read here: name -> (JSON type, the model's value when absent or null).
#: A test checks the defaults against ``launch.LaunchArguments``.
FIELDS: dict[str, tuple[type, object]] = {
    "program": (str, None),
    "module": (str, None),
    "code": (str, None),
    "args": (list, []),
    "cwd": (str, None),
    "env": (dict, {}),
    "envFile": (str, None),
    "pythonArgs": (list, []),
    "console": (str, "internalConsole"),
    "redirectOutput": (bool, True),
    "subProcess": (bool, True),
    "noDebug": (bool, False),
    "stopOnEntry": (bool, False),
    "justMyCode": (bool, True),
    "showReturnValue": (bool, False),
    "hoverRunsCode": (bool, False),
    "evaluateTimeout": (float, 10.0),
    "adapterAccessToken": (str, None),
}
#: The other fields of ``launch.LaunchArguments``: no head start unless they are absent or null.
UNREAD = ("python", "rules", "variablePresentation", "pathMappings")


class HeadStart:
    """A debuggee started before its launch was validated, and the listeners it connects to."""

    def __init__(
        self,
        plan: LaunchPlan,
        process: subprocess.Popen[bytes],
        listener: socket.socket,
        secret: str,
        notify: tuple[socket.socket, str] | None,
    ) -> None:
        self.plan = plan
        self.process = process
        #: where the agent connects (non-blocking, for anyio), and the launch's secret
        self.listener = listener
        self.secret = secret
        #: the child notify listener and its token, until ``children.follow_children`` takes it
        self.notify = notify

    @property
    def port(self) -> int:
        """The agent listener's port, as on the command line."""
        return int(self.listener.getsockname()[1])

    def take_notify(self) -> tuple[socket.socket, str] | None:
        """The child notify listener and its token, now the caller's to serve and close."""
        notify, self.notify = self.notify, None
        return notify

    def fits(self, plan: LaunchPlan) -> bool:
        """Whether ``plan`` (the session's, before the secret is added) runs what was started."""
        ours = plan.with_env(**{auth.SECRET_ENV: self.secret})
        return (
            ours.command(self.port) == self.plan.command(self.port)
            and ours.cwd == self.plan.cwd
            and ours.env == self.plan.env
        )

    def discard(self) -> None:
        """Kill the process (it has run none of the program) and close what was opened for it."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # its own session: its group is its own
        except OSError:
            pass
        self.process.wait()
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()
        self.listener.close()
        notify = self.take_notify()
        if notify is not None:
            notify[0].close()


def start(early: EarlyStart, fd: int = 0) -> HeadStart | None:
    """Start the debuggee of the launch the client sent after the early initialize, if it already
    sent one that is certainly valid (read from ``fd``, our stdin); None otherwise (the session does
    everything then)."""
    if early.client_arguments is None:
        return None
    _read_waiting(early, fd)
    message = _peek(early)
    arguments = certain_launch(message) if message is not None else None
    if arguments is None:
        return None
    assert message is not None
    try:
        plan = make_plan(arguments, message["arguments"])
    except LaunchError:
        return None  # the session says what is wrong
    listener = loopback_listener()
    notify = (loopback_listener(), auth.new_token()) if follows_children(arguments, early.client_arguments) else None
    plan = plan.with_notify(None if notify is None else (notify[0].getsockname()[1], notify[1]))
    secret = auth.new_token()
    plan = plan.with_env(**{auth.SECRET_ENV: secret})
    try:
        process = plan.spawn(listener.getsockname()[1])
    except OSError:
        listener.close()
        if notify is not None:
            notify[0].close()
        return None
    return HeadStart(plan, process, listener, secret, notify)


def certain_launch(message: dict[str, Any]) -> SimpleNamespace | None:
    """The arguments of ``message`` as ``launch.LaunchArguments`` would give the fields a plan reads,
    when it is a ``launch`` that the models certainly accept and a plan alone can start; else None
    ("not sure", never "invalid": the session's validation decides then)."""
    raw = certain_arguments(message, "launch")
    if raw is None:
        return None
    given = {name: value for name, value in raw.items() if value is not None}  # the model's null is unset
    if any(name in given for name in UNREAD):
        return None
    values: dict[str, Any] = {"python": None}
    for name, (kind, default) in FIELDS.items():
        if name not in given:
            values[name] = kind() if kind in (list, dict) else default  # a fresh [] or {}
        elif _certain(name, kind, given[name]):
            values[name] = given[name]
        else:
            return None
    targets = [name for name in ("program", "module", "code") if values[name] is not None]
    if values["console"] != "internalConsole" or len(targets) != 1:
        return None
    if not all(is_scalar(value) for name, value in given.items() if name not in FIELDS):
        return None  # an extra field is kept as it is, if it nests nothing
    return SimpleNamespace(**values)


def _certain(name: str, kind: type, value: object) -> bool:
    if kind is float:  # an int is a float to the model; bool is no number here; NaN fails the test
        return type(value) in (int, float) and 0 <= value <= 1e15  # type: ignore[operator]
    if type(value) is not kind:
        return False
    if name == "env":
        return all(type(item) is str or item is None for item in value.values())  # type: ignore[attr-defined]
    if kind is list:
        return all(type(item) is str for item in value)  # type: ignore[attr-defined]
    return True


def _read_waiting(early: EarlyStart, fd: int) -> None:
    """Give ``early``'s reader whatever the client has sent by now, without waiting for more."""
    try:
        while select.select([fd], [], [], 0)[0]:
            chunk = os.read(fd, RECEIVE_SIZE)
            early.reader.feed(chunk)
            if not chunk:
                return
    except (BlockingIOError, InterruptedError):
        pass
    except OSError:
        early.reader.feed(b"")


def _peek(early: EarlyStart) -> dict[str, Any] | None:
    """The next message the session will read, left where it is (None: not whole yet, or not one)."""
    try:
        raw = early.reader.peek_frame()
    except FramingError:
        return None
    message = decode(raw) if raw is not None else None
    return message if isinstance(message, dict) else None


def loopback_listener() -> socket.socket:
    """A non-blocking listener on a free loopback port: an agent's (here and in the session), a launch's
    children's notices, a process attached to by its id (adapter/sockets.py serves them)."""
    sock = socket.create_server(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock

"""Entry points of the debuggee process: connect to the adapter (or wait for it), set up the debugger, run the target.

Standard library only. The adapter starts it as (see docs/architecture.md)::

    python ROOT/monadapter/agent/entry/start_debuggee.py \\
        --connect 127.0.0.1:PORT [--program PATH | --module NAME | --code TEXT] -- ARGS...

The launch's secret comes in the environment (``auth.SECRET_ENV``), which the launcher takes out of
``os.environ`` before the program runs. (``python -m monadapter --listen``, for attach, is
agent/cli.py.) The program runs only after the adapter forwarded ``configurationDone`` (so
breakpoints set during configuration are in place). Cleanup (debugger stop, channel close) runs
from ``atexit`` so that it comes after the program's non-daemon threads and the program's own
atexit handlers have finished.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # signal's C module: signal.py makes enum classes in every debuggee (benchmarks A2)
import atexit
import os
import stat
import sys
import time
import types
from collections.abc import Callable

from monadapter.agent import auth, children, handshake, hide, runner
from monadapter.agent.channel import Channel
from monadapter.agent.debugger import Debugger, ToolBusyError

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import NoReturn


class LauncherUsageError(Exception):
    """Raised for a malformed launcher command line (only the adapter writes one, so it is a bug)."""


def parse_arguments(argv: list[str]) -> tuple[str, int, str | None, runner.Target]:
    """Parse ``--connect HOST:PORT [--secret-file PATH] --program|--module|--code VALUE -- ARGS`` into
    (host, port, secret file or None, target)."""
    if "--" in argv:
        split = argv.index("--")
        options, args = argv[:split], argv[split + 1 :]
    else:
        options, args = argv, []
    secret_file = None
    if len(options) == 6 and options[2] == "--secret-file":
        secret_file = options[3]
        del options[2:4]
    if len(options) != 4 or options[0] != "--connect":
        raise LauncherUsageError(f"expected --connect HOST:PORT [--secret-file PATH] --KIND VALUE, got {options!r}")
    host, _, port = options[1].rpartition(":")
    kind = options[2].removeprefix("--")
    if kind not in ("program", "module", "code") or not port.isdigit():
        raise LauncherUsageError(f"bad launcher arguments {options!r}")
    return host, int(port), secret_file, runner.Target(kind, options[3], args)  # type: ignore[arg-type]


#: What the start script hands to ``runner.run``: the target and the debugger's starting and ending hooks.
Run = tuple[runner.Target, Callable[[types.CodeType], None] | None, Callable[[], None] | None]
#: Set by the program's end (``exit_with``), read by the last atexit handler (``_finish``).
_exit_state = {"interrupted": False}


def start() -> Run:
    """Everything before the program runs: connect to the adapter, start the debugger, serve it until
    configurationDone. Returns what the start script passes to ``runner.run`` itself, so that only
    the start script's frame and the runner's stand above the program's (``traceback.print_stack()``
    in the program; python shows none, debugpy eight: README, Guarantees)."""
    _forget_root()
    hide()
    host, port, secret_file, target = parse_arguments(sys.argv[1:])
    secret = os.environ.pop(auth.SECRET_ENV, "")
    children.pass_on_to_children()
    made: Debugger | ToolBusyError | None = None
    try:
        if secret_file is not None:
            secret = auth.take_secret_file(secret_file)
        channel = Channel.open(host, port)
        # The debugger starts while the adapter may still be loading (its head start launched us
        # before it imported anyio and pydantic: adapter/headstart.py), not after the handshake,
        # where its ~56 M instructions (3.13) delayed the hello. It sends nothing until then.
        made = handshake.new_debugger(channel)
        channel.authenticate(secret)
    except (OSError, auth.AuthenticationError) as exc:
        if isinstance(made, Debugger):
            made.stop()
        print(f"monadapter agent: cannot reach the adapter at {host}:{port}: {exc}", file=sys.stderr)
        sys.exit(1)
    channel.on_hang_up(_silence_piped_output)
    return _configured(channel, target, made, launched=True)


def exit_with(code: int) -> NoReturn:
    """End the process with ``runner.run``'s exit code (an interrupted program dies by SIGINT at the end)."""
    if code == runner.INTERRUPTED:
        _exit_state["interrupted"] = True
        code = 128 + _signal.SIGINT
    sys.exit(code)


def _configured(
    channel: Channel, target: runner.Target, made: Debugger | ToolBusyError, *, launched: bool = False
) -> Run:
    """Serve the adapter until configurationDone with the debugger ``made`` (handshake.new_debugger);
    return what runs ``target`` under the debugger.

    A ``launched`` program ends with its adapter: if the connection drops without a detach (the
    adapter was killed, or crashed), nobody can see or end the program any more (README, "Guarantees").
    """
    started = handshake.start_debugger(channel, made)
    if started is None:
        sys.exit(1)
    if launched:
        channel.on_hang_up(lambda: _end_with_adapter(started))
    debugger = handshake.serve_until_configured(channel, started)
    if debugger is not None:
        children.follow_forks(debugger, channel)
    atexit.register(_finish, debugger, channel)
    if debugger is None:
        return target, None, None
    return target, debugger.program_starting, debugger.program_ending


def _silence_piped_output() -> None:
    """The adapter detached (or died): its ends of our stdout/stderr pipes are about to close.

    A program that goes on printing would then get BrokenPipeError, so output that went to the
    adapter through a pipe now goes to /dev/null. A terminal (runInTerminal) is left alone.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for fd in (1, 2):
            try:
                if stat.S_ISFIFO(os.fstat(fd).st_mode):
                    os.dup2(devnull, fd)
            except OSError:
                pass  # fd closed by the program itself: nothing to protect
    finally:
        os.close(devnull)


#: How long a launched program whose adapter went away gets between SIGTERM and SIGKILL (the
#: adapter's own terminate grace, adapter/debuggee.py).
END_GRACE = 2.0


def _end_with_adapter(debugger: Debugger) -> None:
    """The adapter of a launched program went away without detaching (the hang-up hook, on our I/O
    thread): end the program as the adapter's ``terminate`` would, SIGTERM to its process group
    (children it started included) when it leads one, else to itself, then SIGKILL after a grace."""
    if debugger.detached:
        return
    group = os.getpgrp() == os.getpid() and hasattr(os, "killpg")
    for signal_number in (_signal.SIGTERM, getattr(_signal, "SIGKILL", _signal.SIGTERM)):
        if group:
            os.killpg(os.getpid(), signal_number)
        else:
            os.kill(os.getpid(), signal_number)
        time.sleep(END_GRACE)


def _forget_root() -> None:
    """Drop the directory the start script put first on sys.path: the program must not see it (nor
    our modules in sys.modules: :func:`monadapter.agent.hide`)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if sys.path and os.path.realpath(sys.path[0] or ".") == os.path.realpath(root):
        del sys.path[0]


def _finish(debugger: Debugger | None, channel: Channel) -> None:
    """Last atexit handler: stop debugging, close the connection, and die by SIGINT if python would."""
    handshake.finish(debugger, channel)
    if _exit_state["interrupted"]:
        sys.stdout.flush()
        sys.stderr.flush()
        _signal.signal(_signal.SIGINT, _signal.SIG_DFL)
        os.kill(os.getpid(), _signal.SIGINT)

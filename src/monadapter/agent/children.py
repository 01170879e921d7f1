"""Child processes of a debuggee: a forked or newly started Python 3.12+ child becomes a debug session of its own.

Standard library only. With ``subProcess`` on, the adapter puts the address of its *child notify*
listener in the debuggee's environment (:data:`NOTIFY_ENV`, ``HOST:PORT:TOKEN``), and the launcher
puts :data:`BOOTSTRAP_DIR` (our ``sitecustomize``) on the ``PYTHONPATH`` its children inherit. A
child then listens on a free loopback port, connects to the notify listener (both prove they know
TOKEN: agent/auth.py), tells the adapter ``{pid, ppid, port, accessToken, name, argv}`` (one framed
message; ``accessToken`` is a new secret of the child's own, which the adapter passes on in the attach
configuration), and waits, bounded, for an adapter that knows that token to attach (the client's
child session, started by ``startDebugging``) and to send configurationDone. The adapter answers on the
notify connection whether the client accepted ``startDebugging``; if it did not, if nobody comes,
or if the listener is gone, the child runs on undebugged at once (or after the timeout).

A child made by ``fork`` (multiprocessing's fork and forkserver) inherits our monitoring callbacks,
armed breakpoints and the parent's socket, but not the I/O thread that could ever resume a stop.
The fork hook (:func:`follow_forks`) therefore always drops the parent's session in the child,
without touching the parent's connection, before the child does anything else; only then, with the
notify address in the environment, does the child become its own session.
"""

from __future__ import annotations

import _socket
import atexit
import os
import sys
import threading
import time
from sys import _getframe  # bound once: the program may delete or replace sys._getframe
from types import TracebackType

from monadapter.agent import auth, exceptions, handshake
from monadapter.agent.channel import Channel, open_connection
from monadapter.agent.debugger import Debugger
from monadapter.agent.wire import FramingError, MessageReader, encode

TYPE_CHECKING = False  # socket is for mypy only here: not imported at start (benchmarks A2)
if TYPE_CHECKING:
    import socket

#: The environment variable naming the adapter's child notify listener: ``HOST:PORT:TOKEN``.
#: (adapter/children.py sets it; the adapter may not import this module.)
NOTIFY_ENV = "MONADAPTER_CHILD_NOTIFY"
#: The directory holding the ``sitecustomize`` that starts a session in a new Python child.
BOOTSTRAP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap")
#: How long a child waits for the adapter to attach after telling it where to.
ATTACH_TIMEOUT = 15.0
#: How long an attached child then waits for configurationDone before its program runs anyway.
CONFIGURE_TIMEOUT = 30.0
#: How long telling the notify listener may take.
NOTIFY_TIMEOUT = 5.0
#: How a statement of the ``-c`` code of multiprocessing's helper processes starts (no program of the
#: user's): the resource tracker is never debugged; the fork server is not, but the workers it forks
#: are. 3.14 put ``import sys`` before the fork server's import, so any statement of the code may.
_RESOURCE_TRACKER = "from multiprocessing.resource_tracker import"
_FORK_SERVER = "from multiprocessing.forkserver import"
#: Interpreter options that take the next argument as their value.
_OPTIONS_WITH_VALUE = frozenset({"-W", "-X", "--check-hash-based-pycs"})

#: the debugger and channel of this process's session: what a forked child must leave behind
_current: tuple[Debugger, Channel] | None = None
_hook_registered = False
#: report_uncaught installed its sys.excepthook
_uncaught_reported = False
#: what a forked child's session is named after: the program (the fork server's workers: multiprocessing)
_fork_program: str | None = None


def pass_on_to_children() -> None:
    """In the launched debuggee: when the adapter follows children, put our ``sitecustomize`` first
    on the ``PYTHONPATH`` they inherit. Done here, not by the adapter, so that the debuggee's own
    ``sys.path`` stays what plain python gives, and its own start-up does not run the bootstrap."""
    if not os.environ.get(NOTIFY_ENV):
        return
    path = os.environ.get("PYTHONPATH", "")
    if BOOTSTRAP_DIR not in path.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join([BOOTSTRAP_DIR, path]) if path else BOOTSTRAP_DIR


def follow_forks(debugger: Debugger, channel: Channel) -> None:
    """Note this process's session, and make sure forked children leave it behind (one hook per process)."""
    global _current
    _current = (debugger, channel)
    _register_fork_hook()


def follow_this_process() -> None:
    """The bootstrap ``sitecustomize``'s entry, in a new Python 3.12+ child with :data:`NOTIFY_ENV` set."""
    global _fork_program
    statements = [part.strip() for part in (_code_argument(sys.orig_argv) or "").split(";")]
    if any(statement.startswith(_RESOURCE_TRACKER) for statement in statements):
        return
    if any(statement.startswith(_FORK_SERVER) for statement in statements):
        _fork_program = "multiprocessing"
        _register_fork_hook()  # the workers it forks are the user's
        return
    debugger = _start_session(_program(sys.orig_argv))
    if debugger is not None:
        report_uncaught()


def current_session() -> tuple[Debugger, Channel] | None:
    """The debugger and channel of this process's session (launched, a child's, or attached), if any."""
    return _current


def leave_session(debugger: Debugger) -> None:
    """An attached session ended (agent/attached.py): forks no longer have a session to leave."""
    global _current
    if _current is not None and _current[0] is debugger:
        _current = None


def _register_fork_hook() -> None:
    global _hook_registered
    if not _hook_registered:
        os.register_at_fork(
            before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_after_fork_in_child
        )
        _hook_registered = True


def _before_fork() -> None:
    """Runs in the forking thread first of all before-fork hooks (they run last registered first)."""
    if _current is not None:
        _current[0].own_threads.fork_starting()


def _after_fork_in_parent() -> None:
    if _current is not None:
        _current[0].own_threads.fork_ended()


def _after_fork_in_child() -> None:
    """Runs in every forked child, in the forking thread, before ``fork()`` returns there. It must
    never raise (that would print in the user's program) and never wait for the parent's threads."""
    global _current
    try:
        current, _current = _current, None
        if current is not None:
            debugger, channel = current
            channel.forget_after_fork()
            debugger.forget_after_fork()
        if os.environ.get(NOTIFY_ENV) and not _about_to_exec():
            from monadapter.agent.importlocks import note_gone_after_fork  # forked children with a session only

            note_gone_after_fork()  # the session imports socket here: never wait for a lock the fork left taken
            program = _fork_program or (os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python")
            _start_session(f"{program} (fork)")
    except Exception as exc:
        print(f"monadapter agent: the forked child runs on undebugged ({type(exc).__name__}: {exc})", file=sys.stderr)


def _about_to_exec() -> bool:
    """Whether this fork is subprocess's with a ``preexec_fn``: the child execs a new program at
    once (which, if it is Python, starts its own session through the bootstrap)."""
    forking = _getframe(1).f_back  # our caller is the hook; the hook's is the code that forked
    return forking is not None and os.path.basename(forking.f_code.co_filename) == "subprocess.py"


def _start_session(program: str) -> Debugger | None:
    """Listen on a free loopback port, tell the adapter, and serve it until configurationDone
    (bounded); return at once if the notify listener is gone, after the timeout if no adapter comes.
    Returns the debugger the program runs under, None when it runs undebugged."""
    notify = _notify_address()
    if notify is None:
        return None
    token = auth.new_token()
    import socket  # here: only a child session listens (the launcher connects with _socket alone)

    try:
        with socket.create_server(("127.0.0.1", 0)) as server:
            notice, reader = _notify(notify, server.getsockname()[1], program, token)
            try:
                accepted = _wait_for_attach(server, token, notice, reader)
            finally:
                notice.close()
    except (OSError, auth.AuthenticationError):  # the listener is gone (refused), broke off, or is not ours
        return None
    if accepted is None:
        return None
    channel = Channel(*accepted)
    debugger = handshake.start_debugger(channel)
    if debugger is None:
        return None
    running = handshake.serve_until_configured(channel, debugger, CONFIGURE_TIMEOUT)
    if running is not None:
        follow_forks(running, channel)
    atexit.register(handshake.finish, running, channel)
    return running


def report_uncaught() -> None:
    """In a child started by the bootstrap (or a program that called ``monadapter.listen``), python
    itself runs the program and reports an exception that ends it through ``sys.excepthook``, with no
    exception being handled; the launcher's runner is not there to call ``program_ending`` (the
    engine's "uncaught" stop). This hook does, with the exception made the one being handled, then
    hands over to the hook it replaced. Installed once per process: ``program_ending`` stops only
    while a session's debugger watches it."""
    global _uncaught_reported
    if _uncaught_reported:
        return
    _uncaught_reported = True
    previous = sys.excepthook

    def excepthook(kind: type[BaseException], value: BaseException, traceback: TracebackType | None) -> None:
        if isinstance(value, BaseException) and threading.current_thread() is threading.main_thread():
            try:
                raise value
            except BaseException:
                exceptions.program_ending()
            value.__traceback__ = traceback  # raising added our frame
        previous(kind, value, traceback)

    sys.excepthook = excepthook


def _notify_address() -> tuple[str, int, str] | None:
    """(host, port, token) from :data:`NOTIFY_ENV`, None when it is missing or malformed."""
    host, _, rest = os.environ.get(NOTIFY_ENV, "").partition(":")
    port, _, token = rest.partition(":")
    return (host, int(port), token) if host and port.isdigit() and token else None


def _notify(notify: tuple[str, int, str], port: int, program: str, token: str) -> tuple[_socket.socket, MessageReader]:
    """Tell the adapter's notify listener where this child waits and with which ``token``; return
    the connection, on which the adapter answers whether a session comes, and its reader. Raises
    OSError when the listener is gone, AuthenticationError when it is not the adapter."""
    host, notify_port, secret = notify
    body = {
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "port": port,
        "accessToken": token,
        "name": f"{program} (pid {os.getpid()})",
        "argv": sys.orig_argv,
    }
    sock = open_connection(host, notify_port, NOTIFY_TIMEOUT)
    try:
        reader = auth.connect(sock, secret, timeout=NOTIFY_TIMEOUT)
        sock.sendall(encode({"type": "event", "event": "monadapter/child", "body": body, "seq": 1}))
    except BaseException:
        sock.close()
        raise
    return sock, reader


def _wait_for_attach(
    server: socket.socket, token: str, notice: _socket.socket, reader: MessageReader
) -> tuple[socket.socket, MessageReader] | None:
    """The connection of the adapter that proved it knows ``token``, once it attaches; None when the
    adapter says no session comes (the client declined ``startDebugging``), goes away, or nobody
    attached within :data:`ATTACH_TIMEOUT`.

    The attach is accepted whenever it comes, even before the answer: a client may answer
    ``startDebugging`` only once the child session it started is under way.
    """
    from monadapter.agent.gate import Gate  # here, as socket: only a child session listens

    deadline = time.monotonic() + ATTACH_TIMEOUT
    answer = reader.next_message()
    with Gate(server, token, watch=notice if answer is None else None) as gate:
        while answer is None:
            polled = gate.poll(deadline)
            if polled is False:
                return None
            if polled is not True:
                return polled
            try:
                data = notice.recv(4096)
                reader.feed(data)
                answer = reader.next_message()
            except (OSError, FramingError):
                return None
            if answer is None and not data:
                return None
        if not isinstance(answer, dict) or not answer.get("success"):
            return None
        gate.stop_watching()
        polled = gate.poll(deadline)  # a session is coming: wait for it alone
        return None if isinstance(polled, bool) else polled


def _code_argument(argv: list[str]) -> str | None:
    """The ``-c`` code of an interpreter command line, None without one."""
    for index, arg in enumerate(argv[1:-1], start=1):
        if arg == "-c":
            return argv[index + 1]
        if not arg.startswith("-") or arg == "-m":
            return None
    return None


def _program(argv: list[str]) -> str:
    """What an interpreter command line runs, to name the child session: the script's file name,
    the ``-m`` module, ``-c`` (``multiprocessing`` for its spawned workers)."""
    args = iter(argv[1:])
    for arg in args:
        if arg in _OPTIONS_WITH_VALUE:
            next(args, None)
        elif arg == "-m":
            return next(args, "-m")
        elif arg == "-c":
            return "multiprocessing" if "--multiprocessing-fork" in argv else "-c"
        elif not arg.startswith("-"):
            return os.path.basename(arg)
    return os.path.basename(argv[0]) if argv else "python"

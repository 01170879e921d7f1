"""Debug sessions in a program that is already running: one client at a time, again and again.

Standard library only. A program that listens (``monadapter.listen``, ``python -m monadapter
--listen``) or that an adapter attached to by process id (agent/inject.py) runs on while clients
come and go. Each session runs on one of our threads: it starts a :class:`Debugger`, serves the
adapter until configurationDone, then waits until the client detaches or goes away, and leaves the
program as it found it (no events, ``sys.stdout`` its own, no session for forks to leave). A client
that comes while another is attached is refused with a message; one that does not know the access
token gets nothing (agent/auth.py).

:class:`Listener` is the listening socket with its accept thread. The accept thread runs the
authentication and refuses a second client itself: it exists before any session's debugger, which
therefore counts it as one of ours (never halted), so a refusal goes out even while the first
client has every thread paused.
"""

from __future__ import annotations

import atexit
import functools
import os
import socket
import sys
import threading
import types
from collections.abc import Callable

from monadapter.agent import auth, children, gate, handshake, inject
from monadapter.agent.channel import Channel, open_connection
from monadapter.agent.debugger import Debugger
from monadapter.agent.output import OutputRedirect
from monadapter.agent.ownthread import OwnThread


class AttachError(RuntimeError):
    """A misuse of the in-program API (listen twice, listen in a launched program, wait without listening)."""


class _State:
    """This process's attach state (one per process, guarded by ``lock``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.listener: Listener | None = None
        self.session: Debugger | None = None  # the attached session's debugger, set while it lasts
        #: the same from its start, before its client is done configuring (it may stop the program then)
        self.debugger: Debugger | None = None
        self.claimed = False  # a session is starting or running
        self.marker: socket.socket | None = None  # bound while claimed (inject.session_marker)
        #: notified whenever a session is set up or ends
        self.changed = threading.Condition(self.lock)
        #: our runner runs the program (python -m monadapter --listen FILE): it reports the program's end
        self.runner = False
        #: the program's main code, once our runner is about to run it, and the runner's frame that
        #: runs it (it and its callers are the launcher's: Engine.program_starting)
        self.main_code: types.CodeType | None = None
        self.runner_frame: types.FrameType | None = None
        self.at_exit_registered = False
        #: how many clients finished configuring: wait_for_client returns for one that came and went
        self.configured = 0


_state = _State()


def _forget_after_fork() -> None:
    """In a forked child: the parent's session (and its marker) is not this process's."""
    marker, _state.marker = _state.marker, None
    if marker is not None:
        marker.close()  # an abstract socket's name lives while any process holds it open
    _state.lock = threading.Lock()
    _state.changed = threading.Condition(_state.lock)
    _state.session = None
    _state.debugger = None
    _state.claimed = False
    _state.listener = None


os.register_at_fork(after_in_child=_forget_after_fork)


def busy_message() -> str:
    return (
        f"another client is already attached to this program (process {os.getpid()}); "
        "only one client at a time can debug it: disconnect the other first"
    )


def claim(grace: float = 0.0) -> bool:
    """Reserve the one session of this process; False when a session (attached or launched) exists
    after waiting up to ``grace`` seconds for it to end (a client that just left, whose adapter has
    not hung up yet, must not keep the next client out)."""
    with _state.lock:
        if not _state.changed.wait_for(lambda: not _state.claimed and children.current_session() is None, grace):
            return False
        _state.claimed = True
        _state.marker = _bind_marker()
        return True


def _bind_marker() -> socket.socket | None:
    """Bind this process's :func:`inject.session_marker` (Linux; None elsewhere or when it fails)."""
    if not sys.platform.startswith("linux"):
        return None
    marker = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        marker.bind(inject.session_marker(os.getpid()))
        marker.listen(1)
    except OSError:
        marker.close()
        return None
    return marker


def run_session(channel: Channel) -> None:
    """Serve one adapter on ``channel`` (already claimed) until it detaches or goes away; runs on one
    of our threads. The program runs on throughout."""
    debugger: Debugger | None = None
    redirect: OutputRedirect | None = None
    try:
        debugger = handshake.start_debugger(channel)
        if debugger is None:
            return
        _started(debugger)
        running = handshake.serve_until_configured(channel, debugger)
        if running is None:
            return
        if channel.closed().is_set():  # configured, then detached at once: the program must not wait on
            _configured(None)
            return
        if not _state.runner:  # python runs the program: its end is reported through sys.excepthook
            children.report_uncaught()
        if running.options.get("redirectOutput") is not False:
            redirect = OutputRedirect(channel.send_event)
            redirect.start()
        children.follow_forks(running, channel)
        _configured(running)
        channel.closed().wait()
    finally:
        if redirect is not None:
            redirect.stop()
        if debugger is not None:
            debugger.stop()
            children.leave_session(debugger)
        channel.close()
        with _state.lock:
            if _state.marker is not None:
                _state.marker.close()
                _state.marker = None
            _state.session = None
            _state.debugger = None
            _state.claimed = False
            _state.changed.notify_all()


def _started(debugger: Debugger) -> None:
    """A session's debugger is made, before it serves its client (which may set a breakpoint the
    program stops at before configurationDone): when our runner runs the program's main code
    already, the debugger's stacks end at it; else :func:`set_main_code` tells it. Which of the two
    does is decided under the lock, so a program that starts while a client attaches is told exactly
    once (not never, and not only at configurationDone: a stack asked for before that showed runpy's
    frames under the program's)."""
    with _state.lock:
        _state.debugger = debugger
        main_code, runner_frame = _state.main_code, _state.runner_frame
    if main_code is not None:
        debugger.engine.user.program_starts_at(main_code, runner_frame)


def _configured(running: Debugger | None) -> None:
    """A client finished configuring: wake wait_for_client (``running``, the session it attached, is
    None when the client already left)."""
    with _state.lock:
        _state.configured += 1
        if running is not None:
            _state.session = running
            _register_at_exit()
        _state.changed.notify_all()


def _register_at_exit() -> None:
    """At exit, end the session cleanly (the adapter then reports the program's end). Caller holds the lock."""
    if not _state.at_exit_registered:
        _state.at_exit_registered = True
        atexit.register(_end_session)


def _end_session() -> None:
    session = _state.session
    current = children.current_session()
    if session is not None and current is not None and current[0] is session:
        handshake.finish(session, current[1])


def current_debugger() -> Debugger | None:
    """The debugger of this process's session (attached, launched or a child's), None without one."""
    current = children.current_session()
    if current is None or current[1].closed().is_set():
        return None
    return current[0]


def wait_for_client(timeout: float | None) -> bool:
    """Wait until a client is attached and done configuring; False when ``timeout`` passed first."""
    with _state.lock:
        if _state.listener is None and children.current_session() is None:
            raise AttachError("monadapter.wait_for_client: call monadapter.listen() first; no client can attach")
        seen = _state.configured
        # a client that configured and detached at once also counts: its session is already over
        return _state.changed.wait_for(lambda: _state.configured > seen or current_debugger() is not None, timeout)


def use_runner() -> None:
    """Our runner is to run the program (``python -m monadapter --listen FILE``), not python itself."""
    _state.runner = True


def set_main_code(code: types.CodeType) -> None:
    """Our runner is about to run the program's main code (``python -m monadapter --listen FILE``).
    A configured session is told as a launched program's debugger is (``stopOnEntry`` included:
    ``--wait-for-client``); one still configuring only where stacks end (its code is found by its
    PY_START, as any code's); a later one in :func:`_started`."""
    runner_frame = sys._getframe(1)
    with _state.lock:
        _state.main_code, _state.runner_frame = code, runner_frame
        session, debugger = _state.session, _state.debugger
    if session is not None:
        session.program_starting(code)
    elif debugger is not None:
        debugger.engine.user.program_starts_at(code, runner_frame)


class Listener:
    """The program's listening socket and the thread that admits clients (see the module)."""

    def __init__(self, host: str, port: int, secret: str) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET  # "::", "::1": IPv6 addresses
        self._server = socket.create_server((host, port), family=family)
        self.address = (host, self._server.getsockname()[1])
        # made here, not on the accept thread: what it imports (selectors) is loaded when start returns
        self._gate = gate.Gate(self._server, secret)
        self._thread = OwnThread(_reporting(self._accept_loop))

    @classmethod
    def start(cls, host: str, port: int, secret: str) -> Listener:
        """Listen for clients of this process (once per process); only a client that knows ``secret``
        gets in (agent/auth.py; "" when the user chose to listen without an access token).

        Raises:
            AttachError: already listening, or the program runs under a launch's debugger.
            OSError: the address cannot be listened on (in use, not ours).
        """
        with _state.lock:
            if _state.listener is not None:
                host_, port_ = _state.listener.address
                raise AttachError(f"monadapter.listen was already called: this program listens on {host_}:{port_}")
            if children.current_session() is not None and _state.session is None:
                raise AttachError(
                    "monadapter.listen: this program already runs under the debugger (it was launched by it); "
                    "there is nothing to listen for"
                )
            listener = cls(host, port, secret)
            _state.listener = listener
        listener._thread.start()
        return listener

    def _accept_loop(self) -> None:
        """Admit clients for as long as the program runs: one session at a time, the others refused."""
        with self._gate as gate:
            while True:
                try:
                    accepted = gate.poll()
                except OSError:
                    return
                if isinstance(accepted, bool):
                    continue
                sock, reader = accepted
                channel = Channel(sock, reader)
                if not claim(inject.SESSION_END_GRACE):
                    channel.send_event("monadapter/error", {"message": busy_message()})
                    channel.close()
                    continue
                in_own_thread(run_session, channel)


def connect_session(host: str, port: int, secret: str) -> None:
    """Attach by process id (agent/inject.py's bootstrap, on our own thread): connect to the adapter
    that injected us, prove we are the process it meant (``secret``, agent/auth.py), and serve it; a
    process that has a session already tells the adapter so."""
    try:
        channel = Channel.connect(host, port, secret=secret)
    except (OSError, auth.AuthenticationError) as exc:
        print(f"monadapter agent: cannot reach the adapter at {host}:{port}: {exc}", file=sys.stderr)
        return
    if not claim(inject.SESSION_END_GRACE):
        channel.send_event("monadapter/error", {"message": busy_message()})
        channel.close()
        return
    run_session(channel)


def listen_on_request(host: str, port: int, secret: str, report_port: int) -> None:
    """``python -m monadapter --listen HOST:PORT --pid N`` (agent/inject.py's bootstrap, on our own
    thread): listen in this process, and report the address listened on, or why not, as one line
    (``ok HOST PORT`` or ``error MESSAGE``) to the command waiting on loopback ``report_port``."""
    try:
        bound_host, bound_port = Listener.start(host, port, secret).address
        report = f"ok {bound_host} {bound_port}"
    except (AttachError, OSError) as exc:
        report = f"error {exc}"
    try:
        sock = open_connection("127.0.0.1", report_port, 10)
        try:
            sock.sendall(report.encode("utf-8", "replace") + b"\n")
        finally:
            sock.close()
    except OSError:
        pass  # the command gave up waiting


def in_own_thread(function: Callable[..., None], *args: object) -> None:
    """Run ``function(*args)`` on a new thread of ours (agent/ownthread.py: the program does not see it)."""
    OwnThread(_reporting(functools.partial(function, *args))).start()


def _reporting(body: Callable[[], None]) -> Callable[[], None]:
    """``body`` for one of our threads: what escapes it is reported on stderr, not to the program's
    ``sys.unraisablehook`` (agent/ownthread.py)."""

    def run() -> None:
        try:
            body()
        except Exception as exc:
            print(f"monadapter agent: {type(exc).__name__}: {exc}", file=sys.stderr)

    return run

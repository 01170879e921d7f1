"""``python -m monadapter --listen [HOST:]PORT ... (FILE | -m MODULE | -c CODE | --pid PID) [ARGS...]``.

Standard library only: the program runs in this very process, so nothing but the agent may be
imported (no pydantic, no anyio). debugpy's shape: the program starts at once and clients attach
whenever they like (``--wait-for-client``: it waits for the first one's configurationDone); with
``--pid`` a running Python 3.14+ process is made to listen instead (agent/inject.py). Every client
needs the access token (``--access-token``, else ``MONADAPTER_ACCESS_TOKEN``, else one made up and
printed); listening on a non-loopback address without one needs ``--allow-unauthenticated``.

Bad input is one line on stderr and exit code 2, found before anything listens.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # signal's C module: signal.py makes enum classes in every debuggee (benchmarks A2)
import os
import socket
import sys

from monadapter.agent import api, attached, exceptions, hide, inject, runner
from monadapter.agent.records import Record

TYPE_CHECKING = False  # typing is for mypy only: the program this runs must not find it loaded for us
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import CodeType
    from typing import NoReturn

USAGE = (
    "usage: python -m monadapter --listen [HOST:]PORT [--wait-for-client] [--access-token TOKEN] "
    "[--allow-unauthenticated] (FILE | -m MODULE | -c CODE | --pid PID) [ARGS...]"
)
HELP = f"""{USAGE}

Run a Python program (or make a running Python 3.14+ process, --pid) listen for debug clients.
A client attaches with {{"request": "attach", "connect": {{"host": HOST, "port": PORT}}, "accessToken": TOKEN}},
may detach and attach again; one client at a time.

  --listen [HOST:]PORT  where to listen (HOST default 127.0.0.1; PORT 0 picks a free port)
  --wait-for-client     run the program only once a client attached and set its breakpoints
  --access-token TOKEN  the token every client must give (default: MONADAPTER_ACCESS_TOKEN, else one
                        is made up and printed)
  --allow-unauthenticated      listen without a token (whoever reaches the port can run code in the program)
  --pid PID             attach to this running process instead of starting a program
"""
#: How long ``--pid`` waits for the process to run the bootstrap and report.
PID_REPORT_TIMEOUT = 30.0


class UsageError(Exception):
    """A bad command line; the message is the one line to print."""


class Options(Record):
    """What the command line says."""

    __slots__ = ("host", "port", "wait_for_client", "access_token", "allow_unauthenticated", "pid", "target")

    def __init__(self, *, wait_for_client: bool = False) -> None:
        self.host = api.DEFAULT_HOST
        self.port = 0
        self.wait_for_client = wait_for_client
        self.access_token: str | None = None
        self.allow_unauthenticated = False
        self.pid: int | None = None
        self.target: runner.Target | None = None


def parse_port(text: str) -> int:
    """A TCP port to listen on, 0..65535 (0: a free one); ValueError saying what is wrong."""
    try:
        port = int(text, 10)
    except ValueError:
        raise ValueError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"{port} is not a port number (0 to 65535; 0 picks a free port)")
    return port


def parse_arguments(argv: list[str], *, wait_for_client: bool = False) -> Options:
    """Parse the command line (see :data:`HELP`); UsageError for anything wrong."""
    options = Options(wait_for_client=wait_for_client)
    listen: str | None = None
    items = iter(enumerate(argv))

    def value(option: str) -> str:
        found = next(items, None)
        if found is None:
            raise UsageError(f"{option} needs a value")
        return found[1]

    for index, arg in items:
        if arg == "--listen" or arg.startswith("--listen="):
            listen = arg.partition("=")[2] if "=" in arg else value(arg)
        elif arg == "--wait-for-client":
            options.wait_for_client = True
        elif arg == "--access-token" or arg.startswith("--access-token="):
            options.access_token = arg.partition("=")[2] if "=" in arg else value(arg)
            if not options.access_token:
                raise UsageError("--access-token needs a non-empty token")
        elif arg == "--allow-unauthenticated":
            options.allow_unauthenticated = True
        elif arg in ("--port", "--host", "--log-dir"):
            raise UsageError(f"{arg} is the adapter's option; --listen runs a program to debug: give one or the other")
        elif arg == "--pid":
            text = value(arg)
            if not text.isdigit() or int(text) <= 0:
                raise UsageError(f"--pid wants a process id, got {text!r}")
            options.pid = int(text)
            if index + 2 < len(argv):
                raise UsageError(f"--pid takes no program arguments, got {argv[index + 2]!r}")
        elif arg in ("-m", "-c"):
            options.target = runner.Target("module" if arg == "-m" else "code", value(arg), argv[index + 2 :])
            break
        elif arg.startswith("-"):
            raise UsageError(f"unknown option {arg!r}")
        else:
            options.target = runner.Target("program", arg, argv[index + 1 :])
            break
    if listen is None:
        raise UsageError("--listen [HOST:]PORT is required")
    host, _, port = listen.rpartition(":")
    try:
        options.port = parse_port(port)
    except ValueError as exc:
        raise UsageError(f"--listen: {exc}") from None
    options.host = host.strip("[]") or api.DEFAULT_HOST
    if options.target is None and options.pid is None:
        raise UsageError("nothing to debug: give FILE, -m MODULE, -c CODE or --pid PID")
    if options.target is not None and options.pid is not None:
        raise UsageError("--pid attaches to a running process: give no program with it")
    target = options.target
    if target is not None and target.kind == "program" and not os.path.exists(target.value):
        raise UsageError(f"no such file: {target.value}")
    return options


def main(argv: list[str], *, wait_for_client: bool = False) -> NoReturn:
    """Run the command line; exits (the program's exit code, or 2 for bad input). The entry points
    (``python -m monadapter``, ``python -m monadapter.agent``) call :func:`start` and ``runner.run``
    from their own module frame instead: one frame of ours fewer each above the program's."""
    exit_with(runner.run(*start(argv, wait_for_client=wait_for_client)))


def start(
    argv: list[str], *, wait_for_client: bool = False
) -> tuple[runner.Target, Callable[[CodeType], None], Callable[[], None]]:
    """Everything before the program runs: parse, listen, say where, wait for the first client if
    asked. Returns what ``runner.run`` needs, so that the entry point's module frame calls the runner
    itself and only that frame and the runner's stand above the program's (README, Guarantees).
    Exits for ``--help`` (0), ``--pid`` once the process listens (0) and bad input (2)."""
    if any(arg in ("-h", "--help") for arg in _options_part(argv)):
        print(HELP, end="")
        sys.exit(0)
    try:
        options = parse_arguments(argv, wait_for_client=wait_for_client)
        secret, notice = api.choose_secret(
            options.host, options.access_token, allow_unauthenticated=options.allow_unauthenticated
        )
        if options.pid is not None:
            host, port = _listen_in_process(options.pid, options.host, options.port, secret)
        else:
            attached.use_runner()
            host, port = attached.Listener.start(options.host, options.port, secret).address
    except (UsageError, ValueError, inject.InjectError, attached.AttachError) as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot listen on {options.host}:{options.port}: {exc.strerror or exc}")
    where = f"process {options.pid} listening" if options.pid is not None else "monadapter agent listening"
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address, as --listen takes it
    print(f"{where} on {shown}:{port}", file=sys.stderr, flush=True)
    if notice:
        print(notice.format(host=host, port=port), file=sys.stderr, flush=True)
    if options.target is None:
        sys.exit(0)
    hide()  # monadapter itself too: python imported it for -m monadapter, the program did not
    if options.wait_for_client:
        attached.wait_for_client(None)
    return options.target, attached.set_main_code, exceptions.program_ending


def exit_with(code: int) -> NoReturn:
    """End the process with ``runner.run``'s exit code (an interrupted program's is 128 + SIGINT)."""
    if code == runner.INTERRUPTED:
        code = 128 + _signal.SIGINT
    sys.exit(code)


def _options_part(argv: list[str]) -> list[str]:
    """The arguments before the program (``--help`` after it is the program's)."""
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg in ("--listen", "--access-token", "--pid"):
            index += 2
        elif arg in ("-m", "-c") or not arg.startswith("-"):
            return argv[:index]
        else:
            index += 1
    return argv


def _fail(message: str) -> None:
    print(f"monadapter: error: {message} (see --help)", file=sys.stderr)
    sys.exit(2)


def _listen_in_process(pid: int, host: str, port: int, secret: str) -> tuple[str, int]:
    """Make process ``pid`` listen (agent/inject.py) and return where it does.

    Raises:
        InjectError: it cannot be attached to, or it did not listen (the message says why).
    """
    import subprocess  # only --pid runs one: the program --listen runs must not find it loaded

    with socket.create_server(("127.0.0.1", 0)) as reports:
        injection = inject.prepare(pid, "listen_on_request", host, port, secret, reports.getsockname()[1])
        try:
            helper = subprocess.run(injection.command, capture_output=True, text=True, timeout=PID_REPORT_TIMEOUT)
            injection.check(helper.returncode, helper.stdout + helper.stderr)
            reports.settimeout(PID_REPORT_TIMEOUT)
            try:
                sock, _ = reports.accept()
                with sock, sock.makefile("r", encoding="utf-8", errors="replace") as lines:
                    report = lines.readline().strip()
            except TimeoutError:
                raise inject.InjectError(
                    f"process {pid} did not run the attach code within {PID_REPORT_TIMEOUT:g} s: its main thread "
                    "must run Python code (one blocked in a long system call runs it when the call returns)"
                ) from None
        except subprocess.TimeoutExpired:
            raise inject.InjectError(f"attaching to process {pid} did not finish in time") from None
        finally:
            injection.remove()
    status, _, rest = report.partition(" ")
    if status != "ok":
        raise inject.InjectError(f"process {pid} could not listen: {rest or 'no report'}")
    bound_host, _, bound_port = rest.rpartition(" ")
    return bound_host, int(bound_port)

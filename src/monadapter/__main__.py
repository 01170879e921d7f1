"""Command line: ``python -m monadapter`` speaks DAP on stdin/stdout; ``--port N`` serves TCP;
``--listen [HOST:]PORT ... PROGRAM`` runs a program that debug clients attach to (agent/cli.py).

For TCP the listening socket is bound and announced before anyio, asyncio and the DAP models are
imported: clients that start the adapter and then connect (nvim-dap, the VS Code extension) can
connect at once, and their first bytes wait in the socket's backlog while the rest loads. On stdio
the first ``initialize`` is answered before those imports (adapter/early.py).
"""

from __future__ import annotations

import os
import sys

import monadapter  # not `from monadapter import __version__`: with --listen this module's globals are the program's

TYPE_CHECKING = False  # typing too: not imported at run time
if TYPE_CHECKING:  # argparse, pathlib and tempfile are imported where used: with --listen, they would
    # be the program's (README, "Guarantees": what the program finds in sys.modules). socket,
    # threading and agent/auth.py too, which only a TCP server needs: on stdio every module imported
    # before the answer to initialize delays it.
    import argparse
    import socket
    from collections.abc import Awaitable, Callable
    from pathlib import Path
    from typing import NoReturn

    from monadapter.adapter.early import EarlyStart
    from monadapter.adapter.headstart import HeadStart


def port_number(text: str) -> int:
    """argparse type for ``--port``: 0..65535, where the OS would otherwise wrap or misread it."""
    import argparse

    from monadapter.agent.cli import parse_port

    try:
        return parse_port(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def log_directory(text: str) -> Path:
    """argparse type for ``--log-dir``: a directory we can write in, made if missing.

    Checked at start, by writing a file there: a session that finds it unusable later dies
    before it can answer, and its client waits for ever.
    """
    import argparse
    import tempfile
    from pathlib import Path

    path = Path(text)
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)  # private: the logs hold what the program showed
        with tempfile.TemporaryFile(dir=path):
            pass
    except FileExistsError:
        raise argparse.ArgumentTypeError(f"{text} is not a directory") from None
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot write logs in {text}: {exc.strerror or exc}") from None
    return path


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line (see ``python -m monadapter --help``); a bad value exits with code 2."""
    import argparse

    class _Parser(argparse.ArgumentParser):
        """An argument parser whose usage errors are one line (exit code 2, as argparse's)."""

        def error(self, message: str) -> NoReturn:
            self.exit(2, f"{self.prog}: error: {message} (see --help)\n")

    parser = _Parser(
        prog="monadapter",
        description="Debug Adapter Protocol server for Python 3.12+. "
        "Without --port it speaks DAP on stdin/stdout (one session). "
        "python -m monadapter --listen [HOST:]PORT ... PROGRAM runs a program to attach to (--listen --help).",
    )
    parser.add_argument("--port", type=port_number, help="listen on this TCP port (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--log-dir", type=log_directory, help="write one JSON-lines message log per session here")
    parser.add_argument("--version", action="version", version=f"monadapter {monadapter.__version__}")
    parser.add_argument(
        "--access-token",
        help=f"with --port: launch and attach only for clients that give this as adapterAccessToken (default "
        f"${ADAPTER_TOKEN_ENV}; required unless the host is loopback). The command line is visible to other local "
        f"users: prefer ${ADAPTER_TOKEN_ENV}",
    )
    parser.add_argument(
        "--allow-unauthenticated",
        action="store_true",
        help="listen on a host that is not loopback without an access token: anyone who can reach it can "
        "run programs as you",
    )
    options = parser.parse_args(argv)
    if options.access_token is None:
        options.access_token = os.environ.pop(ADAPTER_TOKEN_ENV, None) or None  # the programs we run must not see it
    return options


#: Where the server's access token may come from instead of the command line. Not agent/auth.py's
#: MONADAPTER_ACCESS_TOKEN: a user who exports that one for the programs they attach to must not
#: lock the adapters their editor starts.
ADAPTER_TOKEN_ENV = "MONADAPTER_ADAPTER_ACCESS_TOKEN"


def listen(host: str, port: int) -> socket.socket:
    """Bind and listen on ``host:port`` (0: a free port), then print the listening line on stderr."""
    import socket

    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[
        0
    ]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(128)
    print(f"monadapter listening on {host}:{sock.getsockname()[1]}", file=sys.stderr, flush=True)
    return sock


def main(argv: list[str] | None = None) -> int:
    """Run the adapter until its session ends (stdio) or until interrupted (TCP); with ``--listen``,
    the program to debug (in this process: nothing but the standard library is imported then)."""
    arguments = sys.argv[1:] if argv is None else argv
    if listens(arguments):  # the console script's way in; python -m monadapter's is at the end
        from monadapter.agent import cli

        cli.main(arguments)  # exits; this module's globals are the program's __main__ by then
    options = parse_arguments(argv)
    if options.port is not None and not options.access_token and not options.allow_unauthenticated:
        from monadapter.agent import auth

        if auth.is_loopback(options.host) is False:  # one that does not resolve fails to listen below
            print(
                f"monadapter: refusing to listen on {options.host}, which is not loopback, without an access "
                f"token: anyone who can reach it could run programs as you. Give --access-token (or "
                f"${ADAPTER_TOKEN_ENV}), or --allow-unauthenticated if that is really what you want",
                file=sys.stderr,
            )
            return 2
    try:
        sock = listen(options.host, options.port) if options.port is not None else None
    except OSError as exc:
        print(f"monadapter: cannot listen on {options.host}:{options.port}: {exc}", file=sys.stderr)
        return 2
    if options.allow_unauthenticated and sock is not None and not options.access_token:
        print(
            f"monadapter: WARNING: listening on {options.host} without an access token: anyone who can "
            "reach it can run programs as you",
            file=sys.stderr,
        )
    from monadapter.adapter import early_signals

    early_signals.end_quietly()
    early = _answer_initialize_early(options.log_dir) if sock is None else None
    import logging

    import anyio  # noqa: F401  # run_server's: imported here, between the two looks for a launch to head-start

    head_start = _head_start(early)
    from monadapter.adapter import server

    head_start = head_start or _head_start(early)
    logging.basicConfig(format="monadapter: %(levelname)s: %(message)s")
    if early is not None:
        run_server(server.serve_stdio, early, head_start)
    elif sock is not None:
        import threading

        # a server's clients may come later: load what requests need (pydantic, the DAP models)
        # meanwhile. Not for stdio, whose first request is already waiting: the import would
        # only compete with the one the request makes for the interpreter lock.
        threading.Thread(target=_warm_up, name="monadapter.warm-up", daemon=True).start()
        run_server(server.serve_tcp, sock, options.log_dir, options.access_token)
    return 0


def run_server[*Args](serve: Callable[[*Args], Awaitable[object]], *args: *Args) -> None:
    """``anyio.run(serve, *args)``. A signal that lands after the server started but before it watches
    signals (server._stop_on_signal) raises the early handler's SystemExit inside the server's task
    group, which wraps it: it ends the adapter as that SystemExit (code 0), not as an exception group
    with a traceback (seen in CI under load)."""
    import anyio

    try:
        anyio.run(serve, *args)
    except BaseExceptionGroup as group:
        exits, rest = group.split(SystemExit)
        if exits is None or rest is not None:
            raise
        leaf: BaseException = exits
        while isinstance(leaf, BaseExceptionGroup):
            leaf = leaf.exceptions[0]
        raise leaf from None


def _answer_initialize_early(log_dir: Path | None) -> EarlyStart:
    """On stdio, answer the client's first request (initialize) before anyio and pydantic load
    (adapter/early.py)."""
    from monadapter.adapter.early import answer_initialize
    from monadapter.adapter.messagelog import MessageLog

    return answer_initialize(0, 1, MessageLog.open(log_dir))


def _head_start(early: EarlyStart | None) -> HeadStart | None:
    """Between the imports a session needs: start the debuggee of a launch the client already sent
    (adapter/headstart.py), so that it starts on the other core while the imports go on."""
    if early is None:
        return None
    from monadapter.adapter import headstart

    return headstart.start(early)


def _warm_up() -> None:
    """Import what the first request needs while nobody is waiting for it yet."""
    import monadapter.adapter.dispatcher  # noqa: F401
    from monadapter.adapter.certain import load_models

    load_models()


def listens(arguments: list[str]) -> bool:
    """Whether the command line is ``--listen``'s: the program to debug runs in this process."""
    return any(arg == "--listen" or arg.startswith("--listen=") for arg in arguments)


if __name__ == "__main__":
    if listens(sys.argv[1:]):
        # The program runs from this frame through the runner's: no other frame of ours stands above
        # its own but runpy's two, which run this module (README, Guarantees). The runner clears
        # this module's globals for the program: cli.exit_with is looked up before run runs.
        from monadapter.agent import cli, runner

        cli.exit_with(runner.run(*cli.start(sys.argv[1:])))
    raise SystemExit(main())

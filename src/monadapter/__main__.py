"""Command line: ``python -m monadapter`` speaks DAP on stdin/stdout; ``--port N`` serves TCP."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line (see ``python -m monadapter --help``)."""
    parser = argparse.ArgumentParser(
        prog="monadapter",
        description="Debug Adapter Protocol server for Python 3.12+. "
        "Without --port it speaks DAP on stdin/stdout (one session).",
    )
    parser.add_argument("--port", type=int, help="listen on this TCP port (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--log-dir", type=Path, help="write one JSON-lines message log per session here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the adapter until its session ends (stdio) or until interrupted (TCP)."""
    options = parse_arguments(argv)
    logging.basicConfig(format="monadapter: %(levelname)s: %(message)s")
    import anyio

    from monadapter.adapter import server

    try:
        if options.port is None:
            anyio.run(server.serve_stdio, options.log_dir)
        else:
            anyio.run(server.serve_tcp, options.host, options.port, options.log_dir)
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a TCP server is meant to stop: no traceback
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

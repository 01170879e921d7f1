"""The agent's side of the start of a session: hello, the adapter's options, the wait for configurationDone.

Standard library only. The launcher (launch and attach) and child processes (agent/children.py)
start their sessions the same way.
"""

from __future__ import annotations

import os
import sys
import threading
import time

from monadapter.agent.channel import Channel, Request
from monadapter.agent.debugger import Debugger, ToolBusyError

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

#: How often the waiting thread looks whether the adapter went away before configurationDone.
_WAIT_SLICE = 0.05


def start_debugger(channel: Channel, made: Debugger | ToolBusyError | None = None) -> Debugger | None:
    """Create and start the Debugger (or take ``made``, what :func:`new_debugger` made); None when it
    cannot claim its tool id (the adapter is told with ``monadapter/error``, which fails its launch
    or attach, and the channel is closed)."""
    if made is None:
        made = new_debugger(channel)
    if isinstance(made, ToolBusyError):
        channel.send_event("monadapter/error", {"message": str(made)})
        channel.close()
        return None
    return made


def new_debugger(channel: Channel) -> Debugger | ToolBusyError:
    """Create and start the Debugger on a channel that may not be authenticated yet (it sends nothing);
    the ToolBusyError when it cannot claim its tool id, for :func:`start_debugger` to report."""
    debugger = Debugger(channel)
    try:
        debugger.start()
    except ToolBusyError as exc:
        return exc
    return debugger


def serve_until_configured(channel: Channel, debugger: Debugger, limit: float | None = None) -> Debugger | None:
    """Say hello, serve the adapter until configurationDone, and return the debugger to run the
    program under: None for ``noDebug`` (it is stopped then). The wait also ends when the adapter
    goes away, or after ``limit`` seconds when given: the program then runs on (undebugged if the
    adapter is gone)."""
    configured = threading.Event()
    options: dict[str, Any] = {}
    channel.register("monadapter/configure", lambda request: _configure(debugger, request, options))

    def configuration_done(request: Request) -> None:
        request.reply()
        configured.set()

    channel.register("configurationDone", configuration_done)
    channel.send_event(
        "monadapter/hello",
        {"pid": os.getpid(), "pythonVersion": list(sys.version_info[:3]), "executable": sys.executable},
    )
    channel.start()
    deadline = None if limit is None else time.monotonic() + limit
    while not configured.wait(_WAIT_SLICE) and not channel.closed().is_set():
        if deadline is not None and time.monotonic() > deadline:
            break
    if options.get("noDebug"):
        debugger.stop()  # "Run Without Debugging": nothing may slow the program down or stop it
        return None
    return debugger


def _configure(debugger: Debugger, request: Request, options: dict[str, Any]) -> None:
    """Keep the launch arguments and hand them to the debugger (before configurationDone)."""
    options.update(request.arguments)
    debugger.configure(request.arguments)
    request.reply()


def finish(debugger: Debugger | None, channel: Channel) -> None:
    """At exit (the last atexit handler): let a stop already reported be resumed by the client (no
    new one is reported), stop debugging, then close the connection."""
    if debugger is not None:
        debugger.engine.parking.program_ended(channel.closed())
        debugger.stop()
    channel.close()

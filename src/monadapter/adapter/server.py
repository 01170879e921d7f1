"""Serving DAP: one session over stdin/stdout, or a TCP listener with one session per connection.

Importing this module is cheap (anyio, no pydantic): the session machinery is imported when the
first session starts, pydantic and the DAP models by the first request that needs them
(adapter/certain.py; for TCP, ``__main__`` warms both up in a thread meanwhile).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from pathlib import Path

import anyio
from anyio import CancelScope
from anyio.abc import TaskGroup, TaskStatus

from monadapter.adapter import early_signals, sockets
from monadapter.adapter.early import EarlyStart
from monadapter.adapter.headstart import HeadStart
from monadapter.adapter.messagelog import MessageLog
from monadapter.adapter.sockets import SocketChannel
from monadapter.adapter.transport import StdioChannel

logger = logging.getLogger(__name__)


async def serve_stdio(early: EarlyStart, head_start: HeadStart | None = None) -> None:
    """Serve one session on stdin/stdout, going on from what ``early`` did (and with the debuggee
    the head start started for the first launch, if any); return when it ends.

    stdout is kept for DAP only: its file descriptor is duplicated for the session and fd 1 is
    pointed at stderr, so a stray print anywhere in the process cannot corrupt the protocol.
    """
    async with anyio.create_task_group() as background:
        await background.start(_stop_on_signal, background.cancel_scope)
        from monadapter.adapter.dispatcher import dispatch
        from monadapter.adapter.session import Session

        dap_out = os.dup(1)
        os.dup2(2, 1)
        session = Session(StdioChannel(0, dap_out), early.log, dispatch, background, early.reader, sent=early.sent)
        if early.client_arguments is not None:
            session.client_arguments = early.client_arguments
        session.lifecycle.head_start = head_start
        await session.run()
        background.cancel_scope.cancel()


async def serve_tcp(sock: socket.socket, log_dir: Path | None, access_token: str | None = None) -> None:
    """Serve each connection to the listening ``sock`` as its own session, until Ctrl-C or SIGTERM;
    with ``access_token``, a session launches or attaches only for a client that gives it."""
    sock.setblocking(False)
    async with anyio.create_task_group() as background:
        await background.start(_stop_on_signal, background.cancel_scope)

        async def handle(channel: SocketChannel) -> None:
            await _serve_connection(channel, log_dir, background, access_token)

        await sockets.serve(sock, handle, background)


async def _stop_on_signal(scope: CancelScope, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
    """SIGTERM/SIGHUP (an editor closing us, a terminal going away) and Ctrl-C's SIGINT end the
    adapter: every session shuts down, terminating the debuggees it launched.

    Started (``task_status``) once it watches them, before anything else runs: until then the
    handler of adapter/early_signals.py raises SystemExit, which must not come while a thread of
    ours reads stdin (asyncio's end would wait for that thread for ever). One that came before and
    whose SystemExit was swallowed (raised in a weakref callback) ends the adapter now."""
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGHUP, signal.SIGINT) as signals:
        task_status.started()
        if early_signals.received is not None:
            scope.cancel()
            return
        async for _ in signals:
            scope.cancel()
            return


async def _serve_connection(
    channel: SocketChannel, log_dir: Path | None, background: TaskGroup, access_token: str | None
) -> None:
    """Run one TCP session; whatever happens in it stays in it."""
    from monadapter.adapter.dispatcher import dispatch
    from monadapter.adapter.session import Session

    try:
        session = Session(channel, MessageLog.open(log_dir), dispatch, background)
        session.access_token = access_token
        await session.run()
    except Exception:
        logger.exception("a session ended with an internal error")

"""``attach`` with ``processId``: make a running Python 3.14+ process connect to us (agent/inject.py).

The adapter listens on a loopback port with a fresh secret, has the target run a bootstrap that
connects back (``sys.remote_exec``, run by the target's own interpreter binary), and accepts only
the connection that proves it knows the secret (adapter/peerauth.py): another local process that
connects first cannot take the session.
"""

from __future__ import annotations

import anyio

from monadapter.adapter import peerauth, sockets
from monadapter.adapter.errors import AdapterError
from monadapter.adapter.headstart import loopback_listener
from monadapter.adapter.sockets import SocketChannel
from monadapter.agent import auth, inject
from monadapter.agent.wire import MessageReader

#: How long the target's interpreter may take to hand the bootstrap over.
HELPER_TIMEOUT = 30.0
#: How long the target may take to run the bootstrap and connect back.
CONNECT_BACK_TIMEOUT = 30.0


async def attach_to_process(pid: int) -> tuple[SocketChannel, MessageReader]:
    """The authenticated connection of the agent started in process ``pid``.

    Raises:
        AdapterError: the process cannot be attached to (too old a Python, none at all, not ours...)
            or did not run the bootstrap in time; the message says why and what to do instead.
    """
    secret = auth.new_token()
    with loopback_listener() as listener:
        port = sockets.local_port(listener)
        try:
            # in a thread: it may wait (bounded) for the process's previous session to end
            injection = await anyio.to_thread.run_sync(
                inject.prepare, pid, "connect_session", "127.0.0.1", port, secret
            )
        except inject.InjectError as exc:
            raise AdapterError(str(exc)) from None
        try:
            try:
                with anyio.fail_after(HELPER_TIMEOUT):
                    helper = await anyio.run_process(injection.command, check=False)
            except TimeoutError:
                raise AdapterError(f"attaching to process {pid} did not finish within {HELPER_TIMEOUT:g} s") from None
            except OSError as exc:
                raise AdapterError(f"could not run the interpreter of process {pid}: {exc}") from None
            output = (helper.stdout + helper.stderr).decode(errors="replace")
            try:
                injection.check(helper.returncode, output)
            except inject.InjectError as exc:
                raise AdapterError(str(exc)) from None
            try:
                with anyio.fail_after(CONNECT_BACK_TIMEOUT):
                    return await peerauth.accept(listener, secret)
            except TimeoutError:
                raise AdapterError(
                    f"process {pid} did not run the attach code within {CONNECT_BACK_TIMEOUT:g} s: its main "
                    "thread must be running Python code (one blocked in a long system call runs it when the "
                    "call returns)"
                ) from None
        finally:
            injection.remove()

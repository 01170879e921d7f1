"""The in-program API (``monadapter.listen`` and friends), debugpy's shape, standard library only.

A program calls ``monadapter.listen(5678)`` and goes on running; clients attach, detach and attach
again for as long as it runs (agent/attached.py). ``monadapter/__init__.py`` exposes these
functions lazily, so ``import monadapter`` stays cheap and imports nothing outside the standard
library.
"""

from __future__ import annotations

import os
import sys

from monadapter.agent import attached, auth, hide
from monadapter.agent.attached import AttachError

__all__ = ["AttachError", "breakpoint", "is_client_connected", "listen", "wait_for_client"]

#: Where ``listen(port)`` listens when no host is given.
DEFAULT_HOST = "127.0.0.1"


def listen(
    address: int | tuple[str, int], *, access_token: str | None = None, allow_unauthenticated: bool = False
) -> tuple[str, int]:
    """Listen for debug clients on ``port`` or ``(host, port)`` (port 0: a free one) and return the
    ``(host, port)`` listened on. The program runs on; a client attaches with ``{"connect": {host,
    port}, "accessToken": ...}``, and may detach and come back.

    Every client must know the access token: ``access_token``, else the environment's
    ``MONADAPTER_ACCESS_TOKEN``, else (loopback only) one made up and printed on stderr. Listening on
    an address other hosts can reach without a token is refused unless ``allow_unauthenticated`` is true
    (then a warning is printed: whoever reaches the port can run code in the program).

    Raises:
        AttachError: listen was called already, or the program was launched under the debugger.
        ValueError: a malformed address, or a non-loopback address without a token.
        OSError: the address cannot be listened on (the port is in use, the host is not ours).
    """
    host, port = parse_address(address)
    secret, notice = choose_secret(host, access_token, allow_unauthenticated=allow_unauthenticated)
    listener = attached.Listener.start(host, port, secret)
    hide(keep=("monadapter",))  # the program imported monadapter itself; the rest is ours
    bound_host, bound_port = listener.address
    if notice:
        print(notice.format(host=bound_host, port=bound_port), file=sys.stderr, flush=True)
    return listener.address


def wait_for_client(timeout: float | None = None) -> bool:
    """Block until a client is attached and has finished configuring (its breakpoints are set);
    return False if ``timeout`` seconds passed first.

    Raises:
        AttachError: the program neither listens nor runs under the debugger.
    """
    return attached.wait_for_client(timeout)


def is_client_connected() -> bool:
    """Whether a debug client is attached now (or the program was launched under one)."""
    return attached.current_debugger() is not None


def breakpoint(*args: object, **kwargs: object) -> None:
    """Stop here (on the line after the call) when a client is attached; else do nothing.

    Also the ``PYTHONBREAKPOINT=monadapter.breakpoint`` hook of python's ``breakpoint()``.
    """
    debugger = attached.current_debugger()
    if debugger is not None:
        debugger.breakpoint_hook()


def parse_address(address: object) -> tuple[str, int]:
    """``port`` or ``(host, port)`` as ``(host, port)``; ValueError for anything else."""
    if isinstance(address, tuple) and len(address) == 2:
        host, port = address
    else:
        host, port = DEFAULT_HOST, address
    if not isinstance(host, str) or not host:
        raise ValueError(f"monadapter.listen: the host must be a non-empty string, got {host!r}")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"monadapter.listen: the port must be an integer from 0 to 65535, got {port!r}")
    return host, port


def choose_secret(host: str, token: str | None, *, allow_unauthenticated: bool) -> tuple[str, str | None]:
    """The secret a listener on ``host`` admits clients with, and a notice to print once it listens
    (``{host}``/``{port}`` filled in then), or None. See :func:`listen` for the rules.

    Raises:
        ValueError: no token for an address other hosts can reach, without ``allow_unauthenticated``.
    """
    from_environment = os.environ.pop(auth.TOKEN_ENV, "")  # the program and its children must not see it
    if token:
        return token, None
    if from_environment:
        return from_environment, None
    if allow_unauthenticated:
        return "", (
            "monadapter: WARNING: listening on {host}:{port} without an access token: "
            "whoever can reach this port can run any code in this program"
        )
    if not auth.is_loopback(host):  # a host that does not resolve too
        raise ValueError(
            f"listening on {host} without an access token would let anyone who reaches it run code in this "
            "program: give an access token (--access-token, access_token=, or MONADAPTER_ACCESS_TOKEN), "
            "or allow it explicitly (--allow-unauthenticated, allow_unauthenticated=True)"
        )
    made_up = auth.new_token()
    return made_up, f"monadapter agent access token: {made_up}"

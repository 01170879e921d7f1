"""The adapter server's access token (``--access-token``): who may make this adapter run code.

A DAP client has no handshake of its own before its first request, and editors only let users
write launch and attach configurations; so the token travels there, as ``adapterAccessToken``.
Until a ``launch`` or ``attach`` carried it, a session answers ``initialize`` (the capabilities are
no secret) and ``disconnect``, and refuses everything else; a ``launch`` or ``attach`` with a
missing or wrong token is refused and the connection closed, so each guess costs a connection.
The comparison takes the same time wherever the texts differ (agent/auth.py).
"""

from __future__ import annotations

from monadapter.adapter.requests import ParsedRequest
from monadapter.adapter.session import Session
from monadapter.agent import auth

#: The launch and attach argument that carries the token.
ARGUMENT = "adapterAccessToken"
#: Requests answered before the client proved itself.
OPEN_COMMANDS = frozenset({"initialize", "disconnect"})
_STARTS = frozenset({"launch", "attach"})


def refusal(session: Session, request: ParsedRequest) -> tuple[str, bool] | None:
    """None when ``request`` may go on; else the error message and whether to close the connection."""
    if session.authenticated or session.access_token is None or request.command in OPEN_COMMANDS:
        return None
    if request.command not in _STARTS:
        return f"this adapter needs its access token first: give '{ARGUMENT}' in the launch or attach arguments", False
    arguments = request.raw.get("arguments")
    given = arguments.get(ARGUMENT) if isinstance(arguments, dict) else None
    if not auth.same_token(given, session.access_token):
        return f"access denied: '{ARGUMENT}' is missing or wrong (the adapter's --access-token); closing", True
    session.authenticated = True
    return None

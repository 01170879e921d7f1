"""A request as the dispatcher hands it to a handler, and the error for a message that is none.

Standard library only: the dispatcher, the handlers and the session use these before pydantic and
the DAP models are imported (adapter/certain.py tells the configuration requests valid without
them); ``monadapter.protocol`` makes them from its models (``parse_request``) and re-exports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from monadapter.protocol import DAPModel
    from monadapter.protocol._generated import Request


class RequestValidationError(Exception):
    """A client message is not a valid DAP request; ``str(error)`` says why, for the user.

    ``seq`` and ``command`` are what could still be read from the message (``None`` when they
    could not), so the caller can address the error response to the request that failed.
    """

    def __init__(self, message: str, *, seq: int | None = None, command: str | None = None) -> None:
        super().__init__(message)
        self.seq = seq
        self.command = command


class ParsedRequest(NamedTuple):
    """A valid request.

    ``arguments`` is the validated arguments model, or ``None`` when the request has none, its
    command takes none (``threads``), or it was told valid without the models (adapter/certain.py:
    then ``request`` is ``None`` too). Fields the schema does not know, such as the ``type``,
    ``name``, ``request`` and ``__sessionId`` VS Code adds to launch arguments, are kept in the
    model's ``model_extra``; ``raw`` is the message exactly as the client sent it, for relaying
    (what the handlers read).
    """

    seq: int
    command: str
    arguments: DAPModel | None
    request: Request | None
    raw: dict[str, Any]

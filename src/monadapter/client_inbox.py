"""What the adapter sent a :class:`~monadapter.client_connection.DapConnection`, filed as it comes:
responses by ``request_seq``, events by name, reverse requests in order.

asyncio reads for the client (client_link.py) straight into the inbox's ``MessageReader``, and the
inbox files each whole message from the event loop's own callback, then wakes the waits
(client_waits.py) to look again. No event is ever lost: a wait looks at what was already received
first, and takes each event or response at most once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic_core import from_json

from monadapter.agent.wire import BadBody, MessageReader, decode
from monadapter.client_waits import Waits

Predicate = Callable[[dict[str, Any]], bool]


def _decoded(raw: bytes) -> dict[str, Any] | BadBody:
    """The message a frame's body holds, as :func:`~monadapter.agent.wire.decode` gives it.

    Read by pydantic's JSON parser (the adapter depends on pydantic already) first: it takes ~40 % fewer
    instructions than ``json``'s, ~55 M for a 1.4 MB ``variables`` answer (benchmarks S11), and what it
    reads it reads as ``json`` does. What it refuses (a lone surrogate's escape, which ``json`` reads
    as that surrogate; bytes that are not JSON) or reads as no object goes to ``decode``. It caches
    only keys' strings: values (the 10,000 different ``value`` and ``evaluateName`` texts of a
    variables page) hashed into its cache cost ~30 % of the parse and are rarely met again.
    """
    try:
        message = from_json(raw, cache_strings="keys")
    except ValueError:
        return decode(raw)
    return message if isinstance(message, dict) else decode(raw)


class Inbox:
    """Every message the adapter sent on one connection, filed for the waits to take; the link's
    :class:`~monadapter.client_link.Sink`.

    A reverse request is handed to ``answer`` as it is filed: the adapter waits for its response.
    """

    def __init__(self, waits: Waits, answer: Callable[[dict[str, Any]], None]) -> None:
        self._waits = waits
        self._answer = answer
        self._reader = MessageReader()
        #: request seq -> its response, until a wait takes it
        self.responses: dict[int, dict[str, Any]] = {}
        #: request seq -> how many events came before its response: what a client saw before an
        #: answer (a ``stopped`` event before a continue's answer is a stop that continue ended)
        self.events_before: dict[int, int] = {}
        #: the seqs of the requests answered, in the order their responses came
        self.answer_order: list[int] = []
        #: every event received, in order
        self.events: list[dict[str, Any]] = []
        #: event name -> indexes in ``events`` of the events of that name :meth:`take_event` has not
        #: returned yet, in order: a wait looks only at those, so thousands of other events (one
        #: ``breakpoint`` event per breakpoint of a large file) cost nothing per read
        self._untaken: dict[str, list[int]] = {}
        #: every reverse request the adapter sent (runInTerminal, startDebugging), in order
        self.reverse_requests: list[dict[str, Any]] = []
        self._children_taken = 0  # how many startDebugging requests take_child_start returned

    # --- what asyncio reads (client_link.Sink) -----------------------------------------------

    def space(self) -> memoryview:
        """Where the link reads the next bytes into: the reader's room, a long frame's body straight
        into its own."""
        return self._reader.space()

    def received(self, count: int) -> None:
        """``count`` bytes came into :meth:`space` (0: the end): file every whole message, then wake the
        waits."""
        reader = self._reader
        if count:
            reader.received(count)
        else:
            reader.feed(b"")
            self._waits.closed = True
        filed = not count
        while True:
            try:
                raw = reader.next_frame()
                if raw is None:
                    break
                message = _decoded(raw)
                if isinstance(message, BadBody):
                    raise ValueError(f"the adapter sent a bad message: {message.error}")
                self.file(message)
            except Exception as exc:  # a bad frame or message: raised to the next wait, never into asyncio
                self._waits.fail(exc)
            filed = True
        if filed:
            self._waits.wake()

    def file(self, message: dict[str, Any]) -> None:
        """File one message the adapter sent; answer it when it is a reverse request."""
        kind = message.get("type")
        if kind == "response":
            self.responses[message.get("request_seq", -1)] = message
            self.answer_order.append(message.get("request_seq", -1))
            self.events_before[message.get("request_seq", -1)] = len(self.events)
        elif kind == "event":
            self.events.append(message)
            name = message.get("event")
            if isinstance(name, str):
                self._untaken.setdefault(name, []).append(len(self.events) - 1)
        elif kind == "request":
            self.reverse_requests.append(message)
            self._answer(message)

    # --- what the waits take ---------------------------------------------------------------

    def take_event(self, names: tuple[str, ...], predicate: Predicate | None) -> dict[str, Any] | None:
        """The first event called one of ``names`` (matching ``predicate``) not taken before, now taken."""
        waiting = sorted(index for name in names for index in self._untaken.get(name, ()))
        for index in waiting:
            event = self.events[index]
            if predicate is None or predicate(event):
                self._untaken[event["event"]].remove(index)
                return event
        return None

    def take_child_start(self) -> dict[str, Any] | None:
        """The arguments of the first ``startDebugging`` request not taken before, now taken."""
        starts = [request for request in self.reverse_requests if request.get("command") == "startDebugging"]
        if len(starts) <= self._children_taken:
            return None
        self._children_taken += 1
        arguments = starts[self._children_taken - 1].get("arguments")
        return arguments if isinstance(arguments, dict) else {}

    def output(self, category: str | None = None) -> str:
        """All ``output`` event text received so far (of ``category`` when given), concatenated."""
        return "".join(
            event["body"]["output"]
            for event in self.events
            if event.get("event") == "output" and (category is None or event["body"].get("category") == category)
        )

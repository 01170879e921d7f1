"""The adapter's DAP connection to the agent inside the debuggee: requests out, answers and events in.

A successful answer to a relayed request is passed on undecoded (:class:`RawJSON`) when its envelope
has the exact form the agent's channel writes, ``{"type":"response","request_seq":N,"command":"C",
"success":true,"body":{...},"seq":M}`` (or ``..."success":true,"seq":M,"body":{...}}`` for a body the
agent wrote as text itself), and answers a pending relayed request for that command. Anything else
(a failure, another form, a body that is not an object) is decoded as before. The body itself is
not parsed: the agent's ``json`` wrote it, and the frame's length keeps the stream in step whatever it holds.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from monadapter.adapter.errors import AgentGoneError, AgentRequestFailed
from monadapter.adapter.messagelog import ADAPTER_TO_AGENT, AGENT_TO_ADAPTER, MessageLog
from monadapter.adapter.sockets import SocketChannel
from monadapter.adapter.transport import MessageWriter, take_frame
from monadapter.agent.wire import BadBody, FramingError, MessageReader, RawJSON, decode

_ANSWER_HEAD = re.compile(
    rb'\{"type":"response","request_seq":([0-9]{1,18}),"command":"([A-Za-z0-9_/]+)","success":true,'
    rb'("seq":[0-9]{1,18},)?"body":\{'
)
_ANSWER_TAIL = re.compile(rb'\},"seq":[0-9]{1,18}\}')
#: An event the agent's channel wrote, named without a ``/`` (so none of the agent-only ``monadapter/`` ones).
_EVENT_HEAD = re.compile(rb'\{"type":"event","event":"[A-Za-z0-9_]+",')
_SEQ_TAIL = re.compile(rb',"seq":[0-9]{1,18}\}')


def split_answer(raw: bytes) -> tuple[int, str, RawJSON] | None:
    """Return (request_seq, command, body) of a successful agent answer in the channel's exact form, else None.

    Only the envelope is read: the head by a regular expression anchored at the start, the tail
    (``},"seq":M}``, or ``}}`` when ``seq`` came before the body) at the end. The body between them
    starts with ``{`` and ends with ``}``; it is a view into ``raw``, not a copy.
    """
    head = _ANSWER_HEAD.match(raw)
    if head is None:
        return None
    if head[3]:
        tail = len(raw) - 2
        if tail < head.end() or not raw.endswith(b"}}"):
            return None
    else:
        tail = raw.rfind(b',"seq":') - 1
        if tail < head.end() or _ANSWER_TAIL.fullmatch(raw, tail) is None:
            return None
    return int(head[1]), head[2].decode("ascii"), RawJSON(memoryview(raw)[head.end() - 1 : tail + 1])


def event_text(raw: bytes) -> bytes | None:
    """The text of an agent event up to its ``seq``, when it is in the channel's exact form
    (``{"type":"event","event":"E",...,"seq":M}``, ``seq`` last) and not an agent-only event: the
    event as the client gets it, but for its own ``seq`` (:meth:`MessageWriter.forward`). Else None."""
    if _EVENT_HEAD.match(raw) is None:
        return None
    tail = raw.rfind(b',"seq":')
    if tail < 0 or _SEQ_TAIL.fullmatch(raw, tail) is None:
        return None
    return raw[:tail]


#: How many pieces (about as many messages) the client's writer keeps before it writes them, while
#: more frames of one read wait: a stop's ~500 events go out in ~8 writes, the client reading each
#: while the adapter makes the next (one write at the end of the read made it wait for all).
RELAY_BATCH = 64


#: What a relayed request's answer is handed to: the agent's answer (a successful one's body may be
#: :class:`RawJSON`), or None when the agent went away first.
Relay = Callable[[dict[str, Any] | None], Awaitable[None]]


def answer_body(command: str, response: dict[str, Any] | None) -> dict[str, Any] | RawJSON:
    """The body of the agent's answer ``response`` to ``command``.

    Raises:
        AgentRequestFailed: the agent answered ``success: false``.
        AgentGoneError: the agent went away first (``response`` is None).
    """
    if response is None:
        raise AgentGoneError(command)
    if not response.get("success"):
        message = response.get("message") or f"{command} failed"
        raise AgentRequestFailed(str(message), response.get("body"))
    body = response.get("body")
    return body if isinstance(body, (dict, RawJSON)) else {}


class PendingRequest:
    """A request sent to the agent (or a reverse request sent to the client) whose answer has not come yet.

    A request relayed for the client has ``relay_to``: the agent link's reading loop hands it the
    answer as soon as it is read, and reads nothing more until it returns. So the answer reaches
    the client before any event the agent sent after it (the ``stopped`` of a thread that
    ``continue`` let run), with no task or wake-up per request: a relayed request is the hot path
    of every stop (benchmarks S10). Any other request is awaited (:meth:`result`).
    """

    def __init__(self, command: str, *, relay_to: Relay | None = None, client_seq: int | None = None) -> None:
        self.command = command
        self.relay_to = relay_to
        # the seq the client gave the request (a relayed one): what its ``cancel`` names
        self.client_seq = client_seq
        self.response: dict[str, Any] | None = None
        #: set once the answer came (or never will): what :meth:`result` waits for; a relayed
        #: request has none
        self.done = anyio.Event() if relay_to is None else None

    async def deliver(self, response: dict[str, Any]) -> None:
        """Hand over the answer: to ``relay_to`` (which sends it on), else to whoever awaits it."""
        self.response = response
        if self.relay_to is not None:
            await self.relay_to(response)
        else:
            self.finish()

    def finish(self) -> None:
        """The answer is in, or none will come: wake whoever awaits it."""
        if self.done is not None:
            self.done.set()

    async def result(self) -> dict[str, Any] | RawJSON:
        """Wait for the answer and return its body (see :func:`answer_body` for what it raises)."""
        assert self.done is not None, "a relayed request's answer goes to relay_to"
        await self.done.wait()
        return answer_body(self.command, self.response)

    async def decoded_result(self) -> dict[str, Any]:
        """:meth:`result` of a request that is not relayed, whose body is always decoded."""
        body = await self.result()
        assert isinstance(body, dict), "only a relayed request gets RawJSON"
        return body


class AgentLink:
    """One agent connection: a single writer, the pending requests by seq, and the reading loop."""

    def __init__(self, channel: SocketChannel, log: MessageLog, reader: MessageReader | None = None) -> None:
        """``reader``: the one the handshake read with (it may hold the agent's first message)."""
        self._channel = channel
        self._reader = reader
        self._log = log
        self._writer = MessageWriter(channel, log, ADAPTER_TO_AGENT)
        self._pending: dict[int, PendingRequest] = {}
        self.closed = anyio.Event()
        #: ``closed`` is set: looked at before every request sent (a bool, not a call)
        self.gone = False

    async def send_request(self, message: dict[str, Any]) -> PendingRequest:
        """Send an adapter-made request (its ``seq`` is ours) and return its pending answer.

        Raises:
            AgentGoneError: the agent is gone already.
        """
        pending = PendingRequest(str(message.get("command")))
        if self.gone:
            raise AgentGoneError(pending.command)
        seq = await self._writer.send(message, before_write=lambda seq: self._pending.__setitem__(seq, pending))
        self._check_sent(seq, pending)
        return pending

    async def relay(self, client_seq: int, command: str, text: bytes, relay_to: Relay) -> None:
        """Send a client's valid request as the client wrote it, ``text`` (its JSON object), but for
        the ``seq`` of ours that follows the client's own (:meth:`MessageWriter.forward`); its answer
        (a successful one's body :class:`RawJSON`) goes to ``relay_to``. Encoding the decoded request again cost ~20 k
        instructions (3.13), for every request an editor sends at a stop.

        Raises:
            AgentGoneError: the agent is gone already.
        """
        pending = PendingRequest(command, relay_to=relay_to, client_seq=client_seq)
        if self.gone:
            raise AgentGoneError(command)
        # the text up to the end of its last member: the closing brace (a valid request is an object)
        head = text.rstrip(b" \t\n\r")[:-1]
        seq = await self._writer.forward(head, before_write=lambda seq: self._pending.__setitem__(seq, pending))
        self._check_sent(seq, pending)

    def _check_sent(self, seq: int, pending: PendingRequest) -> None:
        """Raise AgentGoneError if the agent went away while request ``seq`` waited to be sent."""
        if self.gone and self._pending.pop(seq, None) is not None:
            raise AgentGoneError(pending.command)

    def relayed_seq(self, client_seq: int) -> int | None:
        """Our seq of the client's request ``client_seq`` relayed to the agent and not answered yet."""
        for seq, pending in self._pending.items():
            if pending.relay_to is not None and pending.client_seq == client_seq:
                return seq
        return None

    async def request(self, command: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send an adapter-made request and wait for its body."""
        message: dict[str, Any] = {"type": "request", "command": command}
        if arguments is not None:
            message["arguments"] = arguments
        return await (await self.send_request(message)).decoded_result()

    async def run(
        self, on_event: Callable[[dict[str, Any]], Awaitable[None]], relay: MessageWriter | None = None
    ) -> None:
        """Read until the agent goes away: answers go to their waiters, events to ``on_event``; then
        the requests still waiting fail (a relayed one is answered so, once the loop ended by itself).

        ``relay``: the client's writer, held while the frames of one read are handled, so that what
        they make the session send (relayed answers and events) goes out in one write, or one per
        :data:`RELAY_BATCH` pieces (the client parses a batch while the next is made). With it, and no
        message log, an event in the channel's exact form reaches ``on_event`` undecoded, as
        ``{"type": "event", "text": ...}`` (:func:`event_text`): a stop's ~500 ``module`` and
        ``loadedSource`` events cost the adapter ~75 k instructions each decoded and encoded again.
        """
        left: list[PendingRequest] = []
        reader = self._reader or MessageReader()
        try:
            while True:
                raw = take_frame(reader)
                if raw is None:
                    if reader.at_eof:
                        break
                    if relay is not None:
                        await relay.flush()  # every frame read so far was handled
                    await self._channel.receive_into(reader)
                    continue
                if relay is not None:
                    if relay.held() >= RELAY_BATCH:  # the client reads these while we go on
                        await relay.flush()
                    relay.hold()
                if isinstance(raw, FramingError):
                    self._log.record_error("agent", str(raw))
                    if not raw.recoverable:
                        break
                    continue
                if await self._passed_through(raw):
                    continue
                if relay is not None and not self._log.enabled:
                    text = event_text(raw)
                    if text is not None:
                        await on_event({"type": "event", "text": text})
                        continue
                item = decode(raw)
                if isinstance(item, BadBody):
                    self._log.record_error("agent", item.error)
                    continue
                self._log.record(AGENT_TO_ADAPTER, item)
                if item.get("type") == "response":
                    pending = self._pending.pop(item.get("request_seq"), None)  # type: ignore[arg-type]
                    if pending is not None:
                        await pending.deliver(item)
                elif item.get("type") == "event":
                    await on_event(item)
        finally:
            if relay is not None:
                await relay.flush()  # what the last read made the session send (none if cancelled)
            self.gone = True
            self.closed.set()
            left = list(self._pending.values())
            self._pending.clear()
            for pending in left:
                pending.finish()
        for pending in left:
            if pending.relay_to is not None:
                await pending.relay_to(None)

    async def _passed_through(self, raw: bytes) -> bool:
        """Hand an answer to its pending pass-through request undecoded, if it is one; say whether it was."""
        answer = split_answer(raw)
        if answer is None:
            return False
        request_seq, command, body = answer
        pending = self._pending.get(request_seq)
        if pending is None or pending.relay_to is None or pending.command != command:
            return False
        del self._pending[request_seq]
        message = {"type": "response", "request_seq": request_seq, "command": command, "success": True}
        if self._log.enabled:
            self._log.record(AGENT_TO_ADAPTER, {**message, "body": body.decoded()})
        await pending.deliver({**message, "body": body})
        return True

    async def aclose(self) -> None:
        """Close the connection; the reading loop then ends and fails what is pending."""
        await self._channel.aclose()

"""The relay of agent events: what one read from the agent makes the session send goes out in one
write (transport.MessageWriter.hold/flush, adapter/agentlink.AgentLink.run): a stop's ~500
``module`` and ``loadedSource`` events and its ``stopped`` (benchmarks S9), in order; an event in
the agent channel's exact form goes out as the agent wrote it, renumbered (agentlink.event_text,
MessageWriter.forward), not decoded and encoded again."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import anyio
import pytest

from monadapter.adapter import sockets
from monadapter.adapter.agentlink import RELAY_BATCH, AgentLink, event_text
from monadapter.adapter.messagelog import ADAPTER_TO_CLIENT, MessageLog
from monadapter.adapter.transport import MessageWriter, StdioChannel
from monadapter.agent.channel import Channel
from monadapter.agent.wire import MessageReader, RawJSON, encode
from monadapter.client import DapClient, adapter_command

WAIT = 10.0


# Text that looks like the envelope's tail inside the body, and text JSON must escape.
TRICKY = {"reason": "new", "module": {"id": 3, "name": 'é"},"seq":1}\\', "path": ',"seq":2}'}}


def agent_events(*events: tuple[str, dict[str, Any] | None]) -> list[bytes]:
    """The frame bodies a real agent Channel writes for ``events`` (sent in one write, as a stop's)."""
    left, right = socket.socketpair()
    right.settimeout(WAIT)
    with left, right:
        Channel(left).send_events(events)  # type: ignore[arg-type]
        reader = MessageReader()
        frames: list[bytes] = []
        while len(frames) < len(events):
            reader.feed(right.recv(65536))
            frames += iter(reader.next_frame, None)
        return frames


@pytest.mark.unit
def test_an_agent_events_text_is_the_event_but_its_seq() -> None:
    frames = agent_events(("module", TRICKY), ("initialized", None), ("stopped", {"reason": "step", "threadId": 1}))
    for raw in frames:
        text = event_text(raw)
        assert text is not None and raw.startswith(text)
        assert json.loads(text + b',"seq":9}') == {**json.loads(raw), "seq": 9}


@pytest.mark.unit
@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(agent_events(("monadapter/hello", {"pid": 1}))[0], id="an agent-only event"),
        pytest.param(b'{"type":"event","event":"output","body":{}}', id="no seq at the end"),
        pytest.param(b'{"type":"event","event":"output","body":{},"seq":3} ', id="bytes after the end"),
        pytest.param(b'{"type":"event","event":"output","seq":3,"body":{}}', id="seq before the body"),
        pytest.param(b'{"type":"event","event":"out\\"put","body":{},"seq":3}', id="an escaped name"),
        pytest.param(b'{"type": "event", "event": "output", "body": {}, "seq": 3}', id="another spacing"),
        pytest.param(b'{"type":"response","request_seq":7,"command":"threads","success":true,"body":{},"seq":3}'),
    ],
)
def test_anything_else_is_decoded(raw: bytes) -> None:
    assert event_text(raw) is None


def packet_writer(theirs: socket.socket, ours: socket.socket) -> MessageWriter:
    """A writer on the stdio channel whose stdout is ``ours``, one end of a SOCK_SEQPACKET pair: each
    write the writer makes is one packet on ``theirs``."""
    theirs.setblocking(False)
    return MessageWriter(StdioChannel(ours.fileno(), ours.fileno()), MessageLog(None), ADAPTER_TO_CLIENT)


def packets(sock: socket.socket) -> list[list[dict[str, Any]]]:
    """The messages of each packet waiting on ``sock``."""
    found = []
    while True:
        try:
            data = sock.recv(1 << 20)
        except BlockingIOError:
            return found
        reader = MessageReader()
        reader.feed(data)
        found.append([json.loads(raw) for raw in iter(reader.next_frame, None)])


async def test_what_is_sent_while_held_goes_out_in_one_write_at_the_flush() -> None:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with ours, theirs:
        writer = packet_writer(theirs, ours)
        await writer.send({"type": "event", "event": "output", "body": {"output": "a"}})
        writer.hold()
        await writer.forward(b'{"type":"event","event":"module","body":{"reason":"new"}')
        await writer.send({"type": "event", "event": "stopped", "body": {"reason": "step"}})
        assert [[m["seq"] for m in packet] for packet in packets(theirs)] == [[1]]  # nothing out while held
        await writer.flush()
        await writer.send({"type": "response", "request_seq": 4, "command": "threads", "success": True})
        got = packets(theirs)
    assert [[(m["seq"], m.get("event", m.get("command"))) for m in packet] for packet in got] == [
        [(2, "module"), (3, "stopped")],
        [(4, "threads")],
    ]
    assert got[0][0]["body"] == {"reason": "new"}


async def test_a_stops_announcements_reach_the_client_whole_and_in_order(tmp_path: Path) -> None:
    """The events of a stop (relayed in one write) are the modules the program loaded, the ``stopped``
    last, with the client seqs in order."""
    program = tmp_path / "prog.py"
    program.write_text("import json, decimal\nvalue = json.dumps([1])\nprint(value)\n")
    async with DapClient.spawn(adapter_command()) as client:
        stopped = await client.launch_and_stop({program: [3]}, program=str(program))
        events = client.events
        names = {e["body"]["module"]["name"] for e in events if e["event"] == "module"}
        assert {"json", "decimal"} <= names
        last = events.index(stopped)
        seqs = [e["seq"] for e in events[: last + 1]]
        assert seqs == sorted(seqs)
        assert stopped["body"]["reason"] == "breakpoint"
        await client.continue_(stopped["body"]["threadId"])
        await client.wait_for_event("terminated")
        assert "[1]" in await client.wait_for_output("[1]", timeout=WAIT)


def test_a_stops_announcements_go_to_the_client_in_one_write(tmp_path: Path) -> None:
    """The adapter's stdout a SOCK_SEQPACKET socket (each write one packet): the ``module`` and
    ``loadedSource`` events of a stop and its ``stopped`` come in a few packets of up to RELAY_BATCH
    messages, not one each."""
    program = tmp_path / "prog.py"
    program.write_text("import json, decimal, fractions, email.message\nvalue = 1\n")
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    theirs.settimeout(WAIT)
    adapter = subprocess.Popen(adapter_command(), stdin=subprocess.PIPE, stdout=ours.fileno())
    ours.close()
    assert adapter.stdin is not None
    seq = iter(range(1, 100))

    def send(command: str, arguments: dict[str, Any]) -> None:
        message = {"seq": next(seq), "type": "request", "command": command, "arguments": arguments}
        adapter.stdin.write(encode(message))  # type: ignore[union-attr]
        adapter.stdin.flush()  # type: ignore[union-attr]

    def until(event: str) -> list[list[str]]:
        """The messages (event names, or commands answered) of each packet, up to the one with ``event``."""
        got: list[list[str]] = []
        while not any(name == event for packet in got for name in packet):
            reader = MessageReader()
            reader.feed(theirs.recv(1 << 20))
            got.append([m.get("event") or m["command"] for m in map(json.loads, iter(reader.next_frame, None))])
        return got

    try:
        send("initialize", {"adapterID": "x"})
        send("launch", {"program": str(program)})
        until("initialized")
        send("setBreakpoints", {"source": {"path": str(program)}, "breakpoints": [{"line": 2}]})
        send("configurationDone", {})
        got = until("stopped")
        announced = [p for p in got if "module" in p or "loadedSource" in p or "stopped" in p]
        count = sum(name in ("module", "loadedSource") for packet in announced for name in packet)
        assert count > 30
        # one write each before: count + 1 packets; now one per RELAY_BATCH, and what is left of the read
        assert len(announced) <= (count + 1) // RELAY_BATCH + 2, [len(p) for p in announced]
        assert max(len(p) for p in announced) <= RELAY_BATCH
        assert announced[-1][-1] == "stopped"
        send("disconnect", {})
    finally:
        adapter.stdin.close()
        with theirs:
            adapter.wait(WAIT)


async def test_a_relayed_request_reaches_the_agent_as_the_client_wrote_it_with_our_seq() -> None:
    """A client's request goes to the agent as its text, the adapter's ``seq`` added after the client's
    (AgentLink.relay, MessageWriter.forward): a real agent Channel reads our seq and the client's
    arguments, and answers it; the answer reaches the relay with its body undecoded."""
    ours, theirs = socket.socketpair()
    seen: list[tuple[int, dict[str, Any]]] = []
    agent = Channel(theirs)

    def evaluate(request: Any) -> None:
        seen.append((request.seq, request.arguments))
        request.reply({"result": request.arguments["expression"], "variablesReference": 0})

    agent.register("evaluate", evaluate)
    agent.start()
    # the client's own spacing, escapes and seq; whitespace after the object
    text = b' {"seq": 7, "type":"request", "command":"evaluate",\n "arguments":{"expression":"\\u00e9 \\"}\\""}} \r\n'
    answers: list[dict[str, Any] | None] = []
    answered = anyio.Event()

    async def relay_to(response: dict[str, Any] | None) -> None:
        answers.append(response)
        answered.set()

    link = AgentLink(await sockets.accepted(ours), MessageLog(None))
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(link.run, _no_events)
            await link.relay(7, "evaluate", text, relay_to)
            await link.relay(7, "evaluate", text, relay_to)  # the same client seq twice: each is ours
            with anyio.fail_after(WAIT):
                while len(answers) < 2:
                    await answered.wait()
                    answered = anyio.Event()
            group.cancel_scope.cancel()
    finally:
        await link.aclose()
        agent.close()
    assert seen == [(1, {"expression": 'é "}"'}), (2, {"expression": 'é "}"'})]
    for response in answers:
        assert response is not None and response["request_seq"] in (1, 2)
        assert isinstance(response["body"], RawJSON)
        assert response["body"].decoded() == {"result": 'é "}"', "variablesReference": 0}


async def _no_events(event: dict[str, Any]) -> None:
    raise AssertionError(f"no event expected: {event}")


async def test_a_writer_waiting_for_its_turn_keeps_the_order_and_a_cancelled_one_sends_nothing() -> None:
    """While a send waits for a full stdout to drain, the others wait for their turn (transport._Turn)
    and go out after it in the order they came; one cancelled while it waits sends nothing, takes
    no seq and holds up nobody."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        writer = MessageWriter(StdioChannel(ours.fileno(), ours.fileno()), MessageLog(None), ADAPTER_TO_CLIENT)
        big = {"type": "event", "event": "output", "body": {"output": "x" * (1 << 20)}}
        async with anyio.create_task_group() as group:
            group.start_soon(writer.send, big)  # fills the socket: waits for the reader
            await anyio.sleep(0)
            cancelled = anyio.CancelScope()

            async def second() -> None:
                with cancelled:
                    await writer.send({"type": "event", "event": "output", "body": {"output": "never"}})

            group.start_soon(second)
            group.start_soon(writer.send, {"type": "event", "event": "output", "body": {"output": "third"}})
            await anyio.sleep(0)
            await anyio.sleep(0)
            cancelled.cancel()
            theirs.setblocking(False)
            reader = MessageReader()
            got: list[dict[str, Any]] = []
            with anyio.fail_after(WAIT):
                while len(got) < 2:
                    await anyio.wait_readable(theirs)
                    reader.feed(theirs.recv(1 << 20))
                    got += [json.loads(raw) for raw in iter(reader.next_frame, None)]
    assert [(m["seq"], m["body"]["output"][:5]) for m in got] == [(1, "xxxxx"), (2, "third")]
    assert cancelled.cancelled_caught

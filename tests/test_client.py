"""The headless DapClient: buffered events, errors, timeouts, concurrent waiters, reverse requests."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import SocketStream

from monadapter.agent.wire import BadBody, MessageReader, decode, encode
from monadapter.client import DapClient, DapConnectionClosed, DapError, DapTimeout
from monadapter.client_inbox import _decoded
from monadapter.client_link import Link, Sink

WAIT = 30.0


async def test_events_received_earlier_are_not_lost(client: DapClient, make_program: Callable[..., Path]) -> None:
    program = make_program("import sys\nprint('one')\nprint('two', file=sys.stderr)")
    await client.run_to_end(program=str(program))
    # everything arrived already; waiting still finds each event, once
    count = sum(event["event"] == "output" for event in client.events)
    found = [await client.wait_for_event("output") for _ in range(count)]
    assert len({id(event) for event in found}) == count
    assert "".join(event["body"]["output"] for event in found if event["body"]["category"] == "stdout") == "one\n"
    assert "".join(event["body"]["output"] for event in found if event["body"]["category"] == "stderr") == "two\n"
    with pytest.raises(DapTimeout):
        await client.wait_for_event("output", timeout=0.2)
    process = await client.wait_for_event("process")
    assert process["body"]["name"] == str(program)


async def test_a_failed_request_raises_dap_error_with_the_response(client: DapClient) -> None:
    with pytest.raises(DapError, match="no debuggee is running") as caught:
        await client.threads()
    assert caught.value.response["command"] == "threads"


async def test_waits_time_out_with_a_message_naming_what_was_awaited(client: DapClient) -> None:
    with pytest.raises(DapTimeout, match="'never-sent' event"):
        await client.wait_for_event("never-sent", timeout=0.2)
    await client.request("initialize", {"adapterID": "x"})  # the client is still usable


async def test_concurrent_waiters_each_get_their_message(client: DapClient, make_program: Callable[..., Path]) -> None:
    """As VS Code does it: the launch response is awaited while configuration goes on beside it."""
    program = make_program("print('configured concurrently')")
    launched = await client.launch(program=str(program))
    results: dict[str, Any] = {}

    async def await_launch() -> None:
        results["launch"] = await launched

    async def configure() -> None:
        await client.wait_for_event("initialized")
        results["configurationDone"] = await client.configuration_done()

    async with anyio.create_task_group() as group:
        group.start_soon(await_launch)
        group.start_soon(configure)
    assert results == {"launch": {}, "configurationDone": {}}
    await client.wait_for_event("terminated")
    assert client.output("stdout") == "configured concurrently\n"


async def test_waiting_on_a_closed_connection_raises(client: DapClient) -> None:
    await client.disconnect()
    with pytest.raises(DapConnectionClosed):
        await client.threads()


# --- reverse requests, against a minimal DAP peer on a real socket -------------------------------


async def serve_once(handler: Callable[[SocketStream], Awaitable[None]]) -> AsyncIterator[int]:
    """Serve one connection with ``handler``; yield the port."""
    async with await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0) as listener:
        async with anyio.create_task_group() as group:
            group.start_soon(listener.serve, handler)
            yield listener.extra(anyio.abc.SocketAttribute.local_port)
            group.cancel_scope.cancel()


async def read_message(stream: SocketStream, reader: MessageReader) -> dict[str, Any]:
    while (message := reader.next_message()) is None:
        reader.feed(await stream.receive())
    assert isinstance(message, dict)
    return message


async def test_reverse_requests_are_answered(tmp_path: Path) -> None:
    out = tmp_path / "env.json"
    script = f"import json, os; json.dump(dict(os.environ), open({str(out)!r}, 'w'))"
    answers: list[dict[str, Any]] = []

    async def adapter(stream: SocketStream) -> None:
        async with stream:
            await play_adapter(stream)

    async def play_adapter(stream: SocketStream) -> None:
        reader = MessageReader()
        await stream.send(
            encode(
                {
                    "seq": 1,
                    "type": "request",
                    "command": "runInTerminal",
                    "arguments": {
                        "kind": "integrated",
                        "cwd": str(tmp_path),
                        "args": [sys.executable, "-c", script],
                        "env": {"MONADAPTER_ADDED": "1", "HOME": None},
                    },
                }
            )
        )
        await stream.send(
            encode(
                {
                    "seq": 2,
                    "type": "request",
                    "command": "startDebugging",
                    "arguments": {"request": "launch", "configuration": {}},
                }
            )
        )
        await stream.send(encode({"seq": 3, "type": "request", "command": "somethingElse"}))
        for _ in range(3):
            answers.append(await read_message(stream, reader))
        await stream.send(encode({"seq": 4, "type": "event", "event": "done"}))

    async for port in serve_once(adapter):
        async with DapClient.connect("127.0.0.1", port) as client:
            client.follow_children = True
            await client.wait_for_event("done")
            run_in_terminal, start_debugging, unknown = answers
            assert (
                run_in_terminal["success"] and run_in_terminal["body"]["processId"] == client.terminal_processes[0].pid
            )
            assert start_debugging["success"] and start_debugging["request_seq"] == 2
            assert not unknown["success"] and "somethingElse" in unknown["message"]
            assert [request["command"] for request in client.reverse_requests] == [
                "runInTerminal",
                "startDebugging",
                "somethingElse",
            ]
            with anyio.fail_after(10):
                while client.terminal_processes[0].poll() is None:
                    await anyio.sleep(0.05)
    environment = json.loads(out.read_text())
    assert environment["MONADAPTER_ADDED"] == "1" and "HOME" not in environment


async def never_opened(sink: Sink) -> tuple[Link, None]:
    raise AssertionError("a client of a unit test is never entered")


@pytest.mark.unit
async def test_a_wait_finds_its_event_among_thousands_of_others_in_order() -> None:
    """Events already received are found by name, in arrival order, each returned once, whatever
    else came (5,000 breakpoint events); a predicate skips what it rejects and leaves it for later."""
    client = DapClient(never_opened)
    for number in range(5000):
        client._inbox.file({"type": "event", "event": "breakpoint", "body": {"n": number}})
        if number in (10, 20, 30):
            client._inbox.file({"type": "event", "event": "stopped", "body": {"n": number}})
    client._inbox.file({"type": "event", "event": "exited", "body": {"n": -1}})
    late = await client.wait_for_event("stopped", lambda event: event["body"]["n"] > 15)
    first = await client.wait_for_event("stopped")
    either = await client.wait_for_any_event("exited", "stopped")
    assert [late["body"]["n"], first["body"]["n"], either["body"]["n"]] == [20, 10, 30]
    assert (await client.wait_for_event("breakpoint"))["body"]["n"] == 0
    assert (await client.wait_for_event("exited"))["body"]["n"] == -1
    assert len(client.events) == 5004


@pytest.mark.unit
@pytest.mark.parametrize(
    "raw",
    [
        b'{"seq":1,"type":"event","event":"output","body":{"output":"\xc3\xa9 \\u00e9 \\ud83d\\ude00 \\u0000"}}',
        b'{"a":"\\ud800","b":"\\udc00\\ud800"}',  # lone surrogates: pydantic's parser refuses them
        b'{"n":123456789012345678901234567890,"f":1.7976931348623157e308,"g":-0.0,"i":1e999,"nan":NaN}',
        b' \r\n{"a":[1,{"b":null,"c":true}],"a":2} \t',  # whitespace around, a duplicate key
        b"[1]",
        b'"text"',
        b'{"a":1} x',
        b'{"a":"\x01"}',
        b"\xff",
        b"\xef\xbb\xbf{}",
    ],
)
def test_the_client_reads_a_body_as_wire_decode_does(raw: bytes) -> None:
    """The client reads JSON with pydantic's parser, falling back to json (wire.decode) for what it
    refuses: either way the message is what decode gives."""
    got, expected = _decoded(raw), decode(raw)
    if isinstance(expected, BadBody):
        assert isinstance(got, BadBody) and got.error == expected.error
    else:
        assert json.dumps(got) == json.dumps(expected)  # NaN compares unequal to itself


async def test_a_bad_message_is_raised_by_the_next_wait_and_what_follows_it_is_still_read() -> None:
    """asyncio reads for the client: a frame that is no JSON object is raised by the wait that looks
    next (never into asyncio's callback), and the messages after it are filed as ever."""

    async def adapter(stream: SocketStream) -> None:
        async with stream:
            await stream.send(encode({"seq": 1, "type": "event", "event": "one"}))
            await stream.send(b"Content-Length: 5\r\n\r\n[1,2]")
            await stream.send(encode({"seq": 2, "type": "event", "event": "two"}))
            await anyio.sleep_forever()  # serve_once ends it

    async for port in serve_once(adapter):
        async with DapClient.connect("127.0.0.1", port) as client:
            with pytest.raises(ValueError, match="the adapter sent a bad message: message body is a JSON list"):
                await client.wait_for_event("two")
            assert (await client.wait_for_event("two"))["seq"] == 2
            assert (await client.wait_for_event("one"))["seq"] == 1


async def test_a_send_waits_while_the_adapter_reads_nothing_and_ends_once_it_reads() -> None:
    """Flow control: a send returns while asyncio holds little unsent, and waits while the adapter
    reads nothing (once the socket's buffers and asyncio's high-water mark are full) until it reads."""
    chunk = b"x" * (1 << 20)
    may_read = anyio.Event()
    done = anyio.Event()
    all_read = anyio.Event()
    sent = received = 0

    async def adapter(stream: SocketStream) -> None:
        nonlocal received
        async with stream:
            await may_read.wait()
            with contextlib.suppress(anyio.EndOfStream):
                while True:
                    received += len(await stream.receive())
            all_read.set()
            await anyio.sleep_forever()  # serve_once ends it

    async for port in serve_once(adapter):
        async with DapClient.connect("127.0.0.1", port) as client:

            async def send() -> None:
                nonlocal sent
                while not may_read.is_set():  # the kernel's buffers hold a few MiB at most
                    await client.send_raw(chunk)
                    sent += len(chunk)
                done.set()

            async with anyio.create_task_group() as group:
                group.start_soon(send)
                with anyio.fail_after(WAIT):
                    while not (client._channel.link is not None and client._channel.link.paused):
                        await anyio.sleep(0.01)  # until asyncio says the adapter reads too slowly
                assert not done.is_set()  # the send waits in drain until asyncio resumes writing
                may_read.set()
                with anyio.fail_after(WAIT):
                    await done.wait()
        with anyio.fail_after(WAIT):
            await all_read.wait()  # the close wrote what was left
    assert received == sent > 0


async def test_a_send_once_the_adapter_closed_the_connection_raises_connection_closed() -> None:
    async def adapter(stream: SocketStream) -> None:
        await stream.aclose()

    async for port in serve_once(adapter):
        async with DapClient.connect("127.0.0.1", port) as client:
            with pytest.raises(DapConnectionClosed):
                await client.wait_for_event("never-sent")
            with pytest.raises(DapConnectionClosed, match="the connection to the adapter is closed"):
                await client.send_request("threads")


async def test_waits_side_by_side_each_end_at_their_own_deadline() -> None:
    """The connection's one timer serves every wait: a short wait beside a long one times out on time,
    and the long one, woken then, waits on and gets its event."""
    may_send = anyio.Event()
    got: dict[str, Any] = {}

    async def adapter(stream: SocketStream) -> None:
        async with stream:
            await may_send.wait()
            await stream.send(encode({"seq": 1, "type": "event", "event": "later"}))
            await anyio.sleep_forever()  # serve_once ends it

    async for port in serve_once(adapter):
        async with DapClient.connect("127.0.0.1", port) as client:

            async def long_wait() -> None:
                got["later"] = await client.wait_for_event("later", timeout=WAIT)

            async with anyio.create_task_group() as group:
                group.start_soon(long_wait)
                with pytest.raises(DapTimeout, match="timed out after 0.2 s waiting for a 'never-sent' event"):
                    await client.wait_for_event("never-sent", timeout=0.2)
                assert not got
                may_send.set()
            assert got["later"]["seq"] == 1
            with pytest.raises(DapTimeout):  # a wait after them still has a timer
                await client.wait_for_event("never-sent", timeout=0.2)

"""The sans-IO framing (agent/wire.py), fed the h11 way: whole, byte by byte, glued, split, broken."""

from __future__ import annotations

import json
from typing import Any

import pytest

from monadapter.agent.wire import BadBody, FramingError, MessageReader, RawJSON, encode, frame, numbered, written

pytestmark = pytest.mark.unit

MESSAGE = {"seq": 1, "type": "request", "command": "initialize", "arguments": {"adapterID": "é✓"}}
OTHER = {"seq": 2, "type": "request", "command": "threads"}


def read_all(reader: MessageReader) -> list[Any]:
    """Take every message the reader has whole (framing errors are returned in place)."""
    out: list[Any] = []
    while True:
        try:
            message = reader.next_message()
        except FramingError as exc:
            out.append(exc)
            continue
        if message is None:
            return out
        out.append(message)


def feed_in_chunks(data: bytes, size: int) -> list[Any]:
    reader = MessageReader()
    out: list[Any] = []
    for start in range(0, len(data), size):
        reader.feed(data[start : start + size])
        out += read_all(reader)
    return out


def test_encode_writes_content_length_of_the_utf8_body() -> None:
    data = encode(MESSAGE)
    header, _, body = data.partition(b"\r\n\r\n")
    assert header == b"Content-Length: %d" % len(body)
    assert json.loads(body) == MESSAGE


@pytest.mark.parametrize("size", [1, 2, 7, 1000])
def test_messages_arrive_whole_whatever_the_chunking(size: int) -> None:
    assert feed_in_chunks(encode(MESSAGE) + encode(OTHER), size) == [MESSAGE, OTHER]


LONG = {"seq": 3, "type": "response", "body": {"text": "x✓" * 100_000}}


@pytest.mark.parametrize("size", [1000, 65536, 300_001])
def test_a_long_frame_in_many_chunks_arrives_whole_with_what_follows_it(size: int) -> None:
    """A frame longer than a chunk is gathered from the chunks as they came; the bytes after it in its
    last chunk (a message, half a header) are read on as usual."""
    assert feed_in_chunks(encode(MESSAGE) + encode(LONG) + encode(OTHER) + encode(LONG), size) == [
        MESSAGE,
        LONG,
        OTHER,
        LONG,
    ]


def test_chunks_fed_past_the_end_of_a_long_frame_before_it_is_taken_are_kept() -> None:
    data = encode(LONG) + encode(OTHER) + encode(MESSAGE)
    reader = MessageReader()
    reader.feed(data[:100])
    assert reader.next_message() is None
    for start in range(100, len(data), 7000):
        reader.feed(data[start : start + 7000])
    reader.feed(b"")
    assert read_all(reader) == [LONG, OTHER, MESSAGE]
    assert reader.at_eof


@pytest.mark.parametrize("size", [1, 1000, 65536, 300_001])
def test_bytes_read_into_the_readers_space_are_read_as_fed_bytes(size: int) -> None:
    """``space``/``received`` (a socket's ``recv_into``): at most ``size`` bytes per read, in the
    room the reader offers (a long frame's body, else its scratch), give the same messages as ``feed``;
    a long frame is the very bytes it was read into, never touched by the reader again."""
    data = encode(MESSAGE) + encode(LONG) + encode(OTHER) + encode(LONG) + encode(MESSAGE)
    reader = MessageReader()
    out: list[Any] = []
    taken = 0
    while taken < len(data):
        space = reader.space()
        count = min(size, len(space), len(data) - taken)
        space[:count] = data[taken : taken + count]
        del space
        reader.received(count)
        taken += count
        while (raw := reader.next_frame()) is not None:
            out.append(raw)
    reader.feed(b"")
    assert [json.loads(raw) for raw in out] == [MESSAGE, LONG, OTHER, LONG, MESSAGE]
    if size < len(encode(LONG)):
        assert type(out[1]) is bytes and out[1] is not out[3]
    assert reader.held == 0 and reader.at_eof


def test_end_of_stream_in_the_middle_of_a_long_body_is_not_recoverable() -> None:
    reader = MessageReader()
    data = encode(LONG)
    reader.feed(data[:1000])
    assert reader.next_message() is None
    reader.feed(data[1000:-1])
    assert reader.next_message() is None
    assert not reader.at_eof
    reader.feed(b"")
    with pytest.raises(FramingError, match="middle of a message body") as caught:
        reader.next_message()
    assert not caught.value.recoverable
    assert reader.at_eof


def test_two_messages_in_one_chunk() -> None:
    reader = MessageReader()
    reader.feed(encode(MESSAGE) + encode(OTHER))
    assert read_all(reader) == [MESSAGE, OTHER]


def test_a_split_header_waits_for_the_rest() -> None:
    data = encode(MESSAGE)
    reader = MessageReader()
    reader.feed(data[:10])
    assert reader.next_message() is None
    reader.feed(data[10:])
    assert reader.next_message() == MESSAGE


def test_other_headers_and_case_are_tolerated() -> None:
    body = json.dumps(OTHER).encode()
    reader = MessageReader()
    reader.feed(b"content-type: application/json\r\ncontent-LENGTH:   %d\r\n\r\n" % len(body) + body)
    assert reader.next_message() == OTHER


def test_a_non_numeric_length_is_an_error_and_the_next_message_still_works() -> None:
    reader = MessageReader()
    reader.feed(b"Content-Length: twelve\r\n\r\n" + encode(OTHER))
    with pytest.raises(FramingError, match="twelve") as caught:
        reader.next_message()
    assert caught.value.recoverable
    assert reader.next_message() == OTHER


def test_a_missing_length_is_an_error_and_the_next_message_still_works() -> None:
    reader = MessageReader()
    reader.feed(b"X-Nothing: 1\r\n\r\n" + encode(OTHER))
    with pytest.raises(FramingError, match="no Content-Length"):
        reader.next_message()
    assert reader.next_message() == OTHER


def test_end_of_stream_in_the_middle_of_a_body_is_not_recoverable() -> None:
    reader = MessageReader()
    reader.feed(encode(MESSAGE)[:-3])
    assert reader.next_message() is None
    reader.feed(b"")
    with pytest.raises(FramingError, match="middle of a message body") as caught:
        reader.next_message()
    assert not caught.value.recoverable


def test_end_of_stream_in_the_middle_of_a_header_is_not_recoverable() -> None:
    reader = MessageReader()
    reader.feed(b"Content-Len")
    reader.feed(b"")
    with pytest.raises(FramingError, match="middle of a header"):
        reader.next_message()


def test_clean_end_of_stream() -> None:
    reader = MessageReader()
    reader.feed(encode(OTHER))
    reader.feed(b"")
    assert reader.next_message() == OTHER
    assert reader.next_message() is None
    assert reader.at_eof


def test_an_over_limit_length_ends_the_stream_before_its_body_is_buffered() -> None:
    """A Content-Length over the limit is refused as soon as the header is read; the reader keeps
    nothing of the body and takes no more bytes (the connection is closed by its user)."""
    big = encode({"seq": 1, "type": "request", "command": "x", "arguments": {"pad": "a" * 200}})
    reader = MessageReader(max_body=100)
    header_end = big.index(b"\r\n\r\n") + 4
    reader.feed(big[:header_end])
    with pytest.raises(FramingError, match="over the limit of 100 bytes") as refused:
        reader.next_message()
    assert not refused.value.recoverable
    reader.feed(big[header_end:] + encode(OTHER))
    assert reader.next_message() is None and len(reader._buffer) == 0


@pytest.mark.parametrize("text", ["\ud800x", "x\udfff", "\udcff.py", "ok \U0001f600 \ud83d"])
def test_text_that_is_not_valid_unicode_is_sent_escaped_and_reads_back_the_same(text: str) -> None:
    """A lone surrogate (a client's command, a thread name, an undecodable file name) used to make
    encode raise UnicodeEncodeError, which killed the adapter answering it."""
    message = {"seq": 1, "type": "response", "command": text, "success": False, "message": text, "body": {text: 1}}
    framed = encode(message)
    framed.decode("utf-8")  # valid UTF-8 on the wire
    reader = MessageReader()
    reader.feed(framed)
    assert reader.next_message() == message
    raw = encode({"seq": 2, "type": "response", "command": text, "success": True, "body": RawJSON(b"{}")})
    reader.feed(raw)
    assert reader.next_message() == {"seq": 2, "type": "response", "command": text, "success": True, "body": {}}


@pytest.mark.parametrize(
    ("body", "what"), [(b"[1, 2]", "list"), (b"42", "int"), (b"{nope", "not valid"), (b"\xff\xfe", "not valid")]
)
def test_a_body_that_is_not_a_json_object_is_a_bad_body_and_the_stream_goes_on(body: bytes, what: str) -> None:
    reader = MessageReader()
    reader.feed(b"Content-Length: %d\r\n\r\n" % len(body) + body + encode(OTHER))
    bad = reader.next_message()
    assert isinstance(bad, BadBody) and what in bad.error and bad.raw == body
    assert reader.next_message() == OTHER


@pytest.mark.parametrize(
    "message",
    [
        {"type": "event", "event": "output", "body": {"output": ',"seq":1}', "category": "stdout"}},
        {"type": "response", "request_seq": 7, "command": "threads", "success": True, "body": {}},
        {"type": "response", "request_seq": 7, "command": "x", "success": False, "message": '"body":{'},
        {
            "type": "response",
            "request_seq": 7,
            "command": "variables",
            "success": True,
            "body": RawJSON(b'{"a":', b"1}"),
        },
        {"type": "event", "event": "initialized"},
    ],
)
def test_numbering_an_encoded_message_gives_the_bytes_encoding_it_with_its_seq_gives(message: dict[str, Any]) -> None:
    """The agent's channel frames outside its send lock and numbers under it (wire.numbered)."""
    raw_body = type(message.get("body")) is RawJSON
    assert b"".join(numbered(frame(message), 42, raw_body=raw_body)) == encode({**message, "seq": 42})


@pytest.mark.parametrize("count", [0, 1, 3, 4, 5, 9, 10])
def test_written_drops_what_a_gathering_write_took_from_the_pieces(count: int) -> None:
    pieces = [b"abc", b"", b"d", b"efghij"]
    views = [memoryview(piece) for piece in pieces]
    written(views, count)
    assert b"".join(views) == b"".join(pieces)[count:]
    assert not views or len(views[0]) > 0 or count == 0


@pytest.mark.parametrize("count", [0, 1, 2, 3, 5, 2999, 3000])
def test_what_a_gathering_write_leaves_is_the_rest_of_the_pieces(count: int) -> None:
    pieces = [b"a", b"bc", *(b"%04d" % i for i in range(749)), b"z"]  # 3,000 bytes in 752 pieces
    views = [memoryview(piece) for piece in pieces]
    written(views, count)
    assert b"".join(views) == b"".join(pieces)[count:]
    assert all(len(view) for view in views)  # no empty piece left at the front

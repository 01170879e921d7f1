"""Big ``variables`` answers end to end: the adapter relays the agent's body undecoded, checking only its envelope,
and every entry of a big dict or list reaches the client, in one answer or page by page."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from inspection_helpers import scope_variables, stop_at

from monadapter.adapter.agentlink import split_answer
from monadapter.agent.channel import Channel, Request
from monadapter.agent.evaluate_names import key_literal, postfix_base
from monadapter.agent.expander import Expander
from monadapter.agent.formatting import REPR_LIMIT, display
from monadapter.agent.handles import Handles
from monadapter.agent.presentation import Presentation
from monadapter.agent.variable_refs import ValueRef
from monadapter.agent.wire import MessageReader, RawJSON, decode
from monadapter.client import DapClient, adapter_command

WAIT = 10.0


def agent_answer(command: str, body: dict[str, Any] | RawJSON | None = None, *, failure: str | None = None) -> bytes:
    """The frame body a real agent Channel writes when it answers request 7 (``reply(body)`` or ``fail()``)."""
    left, right = socket.socketpair()
    right.settimeout(WAIT)
    with left, right:
        request = Request(Channel(left), 7, command, {})
        if failure is None:
            request.reply(body)  # type: ignore[arg-type]  # RawJSON: as the debugger replies to variables
        else:
            request.fail(failure)
        reader = MessageReader()
        while (raw := reader.next_frame()) is None:
            reader.feed(right.recv(65536))
        return raw


# Text that looks like the envelope's tail, inside the body, and text JSON must escape.
TRICKY = {"variables": [{"name": "'é\"}\\'", "value": ',"seq":1}', "variablesReference": 0}], "x": {"seq": 3}}


@pytest.mark.unit
def test_an_agent_answer_splits_into_its_envelope_and_the_body_as_the_agent_wrote_it() -> None:
    raw = agent_answer("variables", TRICKY)
    answer = split_answer(raw)
    assert answer is not None
    request_seq, command, body = answer
    assert (request_seq, command) == (7, "variables")
    assert body.decoded() == TRICKY
    assert bytes(body.text) in raw  # untouched bytes: nothing was decoded and encoded again


@pytest.mark.unit
def test_a_body_in_pieces_reaches_the_adapter_whole_through_a_socket_that_takes_less_at_a_time() -> None:
    """The channel sends a RawJSON's pieces as they are (sendmsg), going on where a send stopped short."""
    pieces = [b'{"variables":[', b",".join([b'{"name":"%d"}' % index for index in range(300_000)]), b"", b"]}"]
    left, right = socket.socketpair()
    left.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    left.settimeout(WAIT)  # a socket with a timeout sends only what its buffer takes: hundreds of short sends
    right.settimeout(WAIT)
    with left, right:
        request = Request(Channel(left), 7, "variables", {})
        sender = threading.Thread(target=request.reply, args=(RawJSON(*pieces),))
        sender.start()
        reader = MessageReader()
        while (raw := reader.next_frame()) is None:
            reader.feed(right.recv(65536))
        sender.join(WAIT)
    answer = split_answer(raw)
    assert answer is not None and answer[2] == RawJSON(*pieces) and len(answer[2].text) > 4_000_000


def answer(
    head: bytes = b'"request_seq":7,"command":"threads"', body: bytes = b"{}", tail: bytes = b',"seq":3}'
) -> bytes:
    """A successful answer in the agent's form, with one part changed."""
    return b'{"type":"response",' + head + b',"success":true,"body":' + body + tail


@pytest.mark.unit
def test_an_answer_the_agent_wrote_as_text_splits_too() -> None:
    text = json.dumps(TRICKY, ensure_ascii=False, separators=(",", ":")).encode()
    raw = agent_answer("variables", RawJSON(text))
    assert raw.endswith(b"}}") and b'"success":true,"seq":' in raw  # the body went in last, as it was
    assert split_answer(raw) == (7, "variables", RawJSON(text))
    assert decode(raw) == {
        "type": "response",
        "request_seq": 7,
        "command": "variables",
        "success": True,
        "seq": 1,
        "body": TRICKY,
    }


@pytest.mark.unit
def test_the_unchanged_form_splits() -> None:
    """The control for the cases below: each changes one part of this answer."""
    assert split_answer(answer()) == (7, "threads", RawJSON(b"{}"))
    assert split_answer(agent_answer("threads")) == (7, "threads", RawJSON(b"{}"))


@pytest.mark.unit
@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(agent_answer("variables", failure="no such reference"), id="a failure"),
        pytest.param(b'{"type":"event","event":"stopped","body":{},"seq":3}', id="an event"),
        pytest.param(answer(body=b"[1]"), id="a body that is not an object"),
        pytest.param(answer(tail=b"}"), id="no seq at the end"),
        pytest.param(
            b'{"type":"response","request_seq":7,"command":"threads","success":true,"seq":3,"body":{}',
            id="seq first, the end cut off",
        ),
        pytest.param(answer(tail=b',"seq":3} '), id="bytes after the end"),
        pytest.param(answer(body=b"{"), id="a body cut short"),
        pytest.param(answer(head=b'"request_seq":"7","command":"threads"'), id="a request_seq that is a string"),
        pytest.param(answer(head=b'"request_seq":7,"command":"th\\"reads"'), id="an escaped command"),
        pytest.param(json.dumps(json.loads(answer())).encode(), id="another spacing"),
        pytest.param(b"not json at all", id="not JSON"),
    ],
)
def test_anything_else_is_left_to_the_decoding_path(raw: bytes) -> None:
    assert split_answer(raw) is None


PROGRAM = """
big_dict = {f"k\\u00e9y\\"{i}\\\\": f"v{i}\\n" for i in range(3000)}
big_dict[("tuple", 1)] = None
big_list = list(range(100_000))
ready = len(big_dict)  # stop here
"""


async def check_big_containers(client: DapClient, make_program: Callable[..., Path]) -> None:
    """Stop in PROGRAM and read its dict in one request and its list page by page."""
    _, frame = await stop_at(client, make_program(PROGRAM), "stop here")
    local = await scope_variables(client, frame["id"], "Globals")

    listed = local["big_dict"]
    assert listed["indexedVariables"] == 3001
    entries = await client.variables(listed["variablesReference"])
    keys = [f'k\u00e9y"{i}\\' for i in range(3000)]
    assert [v["name"] for v in entries[:3000]] == [repr(key) for key in keys]
    assert [v["value"] for v in entries[:3000]] == [repr(f"v{i}\n") for i in range(3000)]
    assert [v["evaluateName"] for v in entries[:3000]] == [f"big_dict[{key!r}]" for key in keys]
    assert {v["variablesReference"] for v in entries[:3000]} == {0}
    assert entries[3000]["name"] == "('tuple', 1)" and entries[3000]["evaluateName"] == "big_dict[('tuple', 1)]"
    assert entries[-1]["name"] == "len()" and entries[-1]["value"] == "3001"
    page = await client.variables(listed["variablesReference"], filter="indexed", start=2998, count=10)
    assert [v["name"] for v in page] == [repr(keys[2998]), repr(keys[2999]), "('tuple', 1)"]

    numbers = local["big_list"]
    assert numbers["indexedVariables"] == 100_000
    seen: list[str] = []
    for start in range(0, 100_000, 25_000):
        page = await client.variables(numbers["variablesReference"], filter="indexed", start=start, count=25_000)
        assert [v["value"] for v in page] == [str(i) for i in range(start, start + 25_000)]
        seen += [v["name"] for v in page]
    assert seen == [str(i) for i in range(100_000)]
    hexed = await client.variables(
        numbers["variablesReference"], filter="indexed", start=255, count=2, format={"hex": True}
    )
    assert [(v["name"], v["value"], v["evaluateName"]) for v in hexed] == [
        ("255", "0xff", "big_list[255]"),
        ("256", "0x100", "big_list[256]"),
    ]
    await client.disconnect()


async def test_big_containers_through_an_adapter_that_logs(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    """The ``client`` fixture's adapter logs every message (its log is schema-checked at teardown)."""
    await check_big_containers(client, make_program)


async def test_big_containers_through_a_stdio_adapter_without_a_log(make_program: Callable[..., Path]) -> None:
    async with DapClient.spawn(adapter_command()) as client:
        await client.initialize()
        await check_big_containers(client, make_program)


class Odd:
    """A childless class (``__slots__ = ()``, no properties) whose name JSON must escape."""

    __slots__ = ()

    def __repr__(self) -> str:
        return 'Odd("\\u2603\t%s")'


Odd.__qualname__ = 'Odd "%s" \\ é'


@pytest.mark.unit
@pytest.mark.parametrize("hex_ints", [False, True])
@pytest.mark.parametrize("evaluate_name", [None, 'big["k\\"ey"]'])
@pytest.mark.parametrize(
    "value", [0, -255, 2**70, 1.5, float("nan"), True, None, 3j, 'é"\\\n\x00', b"\xff'", "x" * 600, range(3), Odd()]
)
def test_an_item_written_as_json_text_is_the_variable_as_a_dict(
    value: object, evaluate_name: str | None, hex_ints: bool
) -> None:
    expander = Expander(Handles(), 1, Presentation(), hex_ints=hex_ints)
    text = expander.item('name "é"', value, evaluate_name, None)
    assert isinstance(text, str)
    assert json.loads(text) == expander.variable('name "é"', value, evaluate_name, None)


@pytest.mark.unit
def test_an_item_with_children_is_a_dict_with_a_reference() -> None:
    expander = Expander(Handles(), 1, Presentation(), hex_ints=False)
    for value in ([1], {"a": 1}, Odd, ValueError("x"), Path(".")):
        entry = expander.item("0", value, "x[0]", None)
        assert isinstance(entry, dict) and entry["variablesReference"] > 0, value


@pytest.mark.unit
@pytest.mark.parametrize("value", [[10**2000], {"k": "x" * 2000}, (b"y" * 2000, 1)], ids=["int", "str", "bytes"])
def test_a_scalar_past_the_limit_inside_a_container_is_cut_as_the_whole_repr(value: object) -> None:
    assert display(value) == repr(value)[: REPR_LIMIT - 3] + "..."


@pytest.mark.unit
def test_a_str_key_is_named_by_its_repr_unless_that_is_too_long() -> None:
    long_key = "k" * (REPR_LIMIT + 5)
    expander = Expander(Handles(), 1, Presentation(), hex_ints=True)
    body = expander.children(ValueRef(None, {"a'b": 1, long_key: 2, 255: 3}, "d"), "indexed", 0, None).decoded()
    names = [(v["name"], v["evaluateName"], v["value"]) for v in body["variables"]]
    assert names == [
        ('"a\'b"', 'd["a\'b"]', "0x1"),
        (display(long_key), f"d[{long_key!r}]", "0x2"),
        ("0xff", "d[255]", "0x3"),
    ]
    assert names[1][0].endswith("...") and len(names[1][0]) == REPR_LIMIT


#: Values of every plain class (agent/plain_items.py), with what JSON escapes, what display() cuts, an
#: int too long to write and a lone surrogate
PLAIN_VALUES: list[object] = [0, -255, 2**70, 10**5000, 1.5, float("nan"), float("-inf"), True, None, 3j]
PLAIN_TEXTS: list[object] = ["plain", 'é"\\\n\x00\x7f', "\ud800", "x" * 600, b"\xff'\"", b"y" * 600]


def item_by_item(expander: Expander, rows: Sequence[tuple[str, object, str | None]]) -> bytes:
    """The variables body of ``rows`` (name, value, evaluateName), each entry as Expander.item writes it."""
    entries = [expander.item(name, value, evaluate_name, None) for name, value, evaluate_name in rows]
    texts = [entry for entry in entries if isinstance(entry, str)]
    assert texts == entries
    text = "".join(['{"variables":[', ",".join(texts), "]}"])
    return text.encode("utf-8", "backslashreplace")


@pytest.mark.unit
@pytest.mark.parametrize("hex_ints", [False, True])
@pytest.mark.parametrize("evaluate_name", [None, 'x["%s\\"]', 'x["%s\\\\"]'])
@pytest.mark.parametrize(
    "values",
    [PLAIN_VALUES, PLAIN_TEXTS, PLAIN_VALUES + PLAIN_TEXTS, list(range(-5, 300)), ["a", 'b"'] * 50],
    ids=["scalars", "texts", "mixed", "ints", "quoted"],
)
def test_a_page_of_plain_items_is_what_writing_each_item_gives(
    values: list[object], evaluate_name: str | None, hex_ints: bool
) -> None:
    """A page whose values are all plain is written a column at a time (agent/plain_items.py): the same
    text, byte for byte, as Expander.item's entries one at a time, in a list, a tuple and a set."""
    expander = Expander(Handles(), 1, Presentation(), hex_ints=hex_ints)
    base = None if evaluate_name is None else postfix_base(evaluate_name)  # (x["%s\\"])[0]: not a primary
    for container, prefix in (
        (values, f"{base}["),
        (tuple(values), f"{base}["),
        (set(values), f"list({evaluate_name})["),
    ):
        body = expander.children(ValueRef(None, container, evaluate_name), "indexed", 3, 250).text
        rows = [
            (str(index), item, None if evaluate_name is None else f"{prefix}{index}]")
            for index, item in enumerate(list(container)[3:253], 3)
        ]
        assert body == item_by_item(expander, rows)


@pytest.mark.unit
@pytest.mark.parametrize("hex_ints", [False, True])
@pytest.mark.parametrize(
    "keys",
    [
        ["k", 'q"uote', "back\\slash", "é", "\ud800"],
        [0, 255, -1, True, None, b"b'\"", "s"],
        ["k" * (REPR_LIMIT + 5), "short"],
        [(1, "a"), 1.5, float("nan"), Odd(), frozenset()],
    ],
    ids=["str", "literal", "long", "other"],
)
def test_a_page_of_plain_dict_entries_is_what_writing_each_entry_gives(keys: list[object], hex_ints: bool) -> None:
    expander = Expander(Handles(), 1, Presentation(), hex_ints=hex_ints)
    mapping = dict(zip(keys, PLAIN_VALUES + PLAIN_TEXTS, strict=False))
    body = expander.children(ValueRef(None, mapping, "d"), "indexed", 0, None).text
    rows = []
    for index, (key, value) in enumerate(mapping.items()):
        literal = key_literal(key)
        name = literal if type(key) is str and literal is not None and len(literal) <= REPR_LIMIT else None
        evaluate_name = f"d[{literal}]" if literal is not None else f"d[list(d)[{index}]]"
        rows.append((name or display(key, hex_ints=hex_ints), value, evaluate_name))
    assert body == item_by_item(expander, rows)


class Surrogate:
    """A repr that is not valid UTF-8 text: a lone surrogate."""

    def __repr__(self) -> str:
        return "half \ud800 of a pair"


@pytest.mark.unit
def test_a_repr_with_a_lone_surrogate_is_listed_with_the_others() -> None:
    expander = Expander(Handles(), 1, Presentation(), hex_ints=False)
    body = expander.children(ValueRef(None, [Surrogate(), 1], "x"), "indexed", 0, None).decoded()
    assert [v["value"] for v in body["variables"]] == ["half \ud800 of a pair", "1"]


async def test_a_lone_surrogate_reaches_the_client_through_an_adapter_that_logs(
    client: DapClient, make_program: Callable[..., Path]
) -> None:
    program = make_program("""
        class Surrogate:
            def __repr__(self):
                return "half \\ud800 of a pair"

        items = [Surrogate()]
        print(len(items))  # stop here
    """)
    _, frame = await stop_at(client, program, "stop here")
    local = await scope_variables(client, frame["id"], "Globals")
    [item] = await client.variables(local["items"]["variablesReference"], filter="indexed")
    assert item["value"] == "half \ud800 of a pair"
    await client.disconnect()

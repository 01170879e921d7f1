"""Protocol fuzzing (issue 16): seeded hostile DAP input in each state of a session, against a real adapter and debuggee.

Every request with a usable ``seq`` gets exactly one response (none an internal error), input
that cannot be answered gets an ``important`` output event, the adapter and the debuggee stay
alive, and a good request afterwards still works. The fast run is part of the normal suite; the
long one is ``pytest -m fuzz_long`` (excluded otherwise). Each run reports its case count in the
summary (tests/conftest.py), and its seed in the test id, to replay a failure.
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import AdapterProcess
from dap_fuzz import Case, Generator

from monadapter.agent.wire import MessageReader, encode
from monadapter.client import adapter_command

#: Seconds any single answer may take.
WAIT = 20.0
FAST_CASES = 150
LONG_CASES = 10_000
STATES = ["fresh", "initialized", "stopped"]

PROGRAM = """
import time
count = 0
while True:
    count += 1  # fuzz line
    time.sleep(0.001)
"""


class RawSession:
    """A DAP client on plain bytes (a socket, or a stdio adapter's pipes) that counts the responses
    to each request seq. ``receive(timeout)`` gives what came (``b""``: the adapter hung up; None:
    nothing within ``timeout``)."""

    def __init__(self, send: Callable[[bytes], object], receive: Callable[[float], bytes | None]) -> None:
        self.send = send
        self._receive = receive
        self.reader = MessageReader()
        self.responses: Counter[int] = Counter()
        self.last: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.seq = 0

    def wait(self, check: Callable[[], Any], what: str) -> Any:
        """Read until ``check()`` is truthy; fail after :data:`WAIT` seconds or when the adapter hangs up."""
        deadline = time.monotonic() + WAIT
        while not (found := check()):
            left = deadline - time.monotonic()
            assert left > 0, f"no {what} within {WAIT:g} s"
            data = self._receive(left)
            if data is None:
                continue
            assert data, f"the adapter hung up while we waited for {what}"
            self.reader.feed(data)
            while (message := self.reader.next_message()) is not None:
                assert isinstance(message, dict), message
                if message.get("type") == "response":
                    self.responses[message["request_seq"]] += 1
                    self.last[message["request_seq"]] = message
                elif message.get("type") == "event":
                    self.events.append(message)
        return found

    def request(self, command: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a good request and return its response (whatever its success)."""
        seq = self.send_request(command, arguments)
        return self.wait(lambda: self.last.get(seq), f"the response to {command}")

    def send_request(self, command: str, arguments: dict[str, Any] | None = None) -> int:
        self.seq += 1
        message: dict[str, Any] = {"seq": self.seq, "type": "request", "command": command}
        if arguments is not None:
            message["arguments"] = arguments
        self.send(encode(message))
        return self.seq

    def event(self, name: str, after: int = 0) -> dict[str, Any]:
        return self.wait(lambda: next((e for e in self.events[after:] if e.get("event") == name), None), name)


def reach(state: str, session: RawSession, program: Path) -> None:
    """Bring a new session to ``state``; in ``stopped``, the debuggee loops at a breakpoint."""
    if state == "fresh":
        return
    assert session.request("initialize", {"adapterID": "fuzz"})["success"]
    if state == "initialized":
        return
    launched = session.send_request("launch", {"program": str(program)})
    session.event("initialized")
    breakpoints = {"source": {"path": str(program)}, "breakpoints": [{"line": 4}]}
    assert session.request("setBreakpoints", breakpoints)["success"]
    assert session.request("configurationDone")["success"]
    session.wait(lambda: session.last.get(launched), "the launch response")
    session.event("stopped")


def run(case: Case, session: RawSession) -> None:
    """Send one case and wait for what it must bring."""
    mark = len(session.events)
    session.send(case.data)
    if case.answerable:
        assert case.message is not None
        seq = case.message["seq"]
        response = session.wait(lambda: session.last.get(seq), f"the response to {case.kind} {seq}")
        assert not str(response.get("message", "")).startswith("internal error"), (case.message, response)
    elif case.complaint:

        def complained() -> bool:
            return any(
                event["body"].get("category") == "important"
                for event in session.events[mark:]
                if event["event"] == "output"
            )

        session.wait(complained, f"an important output event for {case.kind}")


def refresh(session: RawSession, known: list[int]) -> None:
    """Put the ids of the current stop (thread, frames, scopes, variables) in ``known``."""
    stops = [event for event in session.events if event["event"] == "stopped"]
    if not stops:
        return
    thread_id = stops[-1]["body"].get("threadId", 0)
    ids = [thread_id]
    frames = session.request("stackTrace", {"threadId": thread_id})
    for frame in frames.get("body", {}).get("stackFrames", [])[:2] if frames["success"] else []:
        ids.append(frame["id"])
        scopes = session.request("scopes", {"frameId": frame["id"]})
        for scope in scopes.get("body", {}).get("scopes", []) if scopes["success"] else []:
            ids.append(scope["variablesReference"])
            listed = session.request("variables", {"variablesReference": scope["variablesReference"]})
            ids += [item["variablesReference"] for item in listed.get("body", {}).get("variables", [])][:5]
    known[:] = [number for number in ids if isinstance(number, int)]


@contextmanager
def adapter(transport: str) -> Iterator[tuple[RawSession, subprocess.Popen[Any]]]:
    """A session with a new adapter process: ``tcp`` (``--port 0``) or ``stdio``."""
    if transport == "tcp":
        server = AdapterProcess()
        sock = socket.create_connection((server.host, server.port), timeout=WAIT)

        def receive_tcp(timeout: float) -> bytes | None:
            sock.settimeout(timeout)
            try:
                return sock.recv(1 << 20)
            except TimeoutError:
                return None

        try:
            yield RawSession(sock.sendall, receive_tcp), server.process
        finally:
            sock.close()
            server.stop()
        return
    process = subprocess.Popen(adapter_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None
    stdin, stdout = process.stdin, process.stdout.fileno()

    def send_stdio(data: bytes) -> None:
        stdin.write(data)
        stdin.flush()

    def receive_stdio(timeout: float) -> bytes | None:
        return os.read(stdout, 1 << 20) if select.select([stdout], [], [], timeout)[0] else None

    try:
        yield RawSession(send_stdio, receive_stdio), process
    finally:
        stdin.close()  # the session ends, and with it the adapter (and the debuggee it launched)
        try:
            process.wait(WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


def fuzz(transport: str, state: str, seed: int, count: int, program: Path) -> int:
    """Run ``count`` cases in ``state`` over ``transport``; return how many were sent."""
    known: list[int] = []
    with adapter(transport) as (session, process):
        reach(state, session, program)
        session.seq = 10  # our own requests after the cases use seqs the cases do not
        cases = list(Generator(seed, known).cases(count, first_seq=1_000_000))
        stops = -1
        for case in cases:
            if state == "stopped" and stops != (stops := sum(e["event"] == "stopped" for e in session.events)):
                refresh(session, known)
            run(case, session)
        after = session.request("threads")  # a good request still works
        if state == "stopped":
            assert after["success"] and after["body"]["threads"], after
            assert not [event for event in session.events if event["event"] in ("exited", "terminated")]
        else:
            assert session.request("initialize", {"adapterID": "fuzz"})["success"]
        duplicates = {seq: number for seq, number in session.responses.items() if number != 1}
        assert not duplicates, f"requests answered more than once: {duplicates}"
        assert process.poll() is None, "the adapter died"
        return len(cases)


@pytest.fixture
def program(make_program: Callable[..., Path]) -> Path:
    return make_program(PROGRAM)


TRANSPORTS = ["tcp", "stdio"]


def seeds(first: int) -> Iterator[Any]:
    """One seed per transport and state, from ``first`` on (the seed is in the test id, to replay a failure)."""
    for index, (transport, state) in enumerate((t, s) for t in TRANSPORTS for s in STATES):
        yield pytest.param(transport, state, first + index, id=f"{transport}-{state}-seed{first + index}")


@pytest.mark.parametrize(("transport", "state", "seed"), list(seeds(16_000)))
def test_fuzzed_requests_each_get_one_answer_and_nothing_dies(
    transport: str, state: str, seed: int, program: Path, record_property: Callable[[str, object], None]
) -> None:
    record_property("fuzz_cases", fuzz(transport, state, seed, FAST_CASES, program))


@pytest.mark.fuzz_long
@pytest.mark.timeout(3600)
@pytest.mark.parametrize(("transport", "state", "seed"), list(seeds(26_000)))
def test_a_long_fuzz_run(
    transport: str, state: str, seed: int, program: Path, record_property: Callable[[str, object], None]
) -> None:
    record_property("fuzz_cases", fuzz(transport, state, seed, LONG_CASES, program))

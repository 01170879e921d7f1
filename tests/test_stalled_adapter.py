"""An adapter that stops reading while threads stop (Parking.park sends ``stopped`` under the engine's
lock): a real listening program, and a test that plays the adapter on the raw agent link so that it
decides when it reads.

The program's output copy (attach's ``redirectOutput``) floods the link until the agent's socket is
full and one thread is blocked sending; two other threads are then let go to their breakpoint, where
they block too: one holding the engine lock while it waits to send its ``stopped``, one waiting for
that lock. Nothing is lost or reordered by the wait: read again, the adapter gets one ``stopped``
per thread, each stop in force; hang up instead, and the program runs on to its end.

Linux only: where each thread is blocked is read from ``/proc/PID/task/TID/wchan``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from monadapter.agent import auth
from monadapter.agent.wire import MessageReader, encode

WAIT = 20.0
#: where a thread blocked in a TCP send sleeps (wchan)
SEND_WAITS = ("sk_stream_wait_memory", "wait_woken")


def _wchan_names_waits() -> bool:
    """Whether /proc shows where a thread sleeps (some kernels hide it: every wchan reads "0")."""
    if not Path("/proc/self/task").is_dir():
        return False
    held = threading.Lock()
    held.acquire()
    waiter = threading.Thread(target=held.acquire)
    waiter.start()
    try:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if "futex" in Path(f"/proc/self/task/{waiter.native_id}/wchan").read_text():
                return True
            time.sleep(0.01)
        return False
    finally:
        held.release()
        waiter.join(WAIT)


@pytest.fixture(autouse=True, scope="module")
def _needs_wchan() -> None:
    if not _wchan_names_waits():
        pytest.skip("needs /proc/PID/task/TID/wchan")


PROGRAM = """
    import json, os, sys, threading

    gate, ids_path = int(sys.argv[1]), sys.argv[2]
    chunk = "x" * 65536
    started = threading.Barrier(4)
    finished = threading.Event()
    lock = threading.Lock()
    stops = []
    native = {}

    def flood():
        native["flood"] = threading.get_native_id()
        started.wait()
        for _ in range(4000):  # 256 MB: more than any socket buffer holds
            if finished.is_set():
                break
            print(chunk)

    def stopper(name):
        native[name] = threading.get_native_id()
        started.wait()
        os.read(gate, 1)  # blocked in C (no line runs) until the test lets it go
        value = name  # stop here
        with lock:
            stops.append(value)
            if len(stops) == 2:
                finished.set()

    threads = [threading.Thread(target=flood, name="flood")]
    threads += [threading.Thread(target=stopper, args=(name,), name=name) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    started.wait()
    with open(ids_path + ".tmp", "w") as ids:
        json.dump(native, ids)
    os.rename(ids_path + ".tmp", ids_path)
    for thread in threads:
        thread.join()
    print("done", sorted(stops))
"""


class RawAdapter:
    """The adapter's end of an agent link, by hand: it reads only when the test says so."""

    def __init__(self, port: int, token: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.reader: MessageReader = auth.connect(self.sock, token)
        self.sock.settimeout(WAIT)  # a read that waits longer fails the test instead of hanging it
        self.seq = 0
        self.events: list[dict[str, Any]] = []

    def send(self, command: str, arguments: dict[str, Any] | None = None) -> int:
        self.seq += 1
        self.sock.sendall(
            encode({"seq": self.seq, "type": "request", "command": command, "arguments": arguments or {}})
        )
        return self.seq

    def next_message(self) -> dict[str, Any]:
        while True:
            message = self.reader.next_message()
            if isinstance(message, dict):
                return message
            assert message is None, message
            data = self.sock.recv(1 << 20)
            if not data:
                raise EOFError("the agent closed the link")
            self.reader.feed(data)

    def answer(self, command: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a request and read up to its answer (events met on the way are kept in ``events``)."""
        seq = self.send(command, arguments)
        while True:
            message = self.next_message()
            if message.get("type") == "response" and message.get("request_seq") == seq:
                assert message["success"], message
                return message
            self._keep(message)

    def event(self, accept: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first event kept or read from now that ``accept`` takes (taken from ``events``)."""
        for kept in self.events:
            if accept(kept):
                self.events.remove(kept)
                return kept
        while True:
            message = self.next_message()
            if message.get("type") == "event" and accept(message):
                return message
            self._keep(message)

    def _keep(self, message: dict[str, Any]) -> None:
        if message.get("event") != "output":  # the flood's: tens of megabytes nobody looks at
            self.events.append(message)


def stopped(message: dict[str, Any]) -> bool:
    return message.get("event") == "stopped"


def blocked_in(pid: int, tid: int) -> str:
    """The kernel function thread ``tid`` of ``pid`` sleeps in ("0" while it runs)."""
    return Path(f"/proc/{pid}/task/{tid}/wchan").read_text()


def until(condition: Callable[[], bool], what: str) -> None:
    """Wait for ``condition`` (read from /proc: nothing signals it), failing after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.01)


@contextmanager
def stalled_stops(tmp_path: Path) -> Iterator[tuple[RawAdapter, subprocess.Popen[str], int, Path]]:
    """A listening program attached by a RawAdapter that stopped reading: the flooding thread is
    blocked sending, both stoppers are blocked at their breakpoint line. Yields (adapter, process,
    the breakpoint's line, the program's stdout file)."""
    program = tmp_path / "prog.py"
    program.write_text(textwrap.dedent(PROGRAM).lstrip("\n"))
    line = next(n for n, text in enumerate(program.read_text().splitlines(), 1) if "# stop here" in text)
    ids_path = tmp_path / "ids.json"
    gate_read, gate_write = os.pipe()
    stdout = tmp_path / "stdout.txt"
    with stdout.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "monadapter.agent", "--listen", "127.0.0.1:0", str(program)]
            + [str(gate_read), str(ids_path)],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            pass_fds=(gate_read,),
        )
    os.close(gate_read)
    adapter: RawAdapter | None = None
    try:
        assert process.stderr is not None
        port = int(process.stderr.readline().rsplit(":", 1)[1])
        token = process.stderr.readline().split(": ", 1)[1].strip()
        adapter = RawAdapter(port, token)
        assert adapter.event(lambda message: message.get("event") == "monadapter/hello")
        adapter.answer("monadapter/configure", {"request": "attach"})
        adapter.answer("setBreakpoints", {"source": {"path": str(program)}, "breakpoints": [{"line": line}]})
        adapter.answer("configurationDone")
        # from here on the adapter reads nothing until the test says so
        until(ids_path.exists, "the program's threads to start")
        tids = json.loads(ids_path.read_text())
        # a TCP send waits for room in sk_stream_wait_memory, through wait_woken on newer kernels
        until(lambda: blocked_in(process.pid, tids["flood"]) in SEND_WAITS, "the link to fill up")
        os.write(gate_write, b"ab")  # both stoppers run to their breakpoint line now
        for name in ("a", "b"):
            # a stopper blocks on a lock: the engine's (a stop being reported) or the channel's
            until(lambda tid=tids[name]: "futex" in blocked_in(process.pid, tid), f"thread {name} to block")
        yield adapter, process, line, stdout
    finally:
        os.close(gate_write)
        if adapter is not None:
            adapter.sock.close()
        if process.poll() is None:
            process.kill()
        process.wait(WAIT)
        assert process.stderr is not None
        process.stderr.close()


def test_an_adapter_that_reads_again_gets_one_stop_per_thread_each_in_force(tmp_path: Path) -> None:
    with stalled_stops(tmp_path) as (adapter, process, line, stdout):
        first = adapter.event(stopped)
        second = adapter.event(stopped)
        ids = sorted(message["body"]["threadId"] for message in (first, second))
        assert [message["body"]["reason"] for message in (first, second)] == ["breakpoint", "breakpoint"]
        names = {thread["id"]: thread["name"] for thread in adapter.answer("threads")["body"]["threads"]}
        assert sorted(names[ident] for ident in ids) == ["a", "b"]
        for ident in ids:  # both stops are in force: their frames answer
            top = adapter.answer("stackTrace", {"threadId": ident})["body"]["stackFrames"][0]
            assert (top["name"], top["line"]) == ("stopper", line)
        adapter.answer("continue", {"threadId": ids[0]})
        with pytest.raises(EOFError):  # the program runs to its end, which ends the session
            adapter.event(stopped)
        assert not any(stopped(message) for message in adapter.events)  # nothing stopped twice
        assert process.wait(WAIT) == 0
        assert stdout.read_text().endswith("done ['a', 'b']\n")


def test_an_adapter_that_hangs_up_instead_lets_the_program_run_on(tmp_path: Path) -> None:
    with stalled_stops(tmp_path) as (adapter, process, _line, stdout):
        adapter.sock.close()  # with unread data: the agent's blocked send fails at once
        assert process.wait(WAIT) == 0
        assert stdout.read_text().endswith("done ['a', 'b']\n")

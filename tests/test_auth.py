"""The handshake of agent/auth.py on real loopback sockets: who knows the secret gets in, nobody else learns anything."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from monadapter.agent import auth, gate
from monadapter.agent.wire import MAX_BODY_BYTES, MessageReader, encode

SECRET = "the-secret"
HELLO = {"seq": 3, "type": "event", "event": "monadapter/hello"}


@pytest.fixture
def server() -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as listening:
        yield listening


def address(server: socket.socket) -> tuple[str, int]:
    return "127.0.0.1", server.getsockname()[1]


def accept_in_background(server: socket.socket, secret: str = SECRET, **options: float) -> Future[socket.socket]:
    """Run gate.accept in a thread; the winner says hello at once (the connector must keep it)."""

    def run() -> socket.socket:
        peer, reader = gate.accept(server, secret, **options)
        assert reader.max_body == MAX_BODY_BYTES
        peer.sendall(encode(HELLO))
        return peer

    pool = ThreadPoolExecutor(1)
    future = pool.submit(run)
    pool.shutdown(wait=False)
    return future


def read_everything(sock: socket.socket) -> bytes:
    """All a peer sent until it closed (bounded by a timeout)."""
    sock.settimeout(10)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_a_connector_that_knows_the_secret_gets_in_and_keeps_what_followed(server: socket.socket) -> None:
    accepted = accept_in_background(server)
    with socket.create_connection(address(server)) as sock:
        reader = auth.connect(sock, SECRET)
        assert _read_one(sock, reader) == HELLO
        accepted.result(10).close()


def _read_one(sock: socket.socket, reader: MessageReader) -> object:
    while (message := reader.next_message()) is None:
        reader.feed(sock.recv(65536))
    return message


def test_a_stranger_who_connects_first_gets_only_a_nonce_and_blocks_nobody(server: socket.socket) -> None:
    """The attack of issue 16: another local user connects to the port first. It is sent a random
    challenge, nothing else; while it stays connected, silent, the real peer gets in."""
    accepted = accept_in_background(server, timeout=60)
    stranger = socket.create_connection(address(server))
    try:
        stranger_reader = MessageReader()
        challenge = _read_one(stranger, stranger_reader)
        assert isinstance(challenge, dict) and challenge["event"] == auth.CHALLENGE
        assert set(challenge["body"]) == {"nonce"}
        with socket.create_connection(address(server)) as sock:
            assert _read_one(sock, auth.connect(sock, SECRET)) == HELLO
            accepted.result(10).close()
        assert read_everything(stranger) == b""  # dropped when the listener stopped listening
    finally:
        stranger.close()


@pytest.mark.parametrize(
    "attempt",
    [
        {"command": auth.AUTHENTICATE, "arguments": {"nonce": "00" * 16, "proof": "0" * 64}},
        {"command": auth.AUTHENTICATE, "arguments": {"nonce": "zz", "proof": 5}},
        {"command": "initialize", "arguments": {}},
        {"command": "monadapter/configure", "arguments": {}},
    ],
)
def test_a_wrong_proof_or_any_other_request_is_dropped_unanswered(server: socket.socket, attempt: dict) -> None:
    accepted = accept_in_background(server)
    with socket.create_connection(address(server)) as stranger:
        reader = MessageReader()
        _read_one(stranger, reader)
        stranger.sendall(encode({"seq": 1, "type": "request", **attempt}))
        assert read_everything(stranger) == b""
    with socket.create_connection(address(server)) as sock:
        auth.connect(sock, SECRET)
        accepted.result(10).close()


def test_an_impostor_listener_gets_no_proof_it_can_use_and_is_refused(server: socket.socket) -> None:
    """A listener that does not know the secret (someone who took the port) cannot pass itself off:
    the connector refuses it; and what the connector sent proves nothing for another challenge."""
    impostor = accept_in_background(server, secret="guess")
    with socket.create_connection(address(server)) as sock, pytest.raises(auth.AuthenticationError):
        auth.connect(sock, SECRET, timeout=10)
    with socket.create_connection(address(server)) as sock:
        auth.connect(sock, "guess")
        impostor.result(10).close()


def test_a_listener_that_never_answers_times_out(server: socket.socket) -> None:
    with socket.create_connection(address(server)) as sock, pytest.raises(auth.AuthenticationError, match="slow"):
        auth.connect(sock, SECRET, timeout=0.2)


def test_an_oversized_handshake_is_dropped(server: socket.socket) -> None:
    accepted = accept_in_background(server)
    with socket.create_connection(address(server)) as stranger:
        _read_one(stranger, MessageReader())
        stranger.sendall(b"Content-Length: %d\r\n\r\n" % (auth.MAX_HANDSHAKE_BYTES + 1))
        assert read_everything(stranger) == b""
    with socket.create_connection(address(server)) as sock:
        auth.connect(sock, SECRET)
        accepted.result(10).close()


@pytest.mark.unit
def test_is_loopback_says_where_a_listener_needs_a_token() -> None:
    """One check for the adapter's --port and the agent's listen(): loopback names and addresses are,
    a wildcard address is not, and a host that does not resolve is neither (each caller decides)."""
    assert auth.is_loopback("127.0.0.1") is True
    assert auth.is_loopback("localhost") is True
    assert auth.is_loopback("0.0.0.0") is False
    assert auth.is_loopback("no-such-host.invalid") is None


def test_tokens_compare_whole_and_only_as_text() -> None:
    token = auth.new_token()
    assert len(token) >= 40 and auth.same_token(token, token)
    assert not auth.same_token(token[:-1], token) and not auth.same_token(None, token)
    assert not auth.same_token("\ud800", token)  # not ASCII, not even valid Unicode: no TypeError


@pytest.mark.parametrize("key_length", [0, 1, 32, 43, 64, 65, 200])
@pytest.mark.unit
def test_the_proof_is_hmac_sha256(key_length: int) -> None:
    """auth's HMAC (on CPython's _sha2, so no debuggee loads OpenSSL) is the standard library's."""
    import hashlib
    import hmac

    key = bytes(range(256))[:key_length] * 1
    for message in (b"", b"monadapter connector\0ab\0cd", bytes(range(256)) * 3):
        assert auth._hmac_sha256(key, message) == hmac.new(key, message, hashlib.sha256).hexdigest()


def test_the_agent_loads_no_openssl() -> None:
    """Authenticating costs the debuggee no libcrypto: auth imports neither hmac nor hashlib."""
    import subprocess
    import sys

    code = "import sys, monadapter.agent.auth as a; a.new_token(); print(sorted({'hmac', 'hashlib', '_hashlib', 'secrets', 'tempfile', 'shutil'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"

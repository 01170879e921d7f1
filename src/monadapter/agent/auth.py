"""Who may talk to whom: the shared secrets and the handshake every monadapter connection starts with.

Standard library only: the agent (inside the debuggee) and the adapter both use it. Each link has a
*listener* (it opened the port) and a *connector*. Before anything else goes over a link, the two
prove to each other that they know the same secret, without ever sending it (HMAC-SHA256 over two
fresh random nonces, compared with :func:`hmac.compare_digest`)::

    listener  -> connector   event   monadapter/challenge     {nonce: L}
    connector -> listener    request monadapter/authenticate  {nonce: C, proof: HMAC(secret, "connector" L C)}
    listener  -> connector   response (success)               {proof: HMAC(secret, "listener" L C)}

The listener says nothing but a random nonce before the connector proved itself, and drops a
connector whose proof is wrong, silent or too slow, then waits for the next one: a stranger who
connects first learns nothing and blocks nobody. The connector sends nothing but its proof before
the listener proved itself, so it never talks to an impostor that took the port either. The
secrets are:

* a launch's secret, which the adapter makes for each debuggee and passes in the environment
  (:data:`SECRET_ENV`, never argv: another user can read a command line, not an environment), or,
  for a terminal the client opens (whose environment some clients drop), in a file only the user
  can read whose path is on the command line (:func:`write_secret_file`);
* the access token of ``python -m monadapter.agent --listen`` (``--access-token``,
  :data:`TOKEN_ENV`, or made up and printed), which the client gives as attach's ``accessToken``;
* a child process's own token, which it sends to its parent's adapter over an authenticated link.
"""

from __future__ import annotations

import _socket  # socket's C module: socket.py loads enum tables into every debuggee (benchmarks A2)
import os
import time
from _operator import _compare_digest  # hmac.compare_digest, without importing hmac (see _hmac_sha256)
from _sha2 import sha256  # type: ignore[import-not-found]  # hashlib's C module, without hashlib

from monadapter.agent.wire import MAX_BODY_BYTES, BadBody, FramingError, MessageReader, encode

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

#: The environment variable holding a launched debuggee's secret (the launcher takes it out of
#: ``os.environ`` before the program runs, so neither the program nor its children see it).
SECRET_ENV = "MONADAPTER_SECRET"
#: The environment variable ``--listen`` takes its access token from when ``--access-token`` is not given.
TOKEN_ENV = "MONADAPTER_ACCESS_TOKEN"
#: How long a peer has for its part of the handshake.
HANDSHAKE_TIMEOUT = 10.0
#: Largest handshake message (they are ~200 bytes): a stranger cannot make us buffer more.
MAX_HANDSHAKE_BYTES = 4096

CHALLENGE = "monadapter/challenge"
AUTHENTICATE = "monadapter/authenticate"
_NONCE_BYTES = 16


class AuthenticationError(Exception):
    """The peer did not prove it knows the secret (wrong proof, wrong message, gone, too slow)."""


def new_token() -> str:
    """A fresh secret: 256 random bits, as URL-safe text (fits an environment variable or a command line)."""
    from base64 import urlsafe_b64encode  # here: a launched program makes no token, and never loads base64

    return urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode("ascii")  # secrets.token_urlsafe(32)


def same_token(given: object, expected: str) -> bool:
    """Whether ``given`` is ``expected``, in time that does not depend on where they differ."""
    if not isinstance(given, str):
        return False
    return _compare_digest(_bytes(given), _bytes(expected))


def write_secret_file(secret: str) -> str:
    """Write ``secret`` to a new file in a new directory, both private to this user (0600 in 0700);
    return its path (the reader removes both: :func:`take_secret_file`, :func:`remove_secret_file`)."""
    import tempfile  # the adapter's side only: not loaded into a debuggee

    folder = tempfile.mkdtemp(prefix="monadapter-")
    path = os.path.join(folder, "secret")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(secret)
    return path


def take_secret_file(path: str) -> str:
    """Read the secret :func:`write_secret_file` wrote, and remove the file and its directory."""
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    finally:
        remove_secret_file(path)


def remove_secret_file(path: str) -> None:
    """Remove a secret file and its directory (whoever comes second finds nothing to do)."""
    import shutil  # once per terminal launch: not loaded into every debuggee

    shutil.rmtree(os.path.dirname(path), ignore_errors=True)


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _proof(secret: str, role: str, listener_nonce: str, connector_nonce: str) -> str:
    message = f"monadapter {role}\0{listener_nonce}\0{connector_nonce}".encode()
    return _hmac_sha256(_bytes(secret), message)


#: Key pads of HMAC (RFC 2104), as translation tables: ``key.translate(_INNER)`` is key XOR 0x36.
_INNER = bytes(byte ^ 0x36 for byte in range(256))
_OUTER = bytes(byte ^ 0x5C for byte in range(256))
_SHA256_BLOCK = 64


def _hmac_sha256(key: bytes, message: bytes) -> str:
    """HMAC-SHA256 (RFC 2104) of ``message`` as hex, what ``hmac.new(key, message, hashlib.sha256)``
    gives (tests/test_auth.py checks), on CPython's own SHA-256 (``_sha2``): ``hmac`` and ``hashlib``
    load OpenSSL's libcrypto, 3.5 MB more resident memory in every debuggee for two hashes."""
    if len(key) > _SHA256_BLOCK:
        key = sha256(key).digest()
    key = key.ljust(_SHA256_BLOCK, b"\0")
    inner = sha256(key.translate(_INNER) + message).digest()
    return sha256(key.translate(_OUTER) + inner).hexdigest()


def _nonce(value: object) -> str:
    """A nonce from the peer: hex text of the expected length, else AuthenticationError."""
    if not isinstance(value, str) or len(value) != 2 * _NONCE_BYTES or not value.isascii():
        raise AuthenticationError("malformed nonce")
    try:
        bytes.fromhex(value)
    except ValueError:
        raise AuthenticationError("malformed nonce") from None
    return value


class ListenerSide:
    """The listener's half of the handshake, sans I/O: send :meth:`challenge`, then :meth:`check`
    the connector's answer and send what it returns."""

    def __init__(self, secret: str) -> None:
        self._secret = secret
        self.nonce = os.urandom(_NONCE_BYTES).hex()

    def challenge(self) -> bytes:
        """The framed challenge: the only thing a listener says to a peer not yet authenticated."""
        return encode({"seq": 1, "type": "event", "event": CHALLENGE, "body": {"nonce": self.nonce}})

    def check(self, message: dict[str, Any] | BadBody) -> bytes:
        """The framed acceptance if ``message`` is a valid proof, else AuthenticationError."""
        if not isinstance(message, dict) or message.get("type") != "request" or message.get("command") != AUTHENTICATE:
            raise AuthenticationError("the peer did not authenticate")
        arguments = message.get("arguments")
        if not isinstance(arguments, dict):
            raise AuthenticationError("the peer did not authenticate")
        theirs = _nonce(arguments.get("nonce"))
        if not same_token(arguments.get("proof"), _proof(self._secret, "connector", self.nonce, theirs)):
            raise AuthenticationError("the peer does not know the secret")
        seq = message.get("seq")
        return encode(
            {
                "seq": 2,
                "type": "response",
                "request_seq": seq if isinstance(seq, int) else 0,
                "command": AUTHENTICATE,
                "success": True,
                "body": {"proof": _proof(self._secret, "listener", self.nonce, theirs)},
            }
        )


class ConnectorSide:
    """The connector's half, sans I/O: :meth:`answer` the challenge, then :meth:`check` the acceptance."""

    def __init__(self, secret: str) -> None:
        self._secret = secret
        self.nonce = os.urandom(_NONCE_BYTES).hex()
        self._listener_nonce: str | None = None

    def answer(self, message: dict[str, Any] | BadBody) -> bytes:
        """The framed proof for the listener's challenge (AuthenticationError if it is none)."""
        if not isinstance(message, dict) or message.get("type") != "event" or message.get("event") != CHALLENGE:
            raise AuthenticationError("the peer is not a monadapter listener")
        body = message.get("body")
        self._listener_nonce = _nonce(body.get("nonce") if isinstance(body, dict) else None)
        proof = _proof(self._secret, "connector", self._listener_nonce, self.nonce)
        return encode(
            {
                "seq": 1,
                "type": "request",
                "command": AUTHENTICATE,
                "arguments": {"nonce": self.nonce, "proof": proof},
            }
        )

    def check(self, message: dict[str, Any] | BadBody) -> None:
        """Return if ``message`` proves the listener knows the secret; else AuthenticationError."""
        if self._listener_nonce is None:
            raise AuthenticationError("no challenge was answered")
        body = message.get("body") if isinstance(message, dict) and message.get("success") is True else None
        expected = _proof(self._secret, "listener", self._listener_nonce, self.nonce)
        if not isinstance(body, dict) or not same_token(body.get("proof"), expected):
            raise AuthenticationError("the peer does not know the secret")


def handshake_reader() -> MessageReader:
    """A reader for a link being authenticated: small messages only; :func:`authenticated` lifts the limit."""
    return MessageReader(max_body=MAX_HANDSHAKE_BYTES)


def authenticated(reader: MessageReader) -> MessageReader:
    """``reader`` (which may hold the peer's next bytes already) with the normal message limit."""
    reader.max_body = MAX_BODY_BYTES
    return reader


# --- blocking sockets (the agent) -------------------------------------------------------------


def connect(sock: _socket.socket, secret: str, *, timeout: float = HANDSHAKE_TIMEOUT) -> MessageReader:
    """The connector's handshake on a connected blocking socket; returns the reader to go on with
    (it may hold the listener's next message). Raises AuthenticationError or OSError."""
    side = ConnectorSide(secret)
    reader = handshake_reader()
    deadline = time.monotonic() + timeout
    sock.sendall(side.answer(_receive(sock, reader, deadline)))
    side.check(_receive(sock, reader, deadline))
    sock.settimeout(None)
    return authenticated(reader)


def _receive(sock: _socket.socket, reader: MessageReader, deadline: float) -> dict[str, Any] | BadBody:
    """The next message on a blocking socket, before ``deadline``; AuthenticationError otherwise."""
    while True:
        try:
            message = reader.next_message()
        except FramingError as exc:
            raise AuthenticationError(f"bad frame: {exc}") from None
        if message is not None:
            return message
        left = deadline - time.monotonic()
        if left <= 0:
            raise AuthenticationError("the peer was too slow")
        sock.settimeout(left)
        try:
            data = sock.recv(MAX_HANDSHAKE_BYTES)
        except TimeoutError:
            raise AuthenticationError("the peer was too slow") from None
        if not data:
            raise AuthenticationError("the peer hung up")
        reader.feed(data)


def is_loopback(host: str) -> bool | None:
    """Whether every address ``host`` names is a loopback address, where a listener may do without an
    access token; None when ``host`` does not resolve (the caller decides: the adapter's server lets
    listening say what is wrong with it, ``monadapter.listen`` asks for a token)."""
    try:
        infos = _socket.getaddrinfo(host, None, 0, _socket.SOCK_STREAM)
    except OSError:
        return None
    if not infos:
        return None
    import ipaddress  # here: only a listener asks, and the agent's memory counts (benchmarks A2)

    return all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)

"""The registry of ``frameId``s and ``variablesReference``s handed to the client, per paused thread.

One table serves both kinds of id (like vscode-mock-debug's ``Handles``), so a single lookup tells the
I/O thread which paused thread owns any id it receives and must run the request.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from types import FrameType

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any


class InspectError(Exception):
    """A user-facing failure of an inspection request; the message becomes the DAP error response."""


class NeedsThread(InspectError):
    """An answer begun on the I/O thread would run the program's code: the paused thread gives it
    (agent/paused.py, ``PausedRequests.stack_trace_here`` and ``scopes_here``)."""


class Handles:
    """frameId and variablesReference registry. An id stays valid until the thread that owns it resumes.

    The engine calls :meth:`clear_thread` when a thread resumes (continue, step) and :meth:`clear` when the
    session ends; after that the ids of that thread are unknown and a request naming one fails with a clear
    message. Ids are small positive integers counted up from 1 and never reused within a session, so a late
    request carrying an id from an earlier stop can never reach an unrelated object.

    Thread-safe: the paused threads add and read entries while the I/O thread asks for owners.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 1
        # maps reference -> (owner thread id, the frame or the expansion object behind it)
        self._entries: dict[int, tuple[int, Any]] = {}
        # maps (owner thread id, key) -> reference, so the same frame or value gets the same id during one stop
        self._by_key: dict[tuple[int, Hashable], int] = {}

    def add_frame(self, thread_id: int, frame: FrameType) -> int:
        """Return the frameId of ``frame`` on ``thread_id``; the same frame keeps its id while the thread is paused."""
        return self.add(thread_id, frame, key=("frame", id(frame)))

    def add(self, thread_id: int, value: Any, *, key: Hashable | None = None) -> int:
        """Register ``value`` for ``thread_id`` and return its id.

        With a ``key``, a second call with an equal key during the same stop returns the first id; the entry
        holds ``value`` strongly, so ``id()``-based keys cannot be recycled while the entry lives.
        """
        with self._lock:
            if key is not None:
                known = self._by_key.get((thread_id, key))
                if known is not None:
                    return known
            reference = self._next
            self._next += 1
            self._entries[reference] = (thread_id, value)
            if key is not None:
                self._by_key[(thread_id, key)] = reference
            return reference

    def get(self, reference: Any, *, what: str = "variablesReference") -> Any:
        """Return the frame or value behind ``reference``.

        Raises:
            InspectError: the id is not an integer, or unknown (never given, or its thread has resumed).
        """
        if type(reference) is not int:
            raise InspectError(f"{what} must be an integer, got {reference!r}")
        with self._lock:
            entry = self._entries.get(reference)
        if entry is None:
            raise InspectError(f"unknown {what} {reference}: ids are valid only while their thread stays paused")
        return entry[1]

    def thread_of(self, reference: int) -> int | None:
        """Return the id of the thread that owns a frameId or variablesReference, or None if unknown."""
        with self._lock:
            entry = self._entries.get(reference) if type(reference) is int else None
        return None if entry is None else entry[0]

    def clear_thread(self, thread_id: int) -> None:
        """Forget every id of ``thread_id`` (it resumed) and drop our references to its frames and values."""
        with self._lock:
            self._entries = {ref: entry for ref, entry in self._entries.items() if entry[0] != thread_id}
            self._by_key = {key: ref for key, ref in self._by_key.items() if key[0] != thread_id}

    def clear(self) -> None:
        """Forget every id of every thread; numbering goes on, so old ids stay unknown."""
        with self._lock:
            self._entries.clear()
            self._by_key.clear()

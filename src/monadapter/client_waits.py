"""The waits of one :class:`~monadapter.client_connection.DapConnection`: what wakes them and what
they end with.

The client runs no task of its own, so nothing waits on the connection's behalf: each wait looks for
what it wants among what was filed, and sleeps on a future of its own until more was filed, the
connection ended or its deadline came. Every wait has one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from monadapter.client_errors import DapConnectionClosed, DapTimeout
from monadapter.client_link import wake


class Waits:
    """Every wait in progress on one connection, the one timer that ends them on time, and what the
    next wait raises: the connection's end, or what went wrong reading."""

    def __init__(self) -> None:
        #: one future per wait in progress, each resolved (and the list emptied) when something was
        #: filed, the connection ended or reading failed: the waiters look again
        self._waiters: list[asyncio.Future[None]] = []
        #: what went wrong reading (a bad frame, a reverse request that could not be answered): the
        #: next wait raises it, as the wait that read it did when waiters read themselves
        self._failure: Exception | None = None
        #: one timer for every wait (:meth:`until`), due at the earliest deadline it was asked for
        #: and left armed when a wait ends; the loop it was made in
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None
        #: the adapter ended the connection or the client closed it: a wait that finds nothing raises
        #: DapConnectionClosed, and nothing more is sent
        self.closed = False

    async def until(self, check: Callable[[], Any], what: str, limit: float) -> Any:
        """Wait at most ``limit`` seconds until ``check()`` returns something other than None, and
        return it (``what`` names it in the error).

        Cheap on the path of every request (benchmarks time cycles through this client): what is
        there already is returned without a timer; otherwise a future per look, which asyncio's read
        callback resolves once it filed something, and the connection's one timer (:meth:`_arm`).
        """
        failure = self._failure
        if failure is not None:
            self._failure = None
            raise failure
        found = check()
        if found is not None:
            return found
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        waiter: asyncio.Future[None] | None = None
        try:
            while True:
                if self.closed:
                    raise DapConnectionClosed(f"the adapter closed the connection while waiting for {what}")
                if loop.time() >= deadline:
                    raise DapTimeout(f"timed out after {limit:g} s waiting for {what}")
                self._arm(loop, deadline)
                waiter = loop.create_future()
                self._waiters.append(waiter)
                await waiter
                failure = self._failure
                if failure is not None:  # found while filing what came: raised before what came after it
                    self._failure = None
                    raise failure
                found = check()
                if found is not None:
                    return found
        finally:
            if waiter is not None and not waiter.done():  # cancelled while it waited
                waiter.cancel()
                self._waiters.remove(waiter)

    def fail(self, exc: Exception) -> None:
        """Keep ``exc`` (what went wrong filing what came) for the next wait, unless one is kept already:
        the first is raised first, and :meth:`wake` lets a wait look."""
        if self._failure is None:
            self._failure = exc

    def wake(self) -> None:
        """Let every wait look again (something was filed, or the connection ended)."""
        waiters, self._waiters = self._waiters, []
        wake(waiters)

    def close(self) -> None:
        """The client closes the connection: every wait ends now, and the timer is not needed."""
        self.closed = True
        self.wake()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self, loop: asyncio.AbstractEventLoop, deadline: float) -> None:
        """Make the connection's timer wake the waiters by ``deadline``; each then looks at its own.

        One timer for all waits, moved only to an earlier deadline and never cancelled when a wait
        ends: a timer per wait (``call_later``, then ``cancel``) cost ~20 k instructions a wait on 3.13,
        a tenth of the client's share of a benchmarks S10e cycle, most of it asyncio's upkeep of its
        heap of cancelled timers. A wait woken before its deadline waits again.
        """
        timer = self._timer
        if timer is not None and self._timer_loop is loop and timer.when() <= deadline:
            return
        if timer is not None:
            timer.cancel()
        self._timer = loop.call_at(deadline, self._timer_fired)
        self._timer_loop = loop

    def _timer_fired(self) -> None:
        self._timer = None
        self.wake()

"""The connection of a :class:`~monadapter.client_connection.DapConnection` to its adapter, from its
opening to its close: the link asyncio reads and writes (client_link.py), the adapter process when
the client started one, and the numbering of what is written."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from monadapter.agent.wire import encode
from monadapter.client_errors import DapConnectionClosed
from monadapter.client_link import AdapterProcess, Link, Sink
from monadapter.client_waits import Waits

#: Opens the connection, giving it what asyncio reads: the link, and the adapter process when one
#: was started.
Opener = Callable[[Sink], Awaitable[tuple[Link, AdapterProcess | None]]]


class AdapterChannel:
    """One connection to an adapter: opened with its opener, written to in the order of ``seq``,
    closed with the adapter process it started."""

    def __init__(self, opener: Opener, waits: Waits) -> None:
        self._opener = opener
        #: closed once the adapter ended the connection or the client closed it: nothing more is written
        self._waits = waits
        self.link: Link | None = None
        self.process: AdapterProcess | None = None
        self._seq = 0

    async def open(self, sink: Sink) -> None:
        """Connect (or start the adapter process); asyncio puts what it reads into ``sink``."""
        self.link, self.process = await self._opener(sink)

    def write(self, message: dict[str, Any]) -> int:
        """Number ``message`` and hand it to the link, with no await between the two: messages go
        out in the order of their seqs without a lock. Returns its seq."""
        self._seq += 1
        seq = message["seq"] = self._seq
        self.write_raw(encode(message))
        return seq

    def write_raw(self, data: bytes) -> None:
        """Hand ``data`` to the link as it is.

        Raises:
            DapConnectionClosed: the connection can no longer be written to.
        """
        link = self.link
        assert link is not None, "use the client inside 'async with'"
        if link.lost or self._waits.closed:
            raise DapConnectionClosed("the connection to the adapter is closed")
        link.send(data)

    async def aclose(self, timeout: float) -> None:
        """Close the link, writing what is unsent within ``timeout`` seconds, then wait as long for
        the adapter process to exit, and kill it if it did not."""
        if self.link is not None:
            await self.link.aclose(timeout)
        process = self.process
        if process is not None:
            with anyio.move_on_after(timeout):
                await process.wait()
            if process.returncode is None:
                process.kill()
                await process.wait()
            process.close()

"""The answers a session still owes its client, so that a ``disconnect`` is answered last.

DAP gives every request one response. A request the dispatcher defers (a launch or attach waiting
for ``configurationDone``, a relayed request waiting for the agent) is noted here before the next
client message is read, and crossed off when its answer went out; a disconnect waits for the list
to empty, cancelling what can no longer be answered, before it is answered itself. Apart from
``Session`` (adapter/session.py) because it is its own small state machine, which the dispatcher
and the disconnect handler drive and the session itself never reads.
"""

from __future__ import annotations

import anyio

#: How long a disconnect waits for the answers still due to go out before it cancels them.
SETTLE_TIMEOUT = 5.0


class DueAnswers:
    """The deferred answers of one session not sent yet, and whether a disconnect is under way."""

    def __init__(self) -> None:
        #: request seq -> (command, the scope of the task that will answer it) for each deferred answer
        #: not sent yet (dispatcher._finish_later); and the event set at each answer's removal
        self._due: dict[int, tuple[str, anyio.CancelScope | None]] = {}
        self._changed = anyio.Event()
        #: a disconnect is under way: what it leaves unanswered is answered ``cancelled`` (settle)
        self.disconnecting = False

    def note(self, seq: int, command: str, scope: anyio.CancelScope | None = None) -> None:
        """Note that request ``seq`` will be answered later: by a task running under ``scope``, or
        (None) by the agent link's reading loop, a relayed request, which the agent answers or the
        loop's end does (the debuggee detached or ended: what settle waits for)."""
        self._due[seq] = (command, scope)

    def sent(self, seq: int) -> None:
        """The deferred answer to ``seq`` went out (or could not)."""
        self._due.pop(seq, None)
        if self.disconnecting:  # only settle waits for a change (no event made per relayed request)
            changed, self._changed = self._changed, anyio.Event()
            changed.set()

    async def settle(self, configured: anyio.Event) -> None:
        """Answer every request still waiting, before the disconnect that ends the session is answered
        (DAP: every request gets one response). Called once the debuggee is detached or ended, so
        the agent has answered what was relayed before (configurationDone too) or these fail now.
        A launch or attach whose configurationDone was not answered (``configured`` not set) can no
        longer succeed: it is cancelled at once (a connection still being made is abandoned; an
        attached program runs on). What is still due after SETTLE_TIMEOUT is cancelled too."""
        self.disconnecting = True
        with anyio.move_on_after(SETTLE_TIMEOUT):
            while self._due:
                changed = self._changed
                for command, scope in self._due.values():
                    if command in ("launch", "attach") and not configured.is_set() and scope is not None:
                        scope.cancel()
                await changed.wait()
        for _command, scope in self._due.values():
            if scope is not None:
                scope.cancel()
        with anyio.move_on_after(SETTLE_TIMEOUT):
            while self._due:
                await self._changed.wait()

"""``redirectOutput`` when attached: what the program writes to ``sys.stdout``/``sys.stderr`` also goes to the client.

Standard library only. A launched program's output reaches the adapter through pipes; an attached
program's streams are its own (a terminal, a log file), so the agent replaces ``sys.stdout`` and
``sys.stderr`` with wrappers that write to the original stream first, then send the text as an
``output`` event. The program's own output is unchanged, and the wrappers pass every other attribute
(``isatty``, ``fileno``, ``buffer``, ``encoding``...) through. What bypasses ``sys.stdout`` (a
stream object taken before the attach, ``os.write(1, ...)``, C code, child processes) is not
forwarded. On detach the originals are put back; a wrapper the program kept a reference to stops
forwarding and stays a plain pass-through.

A wrapper is never freed once installed: on 3.12 and 3.13 ``print()`` holds only a borrowed reference
to ``sys.stdout`` while it writes (3.14 takes a strong one), so if a detach put the original back
during a ``print`` and the wrapper died, that ``print`` would go on writing to freed memory (seen as
endless recursion in ``__getattr__``: the freed wrapper had no ``_stream``). Retired wrappers are kept
in :data:`_RETIRED`, one pair per session: a few hundred bytes each.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any, TextIO

    SendEvent = Callable[[str, dict[str, Any]], None]

_RETIRED: list[_Tee] = []
"""Every wrapper taken out of ``sys``: kept alive for ever, for a ``print`` still writing to it (see the module)."""


class _Tee:
    """A text stream that writes through to ``stream`` and forwards what was written to the client."""

    def __init__(self, stream: TextIO, category: str, send_event: SendEvent) -> None:
        self._stream = stream
        self._category = category
        self._send_event: SendEvent | None = send_event
        self._busy = threading.local()  # a send that prints (an error report) must not forward itself

    def write(self, text: str) -> int:
        written = self._stream.write(text)
        send = self._send_event
        if send is not None and text and isinstance(text, str) and not getattr(self._busy, "on", False):
            self._busy.on = True
            try:
                send("output", {"category": self._category, "output": text})
            except Exception:
                pass  # the client not getting a copy must never break the program's own output
            finally:
                self._busy.on = False
        return written

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def detach_client(self) -> None:
        """Stop forwarding: the wrapper only writes through from now on."""
        self._send_event = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class OutputRedirect:
    """Installs the wrappers on :meth:`start` and takes them away on :meth:`stop` (idempotent)."""

    def __init__(self, send_event: SendEvent) -> None:
        self._send_event = send_event
        self._tees: dict[str, _Tee] = {}

    def start(self) -> None:
        for name, category in (("stdout", "stdout"), ("stderr", "stderr")):
            stream = getattr(sys, name)
            if stream is not None and name not in self._tees:
                tee = _Tee(stream, category, self._send_event)
                self._tees[name] = tee
                setattr(sys, name, tee)

    def stop(self) -> None:
        tees, self._tees = self._tees, {}
        for name, tee in tees.items():
            tee.detach_client()
            _RETIRED.append(tee)
            if getattr(sys, name) is tee:
                setattr(sys, name, tee._stream)

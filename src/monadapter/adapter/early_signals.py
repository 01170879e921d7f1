"""The adapter's signals before its server watches them (server._stop_on_signal): SIGTERM, SIGHUP and
Ctrl-C's SIGINT end it at once, with code 0, as they end a session that has nothing to stop yet.

Standard library only: it is set up before anyio and the rest are imported (~0.1 s after the
``initialize`` answer on stdio), which is when such a signal comes.

SIGINT too: python's own KeyboardInterrupt, raised while a module is being imported, ended the
process by SIGINT (exit -2) even where it was caught. A handler of ours for it also keeps asyncio's
from being installed, so that the server watches SIGINT as it watches SIGTERM.

The handler raises SystemExit, and notes the signal first: raised inside a weakref callback (the
import system's module locks have one) or a ``__del__``, the exception is only reported as
"ignored" and the adapter would run on and wait for ever, so the server, once it watches the
signals, ends at once when one came before; and that report is not printed (it is our own exit,
not a bug: :func:`_unraisable`).
"""

from __future__ import annotations

import signal
import sys

TYPE_CHECKING = False  # typing is for mypy only
if TYPE_CHECKING:
    from collections.abc import Callable
    from sys import UnraisableHookArgs

#: The first of those signals that came before the server watched them, if one did.
received: int | None = None


def end_quietly() -> None:
    """Until the server watches them, SIGTERM, SIGHUP and SIGINT end the adapter with code 0."""
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, _exit_quietly)
    sys.unraisablehook = _unraisable(sys.unraisablehook)


def _exit_quietly(signum: int, frame: object) -> None:
    global received
    if received is None:
        received = signum
    raise SystemExit(0)


def _unraisable(report: Callable[[UnraisableHookArgs], object]) -> Callable[[UnraisableHookArgs], object]:
    """``sys.unraisablehook`` but for the SystemExit of :func:`_exit_quietly` raised where python cannot
    let it go on (the server ends at once instead): "Exception ignored ... SystemExit" on stderr."""

    def hook(unraisable: UnraisableHookArgs) -> object:
        if received is not None and isinstance(unraisable.exc_value, SystemExit):
            return None
        return report(unraisable)

    return hook

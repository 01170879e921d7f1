"""Our imports of modules not ours that may take an import lock: they never wait for one a thread we
hold paused owns (docs/architecture.md, "Late imports never wait for a paused thread").

A program thread we hold paused in the middle of importing a module (a breakpoint or a step at its
module level) owns importlib's lock for it until resumed: an import of ours waiting for it waited
for ever. ``Parking.park`` notes a parked thread (:func:`note_paused`) as waiting
for a stand-in lock whose owner, as importlib's deadlock detection reads it, is the thread asking
while an import of ours runs there (``monadapter.agent._import_other``): importlib then raises its
``_DeadlockError`` (or hands back the partly run module) instead of waiting, and that becomes
:class:`PausedImportError` here. Loaded at
the first park (inside a callback): it imports only what the agent loaded at start
(tests/test_lazy_modules.py).
"""

from __future__ import annotations

import _frozen_importlib  # importlib's own code, in every process
import sys
from _thread import get_ident

from monadapter.agent import LATE_IMPORTERS, PAUSED_THREADS, PausedImportError

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

#: In a forked child: the parent's threads that owned an import lock at the fork (noted as paused).
_gone: set[int] = set()
#: importlib's list type of a thread's entry in its ``_blocking_on`` (3.12+; None if it changed)
_BLOCKING_LIST: type[list[Any]] | None = getattr(_frozen_importlib, "_List", None)


class _PausedByUs:
    """What a paused thread waits for in importlib's ``_blocking_on``: a lock whose owner, for its
    deadlock detection, is the thread asking if one of our late imports runs there, else nobody."""

    __slots__ = ()

    @property
    def owner(self) -> int | None:
        ident = get_ident()
        return ident if ident in LATE_IMPORTERS else None


_PAUSED_BY_US = _PausedByUs()


def note_paused(ident: int) -> None:
    """Thread ``ident`` (the current one) is held paused until :func:`note_resumed` (pauses nest)."""
    waits = PAUSED_THREADS.get(ident)
    if waits is None:
        setdefault = getattr(getattr(_frozen_importlib, "_blocking_on", None), "setdefault", None)
        if _BLOCKING_LIST is None or setdefault is None:
            return  # an importlib we do not know: no detection, as before
        waits = PAUSED_THREADS[ident] = setdefault(ident, _BLOCKING_LIST())
    waits.append(_PAUSED_BY_US)
    _wake_waiters_of(ident)


def _wake_waiters_of(ident: int) -> None:
    """Wake the threads waiting for an import lock thread ``ident`` owns, as its release would (one
    ``waiters`` entry, one ``wakeup`` release: each woken thread wakes the next), so that each looks
    again: one of our late imports that began waiting while ``ident`` still ran now finds the pause
    (a deadlock for it); any other waits again. Skipped for a lock whose guard is taken just now."""
    for reference in list(_module_locks().values()):
        lock = reference()
        if getattr(lock, "owner", None) != ident:
            continue
        guard, waiters, wakeup = (
            getattr(lock, "lock", None),
            getattr(lock, "waiters", None),
            getattr(lock, "wakeup", None),
        )
        if guard is None or wakeup is None or not isinstance(waiters, list) or not guard.acquire(False):
            continue
        try:
            if waiters:
                waiters.pop()
                wakeup.release()
        finally:
            guard.release()


def note_resumed(ident: int) -> None:
    """Thread ``ident`` (the current one) goes on: undo one :func:`note_paused`."""
    waits = PAUSED_THREADS.get(ident)
    if waits is None:
        return
    waits.remove(_PAUSED_BY_US)
    if _PAUSED_BY_US not in waits:
        del PAUSED_THREADS[ident]


def raise_if_paused_held() -> None:
    """Importlib found a deadlock for an import of ours: :class:`PausedImportError` if a thread we hold
    paused owns an import lock (the wait it spared us was for that thread)."""
    held = sorted(
        name
        for name, reference in list(_module_locks().items())
        if getattr(reference(), "owner", None) in PAUSED_THREADS
    )
    if held:
        raise PausedImportError(_paused_message(held)) from None


def raise_if_partly_run(absolute: str) -> None:
    """:class:`PausedImportError` if an import of ours of ``absolute`` got a module (or its package)
    whose code a thread we hold paused still runs (maybe the current one: its lock is re-entrant;
    importlib also hands back a partly run module for a deadlock it found). Not one this thread runs
    otherwise: ``site`` imports ``sitecustomize``, where a child's session starts, which imports ``site``."""
    for name in (absolute, absolute.partition(".")[0]):
        if not getattr(getattr(sys.modules.get(name), "__spec__", None), "_initializing", False):
            continue
        reference = _module_locks().get(name)
        if reference is not None and getattr(reference(), "owner", None) in PAUSED_THREADS:
            raise PausedImportError(_paused_message([name]))


def note_gone_after_fork() -> None:
    """In a forked child, on the forking thread, the only one left: a thread that owned an import lock
    at the fork is gone and owns it for ever here, so it counts as paused (our imports fail, not wait)."""
    me = get_ident()
    for reference in list(_module_locks().values()):
        owner = getattr(reference(), "owner", None)
        if owner is not None and owner != me and owner not in PAUSED_THREADS:
            _gone.add(owner)
            note_paused(owner)


def _module_locks() -> dict[str, Any]:
    """importlib's module name -> weak reference to its ``_ModuleLock`` (private: empty if it changed)."""
    return getattr(_frozen_importlib, "_module_locks", {})


def _paused_message(names: list[str]) -> str:
    owners = {getattr(reference(), "owner", None) for name in names if (reference := _module_locks().get(name))}
    if owners and owners <= _gone:
        return f"a thread the fork did not copy was importing {', '.join(names)}: its import lock stays taken here"
    return (
        f"the program is paused while importing {', '.join(names)}: what this request needs imports it too,"
        " and can only once the program goes on"
    )

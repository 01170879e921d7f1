"""A paused frame's local and global variables: which are the function's own, and writing one so that the
program sees it when it resumes (setVariable, setExpression, an evaluated assignment).

Apart from the listing of children: evaluate.py and data_targets.py need these without it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from functools import lru_cache
from types import FrameType
from typing import Any, Literal

from monadapter.agent.codes import is_function_frame

_IS_PY313 = sys.version_info >= (3, 13)
_MISSING = object()


def fast_local_names(frame: FrameType) -> set[str]:
    """Return the names that are real local variables (including cells) of a function frame."""
    code = frame.f_code
    return set(code.co_varnames) | set(code.co_cellvars) | set(code.co_freevars)


@contextmanager
def writable_locals(frame: FrameType) -> Iterator[MutableMapping[str, Any]]:
    """Yield ``frame``'s locals mapping; on exit, names bound or rebound in it reach the running frame.

    On 3.13 ``f_locals`` is a write-through proxy (module and class frames give their real dict), so
    there is nothing to do. On 3.12 a function frame's ``f_locals`` is a snapshot dict: the names that
    changed in it are copied back into the fast slots (cells too) with ``PyFrame_LocalsToFast(frame, 0)``
    (docs/sys-monitoring/locals_write.py). Only the changed names are written: the snapshot is taken again just
    before the copy, so a cell that code run meanwhile changed (a called closure's ``nonlocal``) keeps its
    new value instead of the stale one from the first snapshot. A deleted name is not unbound: 3.12 cannot
    do that (callers refuse ``del`` of a function local up front).
    """
    namespace = frame.f_locals  # read once: on 3.12 another read would copy the old values over our writes
    if _IS_PY313 or not is_function_frame(frame):
        yield namespace
        return
    before = dict(namespace)
    try:
        yield namespace
    finally:
        changed = {name: value for name, value in namespace.items() if before.get(name, _MISSING) is not value}
        if changed:
            fresh = frame.f_locals  # the same dict object, refilled from the fast slots
            fresh.update(changed)
            _locals_to_fast()(frame, 0)


@lru_cache(maxsize=1)
def _locals_to_fast() -> Callable[[FrameType, int], None]:
    import ctypes  # only needed on 3.12, and only once a local is written

    function = ctypes.pythonapi.PyFrame_LocalsToFast
    function.argtypes = [ctypes.py_object, ctypes.c_int]
    function.restype = None
    return function


def write_name(
    frame: FrameType, name: str, value: Any, *, which: Literal["locals", "globals", "auto"] = "auto"
) -> None:
    """Bind ``name`` to ``value`` in the paused ``frame`` so that the program sees it when it resumes.

    ``auto`` follows assignment in the frame's own code: a function frame writes its local (or cell)
    variable when ``name`` is one, else the module global; module and class code write their namespace.
    """
    if which == "globals" or (which == "auto" and is_function_frame(frame) and name not in fast_local_names(frame)):
        frame.f_globals[name] = value
        return
    with writable_locals(frame) as namespace:
        namespace[name] = value

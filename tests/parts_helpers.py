"""Helpers for the in-process tier: engine parts built without sys.monitoring, fed real code objects
compiled from files a test writes, and real frames."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

import monadapter.agent as agent
from monadapter.agent.registry import CodeState


def compile_file(directory: Path, text: str, name: str = "prog.py") -> tuple[Path, CodeType]:
    """Write dedented ``text`` to ``directory/name``; return the path and its module code object."""
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path, compile(path.read_text(), str(path), "exec")


def nested(code: CodeType, name: str) -> CodeType:
    """The code object of the function ``name`` defined in ``code`` (at any depth)."""
    stack = [code]
    while stack:
        current = stack.pop()
        if current.co_name == name:
            return current
        stack.extend(const for const in current.co_consts if isinstance(const, CodeType))
    raise LookupError(name)


class Recorder:
    """Stands where sys.monitoring would be: records each (code name, events before, events now, rearm)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int, bool]] = []

    def __call__(self, state: CodeState, code: CodeType, before: int, rearm: bool) -> None:
        self.calls.append((code.co_name, before, state.wanted_events(), rearm))


class Events:
    """Collects the DAP events a part sends."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, event: str, body: dict[str, Any]) -> None:
        self.sent.append((event, body))


def frame_of(function_name: str) -> FrameType:
    """The frame of the innermost running call of ``function_name`` on this thread."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_name != function_name:
        frame = frame.f_back
    assert frame is not None, function_name
    return frame


@contextmanager
def our_module_unloaded(name: str) -> Iterator[None]:
    """Our module ``name`` as if no thread had loaded it yet (whichever tests ran before in this
    process), and as it was afterwards: the copy loaded meanwhile is dropped."""
    child = name.rpartition(".")[2]
    before = agent.MODULES.pop(name, None)
    attribute = agent.__dict__.pop(child, None)
    try:
        yield
    finally:
        agent.MODULES.pop(name, None)
        agent.__dict__.pop(child, None)
        if before is not None:
            agent.MODULES[name] = before
        if attribute is not None:
            setattr(agent, child, attribute)

"""Step-in targets: the calls a paused line is still to make, read from its bytecode, labelled with their source."""

from __future__ import annotations

import ast
import dis
import sys
from types import FrameType
from typing import Any

#: Instructions that make a call the CALL monitoring event reports (its offset is the instruction's).
#: 3.12 fires no CALL event for CALL_FUNCTION_EX (``f(*args)``), so there such a call is no target:
#: choosing it would end like ``next``.
CALL_OPCODES = frozenset({"CALL", "CALL_KW"} | ({"CALL_FUNCTION_EX"} if sys.version_info >= (3, 13) else set()))
#: Longest label shown for a call whose callee text alone is ambiguous.
MAX_LABEL = 60


def calls(frame: FrameType, line: int, text: str | None) -> list[dict[str, Any]]:
    """DAP ``StepInTarget`` objects for the calls on ``line`` of ``frame`` not yet made, in execution order.

    ``id`` is the CALL instruction's offset (what the engine's CALL event reports); the label is the
    callee expression (``obj.method``), or the whole call when two calls share a callee text.
    """
    lines = text.splitlines() if text is not None else []
    found: list[tuple[int, str, str, dis.Positions]] = []
    for instruction in dis.get_instructions(frame.f_code):
        positions = instruction.positions
        if instruction.opname not in CALL_OPCODES or instruction.offset <= frame.f_lasti:
            continue
        if positions is None or positions.lineno != line:
            continue
        whole = _segment(lines, positions)
        label = _callee(whole) or whole or f"call at offset {instruction.offset}"
        found.append((instruction.offset, label, whole, positions))
    labels = [label for _offset, label, _whole, _positions in found]
    targets = []
    for offset, label, whole, positions in found:
        if labels.count(label) > 1 and whole:
            label = whole if len(whole) <= MAX_LABEL else whole[: MAX_LABEL - 3] + "..."
        target: dict[str, Any] = {"id": offset, "label": label, "line": positions.lineno}
        columns = _columns(lines, positions)
        if columns is not None:
            target |= {"column": columns[0], "endLine": positions.end_lineno, "endColumn": columns[1]}
        targets.append(target)
    return targets


def call_offsets(frame: FrameType, line: int) -> set[int]:
    """The ids of ``calls(frame, line, ...)``: what a stepIn targetId may name."""
    return {target["id"] for target in calls(frame, line, None)}


def _segment(lines: list[str], positions: dis.Positions) -> str:
    """The source text a call instruction covers (positions count UTF-8 bytes), "" when unknown."""
    start, end = positions.lineno, positions.end_lineno
    if start is None or end is None or positions.col_offset is None or positions.end_col_offset is None:
        return ""
    if not 1 <= start <= end <= len(lines):
        return ""
    if start == end:
        return lines[start - 1].encode()[positions.col_offset : positions.end_col_offset].decode(errors="replace")
    first = lines[start - 1].encode()[positions.col_offset :].decode(errors="replace")
    last = lines[end - 1].encode()[: positions.end_col_offset].decode(errors="replace")
    return "\n".join([first, *lines[start : end - 1], last])


def _callee(call_text: str) -> str | None:
    """The callee expression of a call's text (``a.b`` of ``a.b(1)``), None when it does not parse as a call."""
    try:
        node = ast.parse(f"(\n{call_text}\n)", mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call):
        return None
    return ast.get_source_segment(f"(\n{call_text}\n)", node.func)


def _columns(lines: list[str], positions: dis.Positions) -> tuple[int, int] | None:
    """1-based (start, end) character columns of a call from its UTF-8 byte offsets."""
    start, end = positions.lineno, positions.end_lineno
    if start is None or end is None or positions.col_offset is None or positions.end_col_offset is None:
        return None
    if not 1 <= start <= end <= len(lines):
        return None
    first = lines[start - 1].encode()[: positions.col_offset].decode(errors="replace")
    last = lines[end - 1].encode()[: positions.end_col_offset].decode(errors="replace")
    return len(first) + 1, len(last) + 1

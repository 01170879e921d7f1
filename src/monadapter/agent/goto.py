"""Goto (jump) for a paused frame: which lines of its code a jump may land on, checked before CPython is asked.

CPython sets ``frame.f_lineno`` only for the top frame, from inside that frame's own LINE callback
(docs/sys-monitoring/jump_from_callback.py); on a caller frame 3.13.0 crashes. The engine therefore runs the jump on the
paused thread itself, only when it is parked in a LINE callback, and this module refuses up front what
CPython would refuse: a line without code, a line of another function, a line inside a ``for`` body
or deeper in the value stack than the current line (a ``with`` body, an ``except`` block, the middle of
an expression). CPython still checks again (its stack kinds are finer); its ValueError is passed on.
"""

from __future__ import annotations

import dis
import itertools
from collections.abc import Iterable
from types import CodeType, FrameType

from . import codes

#: Opcodes after which control never falls through to the next instruction.
_NO_FALLTHROUGH = frozenset(
    dis.opmap[name]
    for name in (
        "RETURN_VALUE",
        "RETURN_CONST",
        "RAISE_VARARGS",
        "RERAISE",
        "JUMP_FORWARD",
        "JUMP_BACKWARD",
        "JUMP_BACKWARD_NO_INTERRUPT",
    )
    if name in dis.opmap
)
_JUMPS = frozenset(dis.hasjrel) | frozenset(dis.hasjabs)


class GotoRefused(Exception):
    """A goto that is not allowed; the message says why, for the client's error response."""


def stack_depths(code: CodeType) -> dict[int, int]:
    """Value-stack depth before each reachable instruction offset (the compiler's own stack effects,
    exception handlers entered at their table depth plus lasti plus the exception)."""
    instructions = {instruction.offset: instruction for instruction in dis.get_instructions(code)}
    ordered = sorted(instructions)
    following = dict(itertools.pairwise(ordered))
    handlers = [(entry.target, entry.depth + int(entry.lasti) + 1) for entry in dis.Bytecode(code).exception_entries]  # type: ignore[attr-defined]
    depths: dict[int, int] = {}
    pending = [(ordered[0], 0)] + handlers if ordered else []
    while pending:
        offset, depth = pending.pop()
        if offset in depths or offset not in instructions:
            continue
        depths[offset] = depth
        instruction = instructions[offset]
        arg = instruction.arg if instruction.opcode >= dis.HAVE_ARGUMENT else None
        if instruction.opcode in _JUMPS:
            pending.append((instruction.argval, depth + dis.stack_effect(instruction.opcode, arg, jump=True)))
        if instruction.opcode not in _NO_FALLTHROUGH and offset in following:
            pending.append((following[offset], depth + dis.stack_effect(instruction.opcode, arg, jump=False)))
    return depths


def _for_bodies(code: CodeType) -> list[tuple[int, int]]:
    """(FOR_ITER offset, loop exit offset) of each ``for`` loop: offsets in between run with its iterator
    on the stack."""
    return [
        (instruction.offset, instruction.argval)
        for instruction in dis.get_instructions(code)
        if instruction.opname == "FOR_ITER"
    ]


def _line_start_offsets(code: CodeType) -> dict[int, list[int]]:
    """maps line -> offsets where that line starts (CPython's jump candidates), prologue left out."""
    prologue_end = codes.entry_point(code)
    first = prologue_end[0] if prologue_end is not None else 0
    starts: dict[int, list[int]] = {}
    previous: int | None = None
    for start, end, line in code.co_lines():
        if line is None or end <= first:
            continue
        if line != previous:
            starts.setdefault(line, []).append(max(start, first))
        previous = line
    return starts


def _owner_of(code: CodeType, line: int, file_code: Iterable[CodeType]) -> CodeType | None:
    """Another code object of the file (nested in ``code`` or not) that has code on ``line``."""
    for other in [*codes.walk(code), *file_code]:
        if other is not code and line in codes.line_starts(other):
            return other
    return None


def _describe(code: CodeType) -> str:
    return f"'{code.co_qualname}'" if code.co_name != "<module>" else "the module's top level"


def check(frame: FrameType, line: int, file_code: Iterable[CodeType] = ()) -> None:
    """Raise GotoRefused unless a jump of ``frame`` (paused at a line) to ``line`` is allowed.

    ``file_code``: the other known code objects of the frame's file, to name the function a refused
    line belongs to.
    """
    code = frame.f_code
    where = _describe(code)
    starts = _line_start_offsets(code)
    if line not in starts:
        owner = _owner_of(code, line, file_code)
        if owner is not None:
            raise GotoRefused(f"line {line} is in {_describe(owner)}, another function: goto stays in {where}")
        raise GotoRefused(f"line {line} has no code of {where}: goto needs a line with code in the same function")
    current = frame.f_lasti
    loops = _for_bodies(code)
    inside_now = {loop for loop in loops if loop[0] <= current < loop[1]}
    candidates = [
        offset for offset in starts[line] if {loop for loop in loops if loop[0] <= offset < loop[1]} <= inside_now
    ]
    if not candidates:
        raise GotoRefused(
            f"line {line} is inside a 'for' loop the current line is not in: goto cannot enter a loop body"
        )
    try:
        depths = stack_depths(code)
    except (ValueError, KeyError, IndexError):
        return  # an instruction the analysis does not know: CPython's own check decides
    here = depths.get(current)
    if here is not None and all(depths.get(offset, 0) > here for offset in candidates):
        raise GotoRefused(
            f"line {line} is inside a 'with' block, an 'except' block or an expression that the current "
            "line is not in: goto cannot enter it"
        )


def jump(frame: FrameType, line: int, file_code: Iterable[CodeType] = ()) -> None:
    """Move ``frame`` (the top frame, its thread inside this frame's LINE callback) to ``line``.

    Raises:
        GotoRefused: the jump is not allowed (checked here, or refused by CPython's ValueError).
    """
    check(frame, line, file_code)
    try:
        frame.f_lineno = line  # type: ignore[misc]  # typeshed has it read-only; a LINE callback may jump
    except ValueError as exc:
        raise GotoRefused(f"cannot go to line {line}: {exc}") from None


def targets(frame: FrameType, line: int) -> list[dict[str, object]]:
    """DAP ``GotoTarget`` objects for ``line`` in ``frame``: one (id = the line) when a jump there is allowed."""
    try:
        check(frame, line)
    except GotoRefused:
        return []
    return [{"id": line, "label": f"line {line}", "line": line}]

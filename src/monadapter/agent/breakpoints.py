"""Source breakpoints: what the client asked for, compiled once, and the decision taken at each hit."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from types import CodeType, FrameType, FunctionType

from .interrupt import EvaluationTimeout
from .outcome import NO_STOP, HitOutcome
from .records import Record

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any

_CO_OPTIMIZED = 0x1  # inspect.CO_OPTIMIZED: a function body, whose locals are fast locals
_HIT_CONDITION = re.compile(r"^\s*(==|>=|<=|>|<|%)?\s*(\d+)\s*$")
_HIT_OPERATORS: dict[str, Callable[[int, int], bool]] = {
    "==": operator.eq,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "%": lambda hits, n: hits % n == 0,
}


class BreakpointSpecError(ValueError):
    """A condition, hit condition or log message that cannot be compiled; the message says which."""


def parse_hit_condition(text: str) -> Callable[[int], bool]:
    """``N`` or ``== N`` (stop on the Nth hit), ``>= N``, ``> N``, ``< N``, ``<= N``, ``% N`` (every Nth).

    Raises:
        BreakpointSpecError: anything else, or ``% 0``.
    """
    match = _HIT_CONDITION.match(text)
    if match is None:
        raise BreakpointSpecError(f"hit condition {text!r} is not valid: use N, == N, >= N, > N, < N, <= N or % N")
    symbol, number = match.group(1) or "==", int(match.group(2))
    if symbol == "%" and number == 0:
        raise BreakpointSpecError("hit condition '% 0' is not valid: the modulus must be at least 1")
    test = _HIT_OPERATORS[symbol]
    return lambda hits: test(hits, number)


def parse_log_message(text: str) -> tuple[str | CodeType, ...]:
    """Split a logpoint message into literal text and compiled ``{expression}`` parts.

    ``{{`` and ``}}`` stand for literal braces; braces nest inside an expression (``{ {'a': 1} }``).

    Raises:
        BreakpointSpecError: an unclosed ``{`` or an expression that does not compile.
    """
    parts: list[str | CodeType] = []
    literal: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in "{}" and text[index : index + 2] == char * 2:
            literal.append(char)
            index += 2
        elif char == "{":
            depth, end = 1, index + 1
            while end < len(text) and depth:
                depth += {"{": 1, "}": -1}.get(text[end], 0)
                end += 1
            if depth:
                raise BreakpointSpecError(f"log message {text!r} has an unclosed '{{'")
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(_compile_placeholder(text[index:end]))
            index = end
        else:
            literal.append(char)
            index += 1
    if literal:
        parts.append("".join(literal))
    return tuple(parts)


def _compile_placeholder(placeholder: str) -> CodeType:
    """Compile one ``{expression}`` (with f-string ``!r`` and ``:spec`` allowed) as an f-string."""
    try:
        return compile("f" + repr(placeholder), "<log message>", "eval", dont_inherit=True)
    except SyntaxError as exc:
        raise BreakpointSpecError(f"log message part {placeholder!r} is not valid Python: {exc.msg}") from None


def _compile_expression(source: str, what: str) -> CodeType:
    try:
        return compile(source.strip(), f"<{what}>", "eval", dont_inherit=True)
    except SyntaxError as exc:
        raise BreakpointSpecError(f"{what} {source.strip()!r} is not valid Python: {exc.msg}") from None


class Condition:
    """A breakpoint condition, evaluated as cheaply as the frame allows.

    In a function frame, the expression is compiled once per code object (``test_for``, held by that
    code's ``LineProbe`` as its ``hit``) into a test function that, called with the frame, reads the
    code's local variables it needs from the frame's locals mapping into its own fast locals (free
    names stay globals and builtins, as in the frame), evaluates the expression, and returns NO_STOP
    when it is false. A false hit then costs one Python call (benchmarks S4). ``eval`` would raise
    the "exec" audit event (our source-capture hook runs for it) and resolve every name through a
    locals mapping. Module and class bodies, an unbound local, or a frame whose globals are not the
    function's fall back to ``evaluate``, which has the exact semantics.
    """

    __slots__ = ("text", "code", "names")

    def __init__(self, text: str) -> None:
        import ast  # here, on the I/O thread that sets the breakpoint: a session without conditions never loads it (A2)

        self.text = text.strip()
        self.code = _compile_expression(text, "condition")
        # the names the expression reads (test_for's locals and globals)
        self.names = frozenset(
            node.id for node in ast.walk(ast.parse(self.text, mode="eval")) if isinstance(node, ast.Name)
        )

    def evaluate(self, frame: FrameType) -> bool:
        """The condition's truth in ``frame`` through ``eval`` (exact, slower). Raises what the expression raises."""
        return bool(eval(self.code, frame.f_globals, frame.f_locals))

    def test_for(self, code: CodeType, globals_: dict[str, Any], breakpoint_: Breakpoint) -> FunctionType | None:
        """The test function of this condition for frames of ``code`` run in ``globals_``, a
        ``LineProbe.hit``: called with a frame (and its code) it returns NO_STOP when the condition is
        false, else what ``decide`` makes of the truth, the exception raised or ``UNBOUND``. None
        where only ``evaluate`` is right."""
        if not code.co_flags & _CO_OPTIMIZED:
            return None  # module or class body: names resolve through a namespace, eval does it right
        local = set(code.co_varnames) | set(code.co_cellvars) | set(code.co_freevars)
        used = self.names
        if any(name.startswith(_PREFIX) for name in used):  # a name of the program's the test would shadow
            return None
        frame, slow = f"{_PREFIX}frame", f"return {_PREFIX}decide({_PREFIX}breakpoint, {_PREFIX}frame"
        lines = [f"def {_PREFIX}make({', '.join(_PREFIX + name for name in _CLOSURE)}):"]
        lines.append(f" def condition({frame}, {_PREFIX}code):")
        if used - local:  # a condition that reads only locals needs no globals: theirs are not compared
            lines += [f"  if {frame}.f_globals is not {_PREFIX}globals:", f"   {slow}, {_PREFIX}unbound)"]
        reads = sorted(used & local)
        if reads:
            source = f"{frame}.f_locals" if len(reads) == 1 else f"{_PREFIX}locals"
            lines += ["  try:", *([f"   {source} = {frame}.f_locals"] if len(reads) > 1 else [])]
            lines += [f"   {name} = {source}[{name!r}]" for name in reads]
            lines += [f"  except {_PREFIX}missing:", f"   {slow}, {_PREFIX}unbound)"]
        lines += ["  try:", "   if not (", self.text, "   ):"]  # own lines: the text may end in a comment
        lines += [f"    return {_PREFIX}no_stop", f"  except BaseException as {_PREFIX}error:"]
        lines += [f"   {slow}, {_PREFIX}error)", f"  {slow}, True)", " return condition"]
        namespace: dict[str, Any] = {}
        try:
            exec(compile("\n".join(lines), "<condition>", "exec", dont_inherit=True), globals_, namespace)
        except SyntaxError:
            return None  # e.g. a walrus or a yield that only works as a bare expression
        test: FunctionType = namespace[f"{_PREFIX}make"](globals_, KeyError, UNBOUND, NO_STOP, decide, breakpoint_)
        return test


#: What a condition's test function passes to ``decide`` when a local it reads is unbound (then
#: ``eval`` decides).
UNBOUND = object()
#: The prefix of every name the test function uses itself; a condition naming one is left to ``eval``.
_PREFIX = "_monadapter_"
#: What the test function reads from its closure (not globals: it runs in the program's globals,
#: which may name anything).
_CLOSURE = ("globals", "missing", "unbound", "no_stop", "decide", "breakpoint")


class Breakpoint(Record):
    """One source breakpoint as bound by the engine. ``line`` is where it really binds."""

    __slots__ = (
        "id",
        "requested_line",
        "line",
        "verified",
        "message",
        "condition",
        "hit_test",
        "log_parts",
        "hits",
        "condition_failed",
    )

    def __init__(
        self, id: int, requested_line: int, line: int, *, message: str | None = None, condition: Condition | None = None
    ) -> None:
        self.id = id
        self.requested_line = requested_line
        self.line = line
        self.verified = False
        self.message = message
        self.condition = condition
        self.hit_test: Callable[[int], bool] | None = None
        self.log_parts: tuple[str | CodeType, ...] | None = None
        self.hits = 0
        #: the condition raised once already (and stopped then): later errors are reported, not stopped at
        self.condition_failed = False

    @classmethod
    def from_request(cls, breakpoint_id: int, spec: dict[str, Any]) -> Breakpoint:
        """Build from one DAP ``SourceBreakpoint``; a spec that does not compile gives an unverified
        breakpoint whose message says why (the other breakpoints of the request still bind)."""
        line = spec.get("line")
        if not isinstance(line, int) or isinstance(line, bool) or line < 1:
            return cls(breakpoint_id, 0, 0, message=f"line {line!r} is not valid: lines start at 1")
        breakpoint_ = cls(breakpoint_id, line, line)
        try:
            condition = spec.get("condition")
            if isinstance(condition, str) and condition.strip():
                breakpoint_.condition = Condition(condition)
            hit_condition = spec.get("hitCondition")
            if isinstance(hit_condition, str) and hit_condition.strip():
                breakpoint_.hit_test = parse_hit_condition(hit_condition)
            log_message = spec.get("logMessage")
            if isinstance(log_message, str) and log_message:
                breakpoint_.log_parts = parse_log_message(log_message)
        except BreakpointSpecError as exc:
            breakpoint_.message = str(exc)
            breakpoint_.line = 0  # never binds
        return breakpoint_

    @property
    def usable(self) -> bool:
        """Whether the spec compiled (an unusable breakpoint is reported, never bound)."""
        return self.line > 0

    @property
    def runs_expressions(self) -> bool:
        """Whether its hits run the program's code: a condition, or a logpoint's ``{expression}``."""
        return self.condition is not None or any(not isinstance(part, str) for part in self.log_parts or ())

    def to_dap(self, source: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "verified": self.verified, "source": source}
        body["line"] = self.line if self.line else self.requested_line
        if self.message:
            body["message"] = self.message
        return body


class FunctionBreakpoint(Record):
    """A breakpoint on entry to every function named ``name``: its qualified name (``Class.method``),
    its plain name, or either prefixed by its module (``package.module.function``)."""

    __slots__ = ("name", "breakpoint", "source")

    def __init__(self, name: str, breakpoint: Breakpoint) -> None:
        self.name = name
        self.breakpoint = breakpoint
        # the DAP Source of the first function matched (where the breakpoint is shown)
        self.source: dict[str, Any] | None = None

    @classmethod
    def from_request(cls, breakpoint_id: int, spec: dict[str, Any]) -> FunctionBreakpoint:
        """Build from one DAP ``FunctionBreakpoint``; a bad spec gives an unusable, unverified one."""
        name = spec.get("name")
        if not isinstance(name, str) or not name.strip():
            return cls("", Breakpoint(breakpoint_id, 0, 0, message=f"function name {name!r} is not valid"))
        breakpoint_ = Breakpoint.from_request(breakpoint_id, {**spec, "line": 1})
        breakpoint_.message = breakpoint_.message or f"no function named {name.strip()!r} has been loaded yet"
        return cls(name.strip(), breakpoint_)

    def matches(self, code: CodeType) -> bool:
        if not self.breakpoint.usable:
            return False
        qualified = code.co_qualname
        if self.name in (qualified, code.co_name):
            return True
        suffix = "." + qualified
        return self.name.endswith(suffix) and _module_matches(self.name[: -len(suffix)], code.co_filename)


def _module_matches(module: str, filename: str) -> bool:
    """Whether ``filename`` can be the file of ``module`` (its last dotted part, or a package's __init__)."""
    parts = filename.replace("\\", "/").rsplit("/", 2)
    stem = parts[-1].rsplit(".", 1)[0]
    last = module.rsplit(".", 1)[-1]
    return stem == last or (stem == "__init__" and len(parts) > 1 and parts[-2] == last)


class LineProbe:
    """One breakpoint as armed in one code object (``CodeState.probes`` in the engine): the hit of a
    conditional breakpoint whose condition is false, the hot path of S4, is one call of ``hit``,
    which is the condition's test function for that code once compiled on its first hit. Holds no
    reference to the code: the engine's registry holds code weakly, and the callback passes it in.

    ``hit(frame, code)`` decides what one hit in ``frame``, which runs ``code``, does. It runs on the
    hitting thread inside its LINE callback, so user code evaluated here fires no monitoring events
    (docs/sys-monitoring/no_events_in_callbacks.py)."""

    __slots__ = ("breakpoint", "hit")

    def __init__(self, breakpoint_: Breakpoint) -> None:
        self.breakpoint = breakpoint_
        self.hit: Callable[[FrameType, CodeType], HitOutcome] = (
            self._first_hit if breakpoint_.condition is not None else self._evaluated_hit
        )

    def _first_hit(self, frame: FrameType, code: CodeType) -> HitOutcome:
        """Compile the condition's test function for ``code`` (or settle for ``eval``), then hit."""
        condition = self.breakpoint.condition
        test = condition.test_for(code, frame.f_globals, self.breakpoint) if condition is not None else None
        self.hit = test if test is not None else self._evaluated_hit
        return self.hit(frame, code)

    def _evaluated_hit(self, frame: FrameType, _code: CodeType) -> HitOutcome:
        return evaluate_hit(self.breakpoint, frame)


def decide(breakpoint_: Breakpoint, frame: FrameType, condition: object) -> HitOutcome:
    """What a hit does once a test function has looked at the condition: ``True`` (it holds),
    ``UNBOUND`` (a local it reads is unbound: ``eval`` decides) or the exception it raised."""
    if condition is True:
        return _counted_hit(breakpoint_, frame)
    if isinstance(condition, BaseException):
        return _condition_raised(breakpoint_, condition)
    return evaluate_hit(breakpoint_, frame)


def evaluate_hit(breakpoint_: Breakpoint, frame: FrameType) -> HitOutcome:
    """Decide what one hit of ``breakpoint_`` in ``frame`` does, the condition evaluated by ``eval``.

    Order: the condition first; only hits whose condition holds are counted for the hit condition
    (as VS Code and debugpy do); then a logpoint logs instead of stopping.
    """
    if breakpoint_.condition is not None:
        try:
            if not breakpoint_.condition.evaluate(frame):
                return NO_STOP
        except BaseException as exc:  # as in LineProbe.hit
            return _condition_raised(breakpoint_, exc)
    return _counted_hit(breakpoint_, frame)


def _condition_raised(breakpoint_: Breakpoint, exc: BaseException) -> HitOutcome:
    """A condition that raises stops the first time, with the error (bdb's "most conservative" choice);
    later it is only reported: a broken condition in a loop must not turn into a stop per iteration.
    One that ran past evaluateTimeout (ended by agent/interrupt.py) is a condition that raised."""
    error = f"breakpoint condition at line {breakpoint_.line} {_failure(exc)}"
    if breakpoint_.condition_failed:
        return HitOutcome(stop=False, error=error + "; not stopping (it stopped the first time)")
    breakpoint_.condition_failed = True
    return HitOutcome(stop=True, error=error + "; stopped there (later errors of it are reported without stopping)")


def _counted_hit(breakpoint_: Breakpoint, frame: FrameType) -> HitOutcome:
    """A hit whose condition holds (or that has none): count it, apply the hit condition, log or stop."""
    breakpoint_.hits += 1
    if breakpoint_.hit_test is not None and not breakpoint_.hit_test(breakpoint_.hits):
        return NO_STOP
    if breakpoint_.log_parts is not None:
        return HitOutcome(stop=False, log=render_log(breakpoint_.log_parts, frame))
    return HitOutcome(stop=True)


def render_log(parts: tuple[str | CodeType, ...], frame: FrameType) -> str:
    """Interpolate a logpoint; an expression that raises shows ``<error: ...>`` in its place."""
    rendered: list[str] = []
    for part in parts:
        if isinstance(part, str):
            rendered.append(part)
            continue
        try:
            rendered.append(str(eval(part, frame.f_globals, frame.f_locals)))
        except BaseException as exc:  # as for conditions: a logpoint never ends the program
            rendered.append(f"<error: {_failure(exc).removeprefix('raised ')}>")
    return "".join(rendered)


def _failure(exc: BaseException) -> str:
    """What happened to an expression that failed: ``raised NameError: ...``, or that it was ended
    (``did not finish within 10 s (evaluateTimeout), so it was ended``)."""
    if isinstance(exc, EvaluationTimeout):
        return f"{exc}, so it was ended"
    return f"raised {type(exc).__name__}: {exc}"

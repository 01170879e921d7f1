"""Exception breakpoints: the filters and exception options a client sets, which exceptions they stop for, and what the client sees."""

from __future__ import annotations

import keyword
import threading
from collections.abc import Callable, Mapping
from types import CodeType, FrameType

from .records import Record, Value

TYPE_CHECKING = False  # typing is for mypy only: not imported at run time (benchmarks A2)
if TYPE_CHECKING:
    from typing import Any, Literal

    #: A stop kind is also the id of the filter that asks for it (adapter/capabilities.py announces them).
    StopKind = Literal["raised", "userUnhandled", "uncaught"]

FILTER_NAMES: frozenset[str] = frozenset({"raised", "userUnhandled", "uncaught"})
#: The DAP breakMode a stop of each kind reports in exceptionInfo.
BREAK_MODES: dict[str, str] = {"raised": "always", "userUnhandled": "userUnhandled", "uncaught": "unhandled"}
#: What each exceptionOptions breakMode stops for (as debugpy: "userUnhandled" includes "unhandled").
MODE_KINDS: dict[str, frozenset[str]] = {
    "never": frozenset(),
    "always": frozenset({"raised"}),
    "unhandled": frozenset({"uncaught"}),
    "userUnhandled": frozenset({"userUnhandled", "uncaught"}),
}
#: The category clients put first in an exceptionOptions path (Visual Studio's convention, as debugpy reads it).
CATEGORY = "Python Exceptions"
#: Iteration and generator protocol signals: they stop only where a condition or option names them.
PROTOCOL = (StopIteration, StopAsyncIteration, GeneratorExit)
#: How many (stop kind, exception type) decisions ExceptionFilters keeps.
MAX_DECISIONS = 1024
#: The text of the filters' conditionDescription (adapter/capabilities.py) and of the README.
CONDITION_HELP = (
    "Exception types, comma-separated: 'ValueError, KeyError' stops only for those (subclasses included); "
    "'not KeyError' or '!KeyError' stops for all but those. A bare name matches the class in any module; "
    "a dotted one the class in that module or its submodules (json.JSONDecodeError)."
)


def _check_name(name: str, where: str) -> str:
    """``name`` stripped, when it is a (dotted) Python name; ValueError saying ``where`` otherwise."""
    name = name.strip()
    if not name or not all(part.isidentifier() and not keyword.iskeyword(part) for part in name.split(".")):
        raise ValueError(f"{where}: {name!r} is not an exception type name")
    return name


def _names_class(name: str, kind: type) -> bool:
    """Whether ``name`` is the class's qualified name, alone or after its module or a package of its
    module (``json.JSONDecodeError`` names ``json.decoder.JSONDecodeError``, as json exports it)."""
    qualname = kind.__qualname__
    if name == qualname:
        return True
    prefix = name[: -len(qualname) - 1]
    module = kind.__module__
    return name.endswith("." + qualname) and (module == prefix or module.startswith(prefix + "."))


class TypeSelector(Value):
    """Exception types by name: the named ones and their subclasses, or (``negate``) all others."""

    __slots__ = ("names", "negate")

    def __init__(self, names: tuple[str, ...], negate: bool = False) -> None:
        self.names = names
        self.negate = negate

    @classmethod
    def parse(cls, text: str, where: str) -> TypeSelector | None:
        """Read a filter condition (syntax: CONDITION_HELP); None for an empty one (every exception).

        Raises:
            ValueError: the text is not that syntax; the message quotes ``where`` and the syntax.
        """
        body = text.strip()
        negate = False
        if body.startswith("!"):
            negate, body = True, body[1:]
        elif body.split(None, 1)[:1] == ["not"]:
            negate, body = True, body[3:]
        if not body.strip():
            if negate:
                raise ValueError(f"{where}: 'not' needs exception type names after it. {CONDITION_HELP}")
            return None
        try:
            names = tuple(_check_name(name, where) for name in body.split(","))
        except ValueError as exc:
            raise ValueError(f"{exc}. {CONDITION_HELP}") from None
        return cls(names, negate)

    def depth(self, kind: type) -> int | None:
        """How near ``kind`` the match is: the MRO index of the nearest named class; ``len(mro)`` (the
        least specific) for a negated selector naming none of them; None when it does not match."""
        mro = kind.__mro__
        for index, base in enumerate(mro):
            if any(_names_class(name, base) for name in self.names):
                return None if self.negate else index
        return len(mro) if self.negate else None


class ExceptionRule(Value):
    """One ``exceptionOptions`` entry: the exceptions its path selects stop for its breakMode's kinds."""

    __slots__ = ("segments", "kinds")

    def __init__(self, segments: tuple[TypeSelector, ...], kinds: frozenset[str]) -> None:
        self.segments = segments
        self.kinds = kinds

    @classmethod
    def parse(cls, option: Any, index: int) -> ExceptionRule:
        where = f"exceptionOptions[{index}]"  # types as the adapter validated them (DAP schema)
        segments: list[TypeSelector] = []
        for position, segment in enumerate(option.get("path") or []):
            names = segment["names"]
            if not names:
                raise ValueError(f"{where}.path[{position}] needs 'names', a non-empty list of strings")
            if position == 0 and CATEGORY in names:
                continue  # the category: every Python exception
            checked = tuple(_check_name(name, f"{where}.path[{position}]") for name in names)
            segments.append(TypeSelector(checked, bool(segment.get("negate"))))
        return cls(tuple(segments), MODE_KINDS[option["breakMode"]])

    def depth(self, kind: type) -> int | None:
        """How specifically the path selects ``kind`` (see TypeSelector.depth); None when it does not."""
        best = len(kind.__mro__)
        for segment in self.segments:
            depth = segment.depth(kind)
            if depth is None:
                return None
            best = min(best, depth)
        return best


class ExceptionFilters(Record):
    """What setExceptionBreakpoints asked for last: the enabled filters, each with its condition
    (None: every exception), and the exceptionOptions rules.

    A rule that selects an exception decides for it (the most specific one: nearest in the exception's
    MRO, the last of equals), so ``never`` on KeyError silences even the "uncaught" filter for it.
    Exceptions no rule selects stop where an enabled filter's condition accepts them.
    """

    __slots__ = ("filters", "rules", "_armed", "_decisions")

    def __init__(
        self, filters: Mapping[str, TypeSelector | None] | None = None, rules: tuple[ExceptionRule, ...] = ()
    ) -> None:
        self.filters: Mapping[str, TypeSelector | None] = {} if filters is None else filters
        self.rules = rules
        # the stop kinds any exception may stop as (see armed)
        self._armed = frozenset(set(self.filters).union(*(rule.kinds for rule in rules)))
        # maps (stop kind, exception type) -> whether it stops: callbacks ask per raise or unwind, and
        # matching names against an MRO costs a microsecond (cleared when full: types can be made at run time)
        self._decisions: dict[tuple[str, type], bool] = {}

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, Any]) -> ExceptionFilters:
        """Read setExceptionBreakpoints' ``filters``, ``filterOptions`` (with conditions) and ``exceptionOptions``.

        Raises:
            ValueError: an unknown filter, a malformed entry or a condition that is not CONDITION_HELP's syntax.
        """
        filters: dict[str, TypeSelector | None] = {}
        names = arguments.get("filters") or []  # types as the adapter validated them (DAP schema)
        options = arguments.get("filterOptions") or []
        unknown = sorted({*names, *(option["filterId"] for option in options)} - FILTER_NAMES)
        if unknown:
            raise ValueError(f"unknown exception filter(s) {', '.join(unknown)}: use {', '.join(sorted(FILTER_NAMES))}")
        for name in names:
            filters[name] = None
        for option in options:
            condition = option.get("condition")
            filters[option["filterId"]] = (
                TypeSelector.parse(condition, f"condition of filter {option['filterId']!r}") if condition else None
            )
        exception_options = arguments.get("exceptionOptions") or []
        rules = tuple(ExceptionRule.parse(option, index) for index, option in enumerate(exception_options))
        return cls(filters, rules)

    def armed(self, kind: StopKind) -> bool:
        """Whether any exception may stop as ``kind`` (so its events must be on)."""
        return kind in self._armed

    def stops(self, kind: StopKind, exception: BaseException) -> bool:
        """Whether ``exception`` stops as ``kind``. SystemExit with code 0 or None never stops (a program
        ending on purpose); iteration protocol signals only where a condition or rule names them."""
        if isinstance(exception, SystemExit) and _is_success(exception.code):
            return False
        key = (kind, type(exception))
        decision = self._decisions.get(key)
        if decision is None:
            if len(self._decisions) >= MAX_DECISIONS:
                self._decisions.clear()
            decision = self._decisions[key] = self._decide(kind, key[1])
        return decision

    def _decide(self, kind: str, exc_type: type[BaseException]) -> bool:
        explicit_depth = len(exc_type.__mro__)
        chosen: tuple[int, ExceptionRule] | None = None
        for rule in self.rules:
            depth = rule.depth(exc_type)
            if depth is not None and (chosen is None or depth <= chosen[0]):
                chosen = (depth, rule)
        if chosen is not None:
            depth, rule = chosen
            return kind in rule.kinds and (depth < explicit_depth or not issubclass(exc_type, PROTOCOL))
        if kind not in self.filters:
            return False
        selector = self.filters[kind]
        depth = selector.depth(exc_type) if selector is not None else explicit_depth
        if depth is None:
            return False
        return depth < explicit_depth or not issubclass(exc_type, PROTOCOL)


def _is_success(code: object) -> bool:
    """Whether ``SystemExit(code)`` ends the process with status 0, by python's own rule: None, or
    an ``int`` (a subclass too: pytest's ``ExitCode.OK`` is an IntEnum, ``False`` a bool) whose
    value is 0. The value is read as python reads it, ignoring a subclass's ``__eq__``/``__int__``."""
    return code is None or (isinstance(code, int) and int.__index__(code) == 0)


def program_ending() -> None:
    """Called by the runner (through Debugger.program_ending) while it handles the exception that ends
    the program: the main thread's counterpart of threading's ``invoke_excepthook``.

    It does nothing itself. The engine watches its start (see ending_probes), so the "uncaught" stop
    happens inside a monitoring callback, where code run for the client fires no events (docs/sys-monitoring/no_events_in_callbacks.py).
    """


def ending_probes() -> tuple[CodeType, ...]:
    """The code objects whose start means "an exception is about to end this thread", with the
    exception being handled (``sys.exception()``): ours for the main thread, and the function
    ``threading`` makes per thread to report an exception that escaped ``run`` (every thread started
    with threading; it runs before any ``threading.excepthook``, which the program may replace)."""
    probes = [program_ending.__code__]
    maker = getattr(threading, "_make_invoke_excepthook", None)
    if maker is not None:
        probes += [const for const in maker.__code__.co_consts if isinstance(const, CodeType)]
    return tuple(probes)


def exception_stack(
    exception: BaseException, shown: Callable[[CodeType], bool], bottom: CodeType | None
) -> list[tuple[FrameType, int]]:
    """The stack of an exception stop, innermost first, each frame with its line: the frames the
    exception already left (its traceback: finished, but their locals stay readable), then the live
    callers of the frame it is in now (the traceback's first frame). Only frames whose code ``shown``
    accepts, and none below a frame running ``bottom`` (the program's main code: runpy's frames under
    it are the launcher's, as in Engine.user_frames)."""
    entries: list[tuple[FrameType, int]] = []
    tb = exception.__traceback__
    current = tb.tb_frame if tb is not None else None
    while tb is not None:
        entries.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    entries.reverse()
    caller = current.f_back if current is not None else None
    while caller is not None:
        entries.append((caller, caller.f_lineno or 0))
        caller = caller.f_back
    stack: list[tuple[FrameType, int]] = []
    for frame, line in entries:
        code = frame.f_code
        if shown(code):
            stack.append((frame, line))
        if code is bottom:
            break
    return stack


def passed_user_code(exception: BaseException, is_user: Callable[[CodeType], bool]) -> bool:
    """Whether ``exception``, raised again in the frame at the head of its traceback (a RAISE event),
    already went through a user frame deeper down: the "raised" stop happened there. Read off the
    exception's own traceback, so that nothing holds it (and its frames) once its stop is over."""
    tb = exception.__traceback__
    tb = tb.tb_next if tb is not None else None
    while tb is not None:
        if is_user(tb.tb_frame.f_code):
            return True
        tb = tb.tb_next
    return False


def left_user_code(
    exception: BaseException, is_user: Callable[[CodeType], bool], shown: Callable[[CodeType], bool]
) -> bool:
    """Whether ``exception`` already went from a user frame into a shown library frame that called it
    (where it stopped as userUnhandled), judged by its traceback as :func:`passed_user_code` is."""
    tb = exception.__traceback__
    caller: CodeType | None = None
    while tb is not None:
        code = tb.tb_frame.f_code
        if caller is not None and is_user(code) and not is_user(caller) and shown(caller):
            return True
        caller, tb = code, tb.tb_next
    return False


def describe(exception: BaseException) -> str:
    """``Type: message`` for the stopped event's description; never raises (a broken __str__)."""
    message = message_of(exception)
    name = type(exception).__qualname__
    return f"{name}: {message}" if message else name


def message_of(exception: BaseException) -> str:
    """``str(exception)``, or why it failed: never raises (a broken ``__str__``)."""
    try:
        return str(exception)
    except Exception as exc:
        return f"<str() failed: {type(exc).__name__}>"

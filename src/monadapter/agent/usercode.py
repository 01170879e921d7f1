"""The user-code policy: which code is the program's own (steps and exception filters stop there), which
is the library's (justMyCode), ours, or the launcher's, and which frames a stack shows."""

from __future__ import annotations

from sys import _current_frames  # bound once: the program may patch sys
from types import CodeType, FrameType

from . import codes
from .coderules import Rules
from .threads import ParkedThread, Stack

#: How many file names UserCode remembers before starting over (run-time names can be endless).
MAX_FILE_VERDICTS = 4096


class UserCode:
    """Decides per file and per code object, for steps, exception stops and stack traces.

    * ``skipped(filename)``: a step never stops in the file, the ``raised`` and ``userUnhandled``
      filters do not count it as user code, and stack traces mark its frames: ours always; then the
      first of debugpy's rules that matches (coderules.py); else the standard library and
      site-packages with justMyCode (the default).
    * launcher code: the frames that run the program (start script, launcher, runner, runpy for
      ``-m monadapter.agent``),
      matched by identity, never user code and never shown.

    Needs no sys.monitoring: a test builds one and asks it about real code objects and frames.
    """

    def __init__(self) -> None:
        self.just_my_code = True
        # debugpy's rules: which files are user code, before justMyCode decides (coderules.py)
        self._rules = Rules()
        # maps file name -> whether it is skipped (see skipped); read per exception by the engine's
        # RAISE callback, never replaced (the engine holds it too)
        self.verdicts: dict[str, bool] = {}
        # the program's main code object: frames below it belong to the launcher
        self.main_code: CodeType | None = None
        # maps file name -> code of the launcher's frames, matched by identity: hashing a code
        # object hashes all its constants, too slow for callbacks that ask per exception
        self._launcher_codes: dict[str, list[CodeType]] = {}

    def configure(self, *, just_my_code: bool, rules: Rules | None = None) -> None:
        self.just_my_code = just_my_code
        self._rules = rules or Rules()
        self.verdicts.clear()

    def skipped(self, filename: str) -> bool:
        """Whether steps never stop in ``filename`` and exception filters do not count it as user code.
        Remembered per file name in ``verdicts``."""
        skipped = self.verdicts.get(filename)
        if skipped is None:
            if len(self.verdicts) >= MAX_FILE_VERDICTS:
                self.verdicts.clear()
            ruled = self._rules.verdict(filename)  # the user's rules first, then justMyCode's default
            library = (self.just_my_code and codes.is_library_file(filename)) if ruled is None else not ruled
            skipped = codes.is_own_file(filename) or library
            self.verdicts[filename] = skipped
        return skipped

    def program_starts_at(self, code: CodeType, launcher: FrameType | None) -> None:
        """The program's main code is ``code``, run from ``launcher``: stacks end at its frame, and
        ``launcher`` and its callers are the launcher's."""
        self.main_code = code
        self.add_launcher_frames(launcher)

    def add_launcher_frames(self, frame: FrameType | None) -> None:
        """Count the code of ``frame`` and its callers as the launcher's (never user code)."""
        while frame is not None:
            launcher = self._launcher_codes.setdefault(frame.f_code.co_filename, [])
            if not any(code is frame.f_code for code in launcher):
                launcher.append(frame.f_code)
            frame = frame.f_back

    def is_launcher_code(self, code: CodeType) -> bool:
        for launcher in self._launcher_codes.get(code.co_filename, ()):
            if launcher is code:
                return True
        return False

    def is_user_code(self, code: CodeType) -> bool:
        return not self.skipped(code.co_filename) and not self.is_launcher_code(code)

    def shown(self, code: CodeType) -> bool:
        """Whether frames of ``code`` appear in a stack trace: all but ours and the launcher's."""
        return not codes.is_own_file(code.co_filename) and not self.is_launcher_code(code)

    def stack_of(self, parked: ParkedThread) -> Stack:
        """The stack of a parked thread: an exception stop's own, else its frames from where it stopped."""
        return parked.stack if parked.stack is not None else self.stack(parked.frame, parked.line)

    def running_stack(self, ident: int) -> Stack:
        """The stack of a thread that is not parked (blocked in native code during a stop), for display."""
        frame = _current_frames().get(ident)
        return self.stack(frame, frame.f_lineno or 0) if frame is not None else []

    def stack(self, frame: FrameType | None, line: int) -> Stack:
        """The stack from ``frame`` (at ``line``) down, innermost first, each frame with its current
        line: our own frames and the launcher's frames below the program's main code left out."""
        frames: list[tuple[FrameType, int]] = []
        while frame is not None:
            if not codes.is_own_file(frame.f_code.co_filename):
                frames.append((frame, line))
            if frame.f_code is self.main_code:
                break
            frame = frame.f_back
            line = (frame.f_lineno or 0) if frame is not None else 0
        return frames

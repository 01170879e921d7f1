"""Stepping as data: one small frozen StepPlan per thread, read by one ``should_stop`` (bdb's ``_set_stopinfo``)."""

from __future__ import annotations

from dataclasses import dataclass
from types import FrameType
from typing import Literal

StepKind = Literal["over", "in", "out"]


@dataclass(frozen=True, slots=True)
class StepPlan:
    """Where a resumed thread should stop next.

    ``frame`` is the frame the step started in (``line`` its line); ``line`` 0 marks an ``in`` step that
    has left its frame for library or launcher code and now ends at the next user line anywhere. The
    frame is held strongly while the step runs (frames are
    not weak-referenceable and their ids get reused, sys-monitoring-facts §9) and dropped with the plan.

    * ``over``: the next line in ``frame`` itself. Other frames running the same code object (other
      threads, other asyncio tasks) never match: identity, not code, decides.
    * ``in``: the next line anywhere (the engine filters our own code and, with justMyCode, library code).
    * ``out``: no line of ``frame``; the engine ends the step when ``frame`` returns (in the caller,
      on the line of the call) or continues it in the caller when ``frame`` unwinds.

    ``target`` (an ``over`` step only): the offset of the CALL instruction a stepIn with a targetId
    chose (step_targets.py). When that call is about to run in ``frame`` the step becomes ``in``;
    until then, and when the line ends without it, the step is an ``over``.
    """

    kind: StepKind
    frame: FrameType
    line: int
    target: int | None = None

    def should_stop(self, frame: FrameType) -> bool:
        """Whether a LINE event in ``frame`` ends this step."""
        if self.kind == "in":
            return True
        if self.kind == "over":
            return frame is self.frame
        return False

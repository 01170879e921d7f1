"""Stepping as data: one small frozen StepPlan per thread, read by one ``should_stop`` (bdb's ``_set_stopinfo``)."""

from __future__ import annotations

from dataclasses import dataclass
from types import FrameType
from typing import Literal

StepKind = Literal["over", "in", "out"]


@dataclass(frozen=True, slots=True)
class StepPlan:
    """Where a resumed thread should stop next.

    ``frame`` is the frame the step started in; it is held strongly while the step runs (frames are
    not weak-referenceable and their ids get reused, sys-monitoring-facts §9) and dropped with the plan.

    * ``over``: the next line in ``frame`` itself. Other frames running the same code object (other
      threads, other asyncio tasks) never match: identity, not code, decides.
    * ``in``: the next line anywhere (the engine filters our own code and, with justMyCode, library code).
    * ``out``: no line of ``frame``; when ``frame`` returns, the plan becomes ``over`` its caller.
    """

    kind: StepKind
    frame: FrameType
    line: int

    def should_stop(self, frame: FrameType) -> bool:
        """Whether a LINE event in ``frame`` ends this step."""
        if self.kind == "in":
            return True
        if self.kind == "over":
            return frame is self.frame
        return False

    def after_return(self, frame: FrameType) -> StepPlan | None:
        """The plan that follows ``frame`` returning or unwinding: step over/out of the step's own
        frame continues as "over" in its caller (``in`` also stops in the caller, as pdb does)."""
        if frame is not self.frame:
            return self
        caller = frame.f_back
        if caller is None:
            return None
        return StepPlan("over", caller, caller.f_lineno or 0)

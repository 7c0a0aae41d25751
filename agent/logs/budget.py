"""How many raw bytes a run may keep: a budget for the whole run, a floor per step, a bound past the budget.

Once the run budget is spent, each further step still keeps up to `min_step_bytes` (the tail of a late
failed step must survive), but those floor-kept steps together stay under a quarter of the run budget:
the oldest are cut to their last `SPENT_TAIL_BYTES` (where a step says how it ended). A log of thousands
of steps thus keeps a bounded number of bytes, however long it is.
"""

from __future__ import annotations

from collections import deque

from agent.logs.model import Limits, Piece, Step

SPENT_TAIL_BYTES = 1024


class Budget:
    """Raw bytes the run may still keep."""

    def __init__(self, limits: Limits):
        self.limits, self.remaining = limits, limits.run_bytes
        self._floor_steps: deque[Step] = deque()
        self._floor_bytes = 0

    def step_cap(self) -> int:
        limits = self.limits
        return max(limits.min_step_bytes, min(limits.step_bytes, self.remaining))

    def settle(self, step: Step) -> None:
        """Account for a finished step; past the run budget, cut the oldest floor-kept steps to their tails."""
        if self.remaining > 0:
            return
        self._floor_steps.append(step)
        self._floor_bytes += kept_bytes(step)
        while self._floor_bytes > self.limits.run_bytes // 4 and len(self._floor_steps) > 1:
            oldest = self._floor_steps.popleft()
            before = kept_bytes(oldest)
            cut_to_tail(oldest, SPENT_TAIL_BYTES)
            self._floor_bytes -= before


def kept_bytes(step: Step) -> int:
    return sum(len(piece.data) for piece in step.pieces)


def cut_to_tail(step: Step, keep: int) -> None:
    """Keep only the last `keep` bytes (whole lines) of a step that was not decoded yet; the rest is truncated."""
    last = step.pieces[-1] if step.pieces else None
    total = kept_bytes(step)
    if last is None or total <= keep:
        return
    data = last.data[-keep:]
    data = data[data.find(b"\n") + 1:] if len(data) < len(last.data) else data
    skipped_lines = last.data.count(b"\n", 0, len(last.data) - len(data))
    step.pieces = [Piece(last.first_line + skipped_lines, data, total - len(data))]
    step.truncated_bytes += total - len(data)

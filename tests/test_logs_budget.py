"""A log of thousands of steps keeps a bounded number of bytes; the last steps stay whole."""

from __future__ import annotations

from agent.logs.budget import SPENT_TAIL_BYTES, kept_bytes
from agent.logs.model import Limits
from agent.logs.reader import read_log
from agent.logs.window import failure_window


def _many_steps(count: int) -> bytes:
    lines = []
    for step in range(count):
        lines += [f"##[group]Run make part{step}", "##[endgroup]"]
        lines += [f"compiling unit {step}.{n} of part {step} with the usual flags" for n in range(200)]
        lines += [f"part{step}.c:3:1: error: unit {step} failed", f"##[error]Process completed with exit code {step % 2}."]
    return ("\n".join(lines) + "\n").encode()


def test_past_the_run_budget_older_steps_shrink_to_their_tails_and_the_last_one_stays_whole():
    limits = Limits(run_bytes=64 << 10, min_step_bytes=8 << 10)
    data = _many_steps(400)
    run = read_log(data, limits=limits)
    kept = sum(kept_bytes(step) for step in run.steps)
    assert len(data) > 5 * kept
    assert kept <= limits.run_bytes + limits.run_bytes // 4 + len(run.steps) * SPENT_TAIL_BYTES
    assert run.truncated_bytes == len(data) - kept
    last = run.steps[-1]
    assert last.lines[0].text == "##[group]Run make part399" and last.truncated_bytes == 0
    window = failure_window(run)
    assert "part399.c:3:1: error: unit 399 failed" in window.root_cause_lines

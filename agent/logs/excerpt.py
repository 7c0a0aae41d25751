"""The excerpt: the root-cause lines with a little context and each failed step's tail, within a byte budget."""

from __future__ import annotations

from agent.logs.clean import clip, truncation_marker
from agent.logs.model import RunLog, Step

EXCERPT_LINE_CHARS = 600
TRIES = ((2, 20), (1, 8), (0, 3), (0, 0))
"""(context lines around a root-cause line, tail lines per step), tried until the excerpt fits."""


def _indexes(step: Step, causes: list[int], context: int, tail: int) -> list[int]:
    size = len(step.lines)
    wanted = {i for cause in causes for i in range(max(0, cause - context), min(size, cause + context + 1))}
    wanted.update(range(max(0, size - tail), size))
    return sorted(wanted)


def _render(step: Step, indexes: list[int]) -> list[str]:
    out = [f"== {step.job} / {step.name} =="]
    previous = -1
    for index in indexes:
        if previous >= 0 and index != previous + 1:
            out.append("…")
        out.append(clip(step.lines[index].text, EXCERPT_LINE_CHARS))
        previous = index
    return out


def _excerpt(steps: list[Step], causes: list[tuple[Step, int]], context: int, tail: int) -> str:
    blocks = []
    for step in steps:
        mine = [index for cause_step, index in causes if cause_step is step]
        blocks.extend(_render(step, _indexes(step, mine, context, tail)))
    return "\n".join(blocks)


def build_excerpt(run: RunLog, steps: list[Step], causes: list[tuple[Step, int]], budget: int) -> str:
    """Excerpt of `steps` (already redacted lines), at most `budget` bytes, noting any cut bytes."""
    text = ""
    for context, tail in TRIES:
        text = _excerpt(steps, causes, context, tail)
        if run.truncated_bytes and "[truncated " not in text:
            text = truncation_marker(run.truncated_bytes) + "\n" + text
        if len(text.encode("utf-8")) <= budget:
            return text
    half = budget // 2 - 8
    data = text.encode("utf-8")
    return data[:half].decode("utf-8", "ignore") + "\n…\n" + data[-half:].decode("utf-8", "ignore")

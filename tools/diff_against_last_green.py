"""diff_against_last_green: log lines of the failed steps that the last successful run never printed."""

from __future__ import annotations

from pydantic import Field

from agent.logs.model import RunLog
from agent.logs.reader import read_log
from agent.logs.signature import normalise_line
from tools.base import ToolContext, ToolInput
from tools.runcache import failure_of, find_steps, green_log, run_log

NAME = "diff_against_last_green"
WRITES = False
LINE_CHARS = 400
FRAMING = ("##[group]", "##[endgroup]", "##[section]")


class Input(ToolInput):
    job: str | None = Field(None, max_length=200, description="Only this job (name or part of it); default: the failed steps.")
    max_lines: int = Field(80, ge=1, le=300, description="How many new lines to return at most.")


def seen_lines(log: RunLog) -> set[str]:
    """Every normalised line of a run."""
    return {normalise_line(line.text) for step in log.steps for line in step.lines}


def is_framing(text: str) -> bool:
    stripped = text.strip()
    return not stripped or stripped.startswith(FRAMING)


def run(args: Input, ctx: ToolContext) -> dict:
    """Compare this failed run with the last successful run of the same workflow: return only the
    lines of the failed steps whose normalised form (timestamps, paths, numbers and hashes masked)
    never appeared in the green run — usually the error and what changed, at a fraction of the log.
    """
    found = green_log(ctx)
    if found is None:
        return {"last_green": None, "new_lines": [], "note": "no earlier successful run of this workflow on this branch "
                "or the default branch (or its log could not be fetched)"}
    green, known = found.run, seen_lines(read_log(found.data))
    steps = find_steps(run_log(ctx), args.job, None) if args.job else (failure_of(ctx).failed or run_log(ctx).steps)
    new, seen, total = [], set(), 0
    for step in steps:
        for line in step.lines:
            norm = normalise_line(line.text)
            total += 1
            if norm in known or norm in seen or is_framing(line.text):
                continue
            seen.add(norm)
            new.append(f"{step.job} / {step.name}: {line.text[:LINE_CHARS]}")
    return {"last_green": {"id": green["id"], "sha": str(green.get("head_sha") or "")[:10],
                           "jobs": found.jobs or "all"},
            "compared_lines": total, "new_count": len(new), "new_lines": first_and_last(new, args.max_lines)}


def first_and_last(lines: list[str], limit: int) -> list[str]:
    """All lines, or the first and last halves of `limit` with a marker for what was left out."""
    if len(lines) <= limit:
        return lines
    head = limit // 2
    return [*lines[:head], f"[{len(lines) - limit} new lines left out]", *lines[len(lines) - (limit - head):]]

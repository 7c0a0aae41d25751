"""read_log: lines of the run's log — one job/step, a line range, or a grep — redacted and capped."""

from __future__ import annotations

import re2
from pydantic import Field

from agent.logs.model import Line, Step
from tools.base import ToolContext, ToolInput
from tools.runcache import failure_of, find_steps, run_log

NAME = "read_log"
WRITES = False
MAX_LINES = 200
MAX_CHARS = 12_000
LINE_CHARS = 400
QUIET = re2.Options()
QUIET.log_errors = False
"""RE2 options that keep its C++ error log off the terminal: a bad pattern is one error line, from us."""


class Input(ToolInput):
    job: str | None = Field(None, max_length=200, description="Job name (or part of it); default: the failed job.")
    step: str | None = Field(None, max_length=200,
                             description="Step name (or part of it) or step number; default: the failed step.")
    grep: str | None = Field(None, max_length=200,
                             description="Only lines matching this RE2 regular expression (case-insensitive).")
    start: int = Field(1, ge=1, description="First line to show (1-based, within the step).")
    count: int = Field(120, ge=1, le=MAX_LINES, description="How many lines to show at most.")
    tail: bool = Field(False, description="Show the last `count` lines instead of starting at `start`.")


def chosen_steps(args: Input, ctx: ToolContext) -> list[Step]:
    """The steps asked for; with no job and step, the failed steps (or every step, for a grep)."""
    if args.job or args.step:
        return find_steps(run_log(ctx), args.job, args.step)
    if args.grep:
        return run_log(ctx).steps
    return failure_of(ctx).failed or run_log(ctx).steps[-1:]


def select(lines: list[Line], args: Input) -> tuple[list[tuple[int, str]], int]:
    """(number within the step, text) for the requested range or grep, and how many lines qualified."""
    numbered = list(enumerate((line.text for line in lines), start=1))
    if args.grep:
        pattern = re2.compile("(?i)" + args.grep, QUIET)
        numbered = [(n, text) for n, text in numbered if pattern.search(text)]
    if args.tail:
        return numbered[-args.count:], len(numbered)
    return [(n, text) for n, text in numbered if n >= args.start][:args.count], len(numbered)


def render(steps: list[Step], args: Input) -> str:
    """Each step's header and its selected lines, stopping at the line and character caps."""
    out, shown, size = [], 0, 0
    for step in steps:
        lines = step.lines
        rows, qualified = select(lines, args)
        out.append(f"== {step.job} / {step.number} {step.name} ({len(lines)} lines)")
        for number, text in rows:
            if shown >= args.count or size >= MAX_CHARS:
                out.append(f"[capped at {shown} lines / {MAX_CHARS} characters: narrow with job, step, start or grep]")
                return "\n".join(out)
            row = f"{number:>6}: {text[:LINE_CHARS]}"
            out.append(row)
            shown, size = shown + 1, size + len(row)
        if rows and len(rows) < qualified and not args.tail:
            out.append(f"[capped at {len(rows)} lines of {qualified}: continue with start={rows[-1][0] + 1}]")
    return "\n".join(out)


def run(args: Input, ctx: ToolContext) -> str:
    """Read the run's log. With no arguments: the failed step(s) from the top. Narrow with `job` and
    `step` (names or parts of names, or the step number), a line range (`start`, `count`), `tail`, or
    `grep` (RE2, case-insensitive; across every step unless job/step are given). Lines are numbered
    within their step, secrets are redacted, output is capped (about 200 lines / 12,000 characters).
    """
    if args.grep:
        try:
            re2.compile(args.grep, QUIET)
        except re2.error as error:
            raise ValueError(f"grep is not a valid RE2 expression: {error}") from None
    steps = chosen_steps(args, ctx)
    if not steps:
        names = sorted({f"{s.job} / {s.name}" for s in run_log(ctx).steps})
        raise LookupError("no step matches; steps are: " + "; ".join(names[:40]))
    return render(steps, args)

"""lookup_known_issue: the known-issue DB — by id, by a log line, or the entry the diagnosis matched."""

from __future__ import annotations

from typing import Any

import re2
from pydantic import Field

from agent.knowledge import KnownIssue, load_known_issues
from tools.base import ToolContext, ToolInput
from tools.runcache import remember

NAME = "lookup_known_issue"
WRITES = False
MAX_RESULTS = 5


class Input(ToolInput):
    id: str | None = Field(None, max_length=100, description="A known issue's id, e.g. glibc-node20-old-container.")
    line: str | None = Field(None, max_length=4000,
                             description="A log line to test against every known issue's patterns.")


def knowledge(ctx: ToolContext) -> Any:
    """ctx.kb, or the shipped known-issues.yaml."""
    if ctx.kb is None:
        ctx.kb = load_known_issues()
    return ctx.kb


def entry(issue: KnownIssue) -> dict[str, Any]:
    """What the model needs of an entry: category, confidence, fix, guide and the fixes known to be wrong."""
    return {"id": issue.id, "title": issue.title, "category": str(issue.category), "confidence": issue.confidence,
            "fix": issue.fix.model_dump() if issue.fix else None, "guide": issue.guide,
            "known_wrong_fixes": [w.model_dump() for w in issue.known_wrong_fixes], "notes": issue.notes}


def matching(ctx: ToolContext, line: str) -> list[KnownIssue]:
    """Entries with a pattern matching `line` and no not_pattern matching it."""
    compiled = remember(ctx, "kb_regexes", lambda: {p: re2.compile(p) for p in knowledge(ctx).patterns})
    hit = {pattern for pattern, regex in compiled.items() if regex.search(line)}
    return [issue for issue in knowledge(ctx).issues
            if hit.intersection(issue.patterns) and not hit.intersection(issue.not_patterns)]


def run(args: Input, ctx: ToolContext) -> dict:
    """Look up the known-issue database (calibrated confidence, fix template and parameters, guide,
    known wrong fixes). Give `id` for one entry, or `line` to find the entries whose patterns match a
    log line; with neither, returns the entry the diagnosis matched, if any. A fix proposed exactly as
    an entry lists it (template and parameters) keeps that entry's confidence; anything else is
    treated as your own composition.
    """
    if args.id:
        issue = knowledge(ctx).get(args.id)
        if issue is None:
            raise LookupError(f"no known issue {args.id!r}")
        return {"issues": [entry(issue)]}
    if args.line:
        return {"issues": [entry(issue) for issue in matching(ctx, args.line)[:MAX_RESULTS]]}
    known = ctx.diagnosis.known_issue if ctx.diagnosis else None
    issue = knowledge(ctx).get(known.id) if known else None
    return {"issues": [entry(issue)] if issue else [], "note": None if issue else "the diagnosis matched no known issue"}

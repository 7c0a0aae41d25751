"""propose_issue: stage an issue for a human (one per failure signature); nothing is written."""

from __future__ import annotations

from pydantic import Field

from agent.models import IssueDraft
from tools.base import ToolContext, ToolInput

NAME = "propose_issue"
WRITES = True


class Input(ToolInput):
    title: str = Field(min_length=1, max_length=200, description="A short title naming the failure.")
    body: str = Field(min_length=1, max_length=20_000,
                      description="Markdown: the root cause as far as the evidence goes, quoting the log lines, "
                                  "what was checked, and what a human should try.")


def run(args: Input, ctx: ToolContext) -> dict:
    """Stage an issue for engineers when no safe change is supported by the evidence (nothing is
    written to GitHub). The agent adds the root-cause lines, the redacted excerpt and its
    de-duplication marker itself; a repeat of the same failure becomes a comment, not a new issue.
    """
    ctx.plan.issue = IssueDraft(title=args.title, body=args.body)
    return {"staged": "issue", "title": args.title, "note": "staged only; the policy gate decides"}

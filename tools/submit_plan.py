"""submit_plan: close the plan draft and end the run; the gate takes it from here."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agent.models import Action
from tools.base import ToolContext, ToolInput

NAME = "submit_plan"
WRITES = False
"""Closing the draft stages nothing new, so read-only sessions can finish with an explanation too."""


class Input(ToolInput):
    rationale: str = Field(
        min_length=1, max_length=4000,
        description="Why this plan: the root cause in one or two sentences, quoting the log lines or "
                    "file lines it rests on.")
    recommended_action: Literal["auto_fix", "pull_request", "rerun", "escalate", "ignore"] = Field(
        description="What you advise; advice only, the policy gate decides.")


def run(args: Input, ctx: ToolContext) -> dict:
    """Submit the staged plan and end the run.

    Call this exactly once, after staging the remedy with the other tools (or staging nothing, when
    the evidence is not enough). Nothing can be staged afterwards. The plan goes to a deterministic
    policy gate that decides what, if anything, is carried out; your recommendation is advisory.
    """
    ctx.plan.rationale = args.rationale
    ctx.plan.recommended_action = Action(args.recommended_action)
    ctx.plan.submitted = True
    return {"submitted": True, "fixes": len(ctx.plan.fixes), "edits": len(ctx.plan.edits),
            "issue": ctx.plan.issue is not None, "rerun": ctx.plan.rerun}

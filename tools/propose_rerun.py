"""propose_rerun: stage one re-run of the failed jobs (transient failures); nothing is run yet."""

from __future__ import annotations

from pydantic import Field

from tools.base import ToolContext, ToolInput

NAME = "propose_rerun"
WRITES = True


class Input(ToolInput):
    reason: str = Field("", max_length=1000, description="Why the failure looks transient (quote the line).")


def run(args: Input, ctx: ToolContext) -> dict:
    """Stage a re-run of the run's failed jobs, for transient failures (network, runner lost). The
    gate allows one re-run per run; nothing happens until it decides.
    """
    ctx.plan.rerun = True
    return {"staged": "rerun", "note": "staged only; the policy gate decides"}

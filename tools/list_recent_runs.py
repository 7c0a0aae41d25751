"""list_recent_runs: the workflow's recent history — the last green run and the current failure streak."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tools.base import ToolContext, ToolInput
from tools.runcache import remember, run_of

NAME = "list_recent_runs"
WRITES = False
FAILED = frozenset({"failure", "timed_out", "startup_failure"})


class Input(ToolInput):
    limit: int = Field(10, ge=1, le=30, description="How many recent runs of this workflow to list.")
    same_branch: bool = Field(False, description="Only runs on the failed run's branch.")


def workflow_runs(ctx: ToolContext, same_branch: bool = False) -> list[dict[str, Any]]:
    """Completed runs of the session run's workflow, newest first (optionally on its branch only)."""
    current = run_of(ctx)
    branch = current.get("head_branch") if same_branch else None
    runs = remember(ctx, ("runs", branch), lambda: ctx.gh.list_runs(ctx.repo, branch=branch))
    return [r for r in runs if r.get("path") == current.get("path") and r.get("status") == "completed"]


def last_green(ctx: ToolContext) -> dict[str, Any] | None:
    """The newest successful run of the workflow older than the session's run (same branch first)."""
    for same_branch in (True, False):
        older = [r for r in workflow_runs(ctx, same_branch) if int(r["id"]) < int(ctx.run_id)]
        green = next((r for r in older if r.get("conclusion") == "success"), None)
        if green is not None:
            return green
    return None


def failure_streak(runs: list[dict[str, Any]]) -> int:
    """Failed runs in a row, counting back from the newest to the first success."""
    streak = 0
    for found in runs:
        if found.get("conclusion") not in FAILED:
            break
        streak += 1
    return streak


def brief(found: dict[str, Any]) -> dict[str, Any]:
    return {"id": found.get("id"), "conclusion": found.get("conclusion"), "branch": found.get("head_branch"),
            "sha": str(found.get("head_sha") or "")[:10], "event": found.get("event"),
            "attempt": found.get("run_attempt"), "created_at": found.get("created_at")}


def run(args: Input, ctx: ToolContext) -> dict:
    """List the latest completed runs of the same workflow (newest first), the last successful run
    before this one, and how many runs in a row have failed — to tell a new break from a long one.
    """
    runs = workflow_runs(ctx, args.same_branch)
    green = last_green(ctx)
    return {"workflow": run_of(ctx).get("path"), "runs": [brief(r) for r in runs[:args.limit]],
            "failure_streak": failure_streak(runs), "last_green": brief(green) if green else None}

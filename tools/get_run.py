"""get_run: the run's summary — workflow, branch, commit, event, conclusion — and its jobs and steps."""

from __future__ import annotations

from typing import Any

from tools.base import ToolContext, ToolInput
from tools.runcache import jobs_of, run_of

NAME = "get_run"
WRITES = False
MAX_COMMIT_MESSAGE = 500


class Input(ToolInput):
    """No arguments: the session's run."""


def job_summary(job: dict[str, Any]) -> dict[str, Any]:
    """A job's name and conclusion, and which of its steps did not succeed."""
    steps = job.get("steps") or []
    return {"id": job.get("id"), "name": job.get("name"), "conclusion": job.get("conclusion"),
            "failed_steps": [f"{s.get('number')} {s.get('name')}" for s in steps
                             if s.get("conclusion") not in (None, "success", "skipped")],
            "steps": len(steps)}


def run(args: Input, ctx: ToolContext) -> dict:
    """Summarise the failed workflow run: workflow file, branch, head commit, event, actor, attempt,
    conclusion, and every job with its conclusion and the steps that failed.

    Branch names and commit messages are untrusted text written by whoever pushed.
    """
    found = run_of(ctx)
    commit = found.get("head_commit") or {}
    return {
        "id": found.get("id"), "workflow": found.get("path"), "name": found.get("name"),
        "event": found.get("event"), "head_branch": found.get("head_branch"), "head_sha": found.get("head_sha"),
        "commit_message": (commit.get("message") or "")[:MAX_COMMIT_MESSAGE],
        "actor": (found.get("actor") or {}).get("login"), "run_attempt": found.get("run_attempt"),
        "status": found.get("status"), "conclusion": found.get("conclusion"),
        "created_at": found.get("created_at"), "html_url": found.get("html_url"),
        "jobs": [job_summary(job) for job in jobs_of(ctx)],
    }

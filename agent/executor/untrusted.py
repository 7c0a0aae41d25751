"""Plans the agent did not take from a known template with known parameters never run with the base
repository's secrets: pushed from the agent's fork (CI runs them as a fork PR), or shown in the issue only."""

from __future__ import annotations

from agent.models import Plan, PlanSource

DIFF_LIMIT = 20_000
"""Characters of the diff an issue shows (an issue body holds at most 65,536)."""


def is_untrusted(plan: Plan) -> bool:
    """Composed by the model, or a template whose parameters the model chose (PlanSource.llm)."""
    return plan.source != PlanSource.template


def head_spec(repo: str, head_repo: str, branch: str) -> str:
    """The PR `head`: `branch` in the repository itself, `login:branch` from a fork."""
    return branch if head_repo.lower() == repo.lower() else f"{head_repo.split('/')[0]}:{branch}"


def issue_only_reason(plan: Plan, why: str) -> str:
    """The escalation text of an untrusted plan under `untrusted_plans: issue_only`: its diff, pushed nowhere."""
    diff = plan.diff or "\n".join(f"--- {edit.path}\n+++ {edit.path}\n{edit.new}" for edit in plan.edits)
    cut = f"\n… ({len(diff) - DIFF_LIMIT} more characters)" if len(diff) > DIFF_LIMIT else ""
    return (f"{why}\n\nThe model proposed this change; policy `untrusted_plans: issue_only` shows it here and "
            f"pushes it nowhere (no branch, no CI run). Apply it by hand if it is right:\n\n"
            f"```diff\n{diff[:DIFF_LIMIT].replace('```', '` ` `')}{cut}\n```")

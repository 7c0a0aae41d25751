"""After the fact: rollback plans for auto-merged fixes that did not hold, and PR outcomes seen on GitHub."""

from __future__ import annotations

from typing import Any

from agent.executor.fixflow import REVERT_TEMPLATE
from agent.models import Action, Edit, FixSpec, Plan
from agent.planner import plan_id
from tools.fixes.base import unified_diff

FINAL_OUTCOMES = ("merged", "closed_unmerged", "reverted")


def merged_fix(store: Any, repo: str, signature: str, workflow: str | None) -> Plan | None:
    """The newest auto-merged fix of `signature` (from `workflow`) that is not reverted yet, or None."""
    for row in reversed(store.actions(kind="merge", repo=repo, signature=signature, status="done")):
        detail = row.get("detail") or {}
        plan = store.get_plan(row["plan_id"]) if row.get("plan_id") else None
        if plan is None or detail.get("revert") or (plan.fix and plan.fix.template == REVERT_TEMPLATE):
            continue
        if workflow and detail.get("workflow") not in (None, workflow):
            continue
        if store.outcomes(plan_id=plan.id, outcome="reverted"):
            return None
        return plan
    return None


def revert_plan(original: Plan, current: dict[str, str | None], run: dict[str, Any]) -> Plan | None:
    """A plan restoring the files the fix changed; None when they changed since (a human must revert)."""
    edits = []
    for edit in original.edits:
        if edit.old is None or current.get(edit.path) != edit.new:
            return None
        edits.append(Edit(path=edit.path, old=edit.new, new=edit.old))
    attempt = int(run.get("run_attempt") or 1)
    fix = FixSpec(template=REVERT_TEMPLATE, params={"plan": original.id})
    why = (f"revert of the auto-fix {original.id} ({original.fix.template if original.fix else 'fix'}): "
           f"{run.get('path')} failed again on the default branch with the same signature {original.signature}")
    return Plan(id=plan_id(original.repo, int(run["id"]), attempt, original.signature, fix), repo=original.repo,
                run_id=int(run["id"]), run_attempt=attempt, signature=original.signature,
                category=original.category, action=Action.auto_fix, confidence=original.confidence,
                source=original.source, known_issue_id=original.known_issue_id, fix=fix, edits=edits,
                diff=unified_diff(edits), rationale=why, issue=original.issue)


def sync_pull_outcomes(gh: Any, store: Any, repo: str) -> list[str]:
    """Record what humans did to the agent's open PRs (merged, closed unmerged); → plan ids updated."""
    updated = []
    for row in store.actions(kind="pull_request", repo=repo, status="done"):
        plan = row.get("plan_id")
        if not plan or not row.get("ref") or any(store.outcomes(plan_id=plan, outcome=o) for o in FINAL_OUTCOMES):
            continue
        pull = gh.request("GET", f"/repos/{repo}/pulls/{int(row['ref'])}")[2] or {}
        if pull.get("state") != "closed":
            continue
        store.record_outcome(plan, "merged" if pull.get("merged") else "closed_unmerged")
        updated.append(plan)
    return updated


def open_pull_for_fix(gh: Any, store: Any, plan: Plan, fix_key: str) -> dict[str, Any] | None:
    """An open agent PR from another plan with the same fix key (a second run must not duplicate it)."""
    for row in store.actions(kind="pull_request", repo=plan.repo, signature=plan.signature, status="done"):
        other = store.plan_row(row["plan_id"]) if row.get("plan_id") and row["plan_id"] != plan.id else None
        if other is None or other.get("fix_key") != fix_key or not row.get("ref"):
            continue
        pull = gh.request("GET", f"/repos/{plan.repo}/pulls/{int(row['ref'])}")[2] or {}
        if pull.get("state") == "open":
            return pull
    return None

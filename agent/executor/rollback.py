"""After the fact: rollback plans for auto-merged fixes that did not hold, and PR outcomes seen on GitHub."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from agent.executor.fixflow import REVERT_TEMPLATE
from agent.models import Action, Edit, FixSpec, Plan
from agent.planner import plan_id
from agent.store.connection import as_utc
from tools.fixes.base import unified_diff

FINAL_OUTCOMES = ("merged", "closed_unmerged", "reverted")
HISTORY_LIMIT = 500
"""Commits read back from a run's head when looking for the fix's merge commit."""


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


def merge_row(store: Any, plan: Plan) -> dict[str, Any] | None:
    """The done merge action of `plan` (its merge commit sha and when it merged), or None."""
    rows = store.actions(kind="merge", repo=plan.repo, plan_id=plan.id, status="done")
    return rows[-1] if rows else None


def started_at(run: dict[str, Any]) -> datetime | None:
    """When the run started (run_started_at, else created_at), UTC; None when GitHub did not say."""
    stamp = run.get("run_started_at") or run.get("created_at")
    try:
        return as_utc(str(stamp).replace("Z", "+00:00")) if stamp else None
    except ValueError:
        return None


def head_contains(gh: Any, repo: str, head: str, sha: str, since: datetime) -> bool:
    """True when commit `sha` is `head` or one of its ancestors (history read back to `since`)."""
    if head == sha:
        return True
    params = {"sha": head, "since": since.isoformat().replace("+00:00", "Z")}
    commits = gh._paginate(f"/repos/{repo}/commits", params, limit=HISTORY_LIMIT)
    return any(commit.get("sha") == sha for commit in commits)


def failed_after_fix(gh: Any, store: Any, run: dict[str, Any], original: Plan) -> str | None:
    """Why `run` is no evidence that the merged fix `original` did not hold; None when it is evidence:
    another run than the one that led to the fix, started after the merge, on a head holding the fix."""
    merge = merge_row(store, original)
    sha = (merge or {}).get("ref") or ((merge or {}).get("detail") or {}).get("merge_sha")
    if merge is None or not sha:
        return "no merge commit recorded for the fix"
    if int(run["id"]) == int(original.run_id or 0):
        return "the run that led to the fix"
    merged_at, started = as_utc(merge["updated_at"]).replace(microsecond=0), started_at(run)
    if started is None or started < merged_at:
        return "the run started before the fix merged"
    if not run.get("head_sha") or not head_contains(gh, original.repo, run["head_sha"], sha,
                                                    merged_at - timedelta(days=1)):
        return "the run's head does not contain the merged fix"
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

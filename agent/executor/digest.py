"""The week on the repository's one dashboard issue (Renovate's Dependency Dashboard style): auto-fixes,
reverts, escalations and plans waiting for a human, each plan with a checkbox.

Ticking a waiting plan approves it: the gate is asked again with the approval, which lifts only a
"pull request for a human" cap (never a refusal, a limit, the kill switch or a pause), and the fix is then
verified by CI and merged like any auto-fix. Unticking a merged fix opens its revert, under the same gate.
Only people with write access can edit the agent's issue, so a changed box is a maintainer's decision.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from agent.drafts import clean
from agent.models import Action

DIGEST_DAYS = 7
APPROVE, KEEP = "approve", "keep"
BOX = re.compile(r"^- \[(?P<mark>[ xX])\] <!-- devops-agent:(?P<kind>approve|keep)=(?P<plan>[0-9A-Za-z_-]{6,64}) -->",
                 re.MULTILINE)
WAITING_OUTCOMES = frozenset({"merged", "closed_unmerged", "ci_failed", "reverted"})
APPROVER = "digest checkbox"


def _url(store: Any, plan_id: str, kind: str = "pull_request") -> str:
    rows = store.rows("SELECT detail FROM actions WHERE plan_id = ? AND kind = ? AND status = 'done' ORDER BY id",
                      (plan_id, kind))
    return next(((row.get("detail") or {}).get("url") for row in reversed(rows) if (row.get("detail") or {}).get("url")),
                "")


def week_items(store: Any, repo: str, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """The last DIGEST_DAYS of the repository: merged fixes, reverts, escalations and waiting plans."""
    since, low = (now - timedelta(days=DIGEST_DAYS)).isoformat(), repo.lower()
    plans = {row["id"]: row for row in store.rows(
        "SELECT id, action, template, known_issue_id, signature FROM plans WHERE lower(repo) = ?", (low,))}
    outcomes = store.rows("SELECT plan_id, outcome, at FROM outcomes WHERE lower(repo) = ? ORDER BY id", (low,))
    ended = {row["plan_id"] for row in outcomes if row["outcome"] in WAITING_OUTCOMES}

    def item(plan_id: str, at: str = "") -> dict[str, Any]:
        plan = plans.get(plan_id) or {}
        return {"plan": plan_id, "what": plan.get("known_issue_id") or plan.get("signature") or plan_id,
                "template": plan.get("template") or "", "url": _url(store, plan_id), "at": at}

    opened = store.rows("SELECT plan_id, created_at FROM actions WHERE lower(repo) = ? AND kind = 'pull_request' "
                        "AND status = 'done' ORDER BY id", (low,))
    quarantined = [{"what": f"{test} ({framework})", "until": record.get("until"), "issue": record.get("issue")}
                   for (framework, test), record in (store.quarantine_records(repo).items()
                                                     if hasattr(store, "quarantine_records") else [])
                   if not record.get("released")]
    return {
        "quarantined": quarantined,
        "merged": [item(r["plan_id"], r["at"]) for r in outcomes if r["outcome"] == "merged" and r["at"] >= since
                   and r["plan_id"] in plans and not str(plans[r["plan_id"]].get("template")).startswith("revert")],
        "reverted": [item(r["plan_id"], r["at"]) for r in outcomes if r["outcome"] == "reverted" and r["at"] >= since],
        "escalated": [{"url": (row.get("detail") or {}).get("url") or "", "what": row.get("signature") or "",
                       "at": row["created_at"]} for row in store.rows(
            "SELECT signature, detail, created_at FROM actions WHERE lower(repo) = ? AND kind = 'issue' "
            "AND status = 'done' AND created_at >= ? ORDER BY id", (low, since))],
        "waiting": [item(r["plan_id"], r["created_at"]) for r in opened
                    if r["plan_id"] in plans and r["plan_id"] not in ended],
    }


def _line(entry: dict[str, Any], extra: str = "") -> str:
    link = f" ({entry['url']})" if entry.get("url") else ""
    how = f" with `{clean(entry['template'])}`" if entry.get("template") else ""
    return f"{clean(str(entry['what']))}{how}{link}{extra}"


def render_digest(items: dict[str, list[dict[str, Any]]]) -> str:
    """The digest sections as Markdown; waiting plans unticked, merged fixes ticked."""
    lines = [f"### Waiting for a human ({len(items['waiting'])})",
             "Tick a box to approve: the gate decides again, then CI must pass before the merge."]
    lines += [f"- [ ] <!-- devops-agent:{APPROVE}={e['plan']} --> {_line(e)}" for e in items["waiting"]] or ["_none_"]
    lines += ["", f"### Auto-fixes merged this week ({len(items['merged'])})",
              "Untick a box to have the agent open a revert pull request."]
    lines += [f"- [x] <!-- devops-agent:{KEEP}={e['plan']} --> {_line(e, ', merged ' + e['at'][:10])}"
              for e in items["merged"]] or ["_none_"]
    lines += ["", f"### Reverted this week ({len(items['reverted'])})"]
    lines += [f"- {_line(e)}" for e in items["reverted"]] or ["_none_"]
    quarantined = items.get("quarantined") or []
    lines += ["", f"### Quarantined tests ({len(quarantined)})"]
    lines += [f"- `{clean(q['what'])}` until {q['until']} (issue #{q['issue']})" for q in quarantined] or ["_none_"]
    lines += ["", f"### Escalated this week ({len(items['escalated'])})"]
    lines += [f"- `{clean(e['what'])}` {e['url']}".rstrip() for e in items["escalated"]] or ["_none_"]
    return "\n".join(lines)


def boxes(body: str) -> dict[tuple[str, str], bool]:
    """(kind, plan id) → ticked, for every checkbox the agent rendered in the issue body."""
    return {(m["kind"], m["plan"]): m["mark"] != " " for m in BOX.finditer(body or "")}


def decisions_in(body: str) -> list[tuple[str, str]]:
    """The boxes a human changed: approvals of waiting plans and vetoes of merged fixes."""
    return [(kind, plan) for (kind, plan), ticked in boxes(body).items()
            if (kind == APPROVE and ticked) or (kind == KEEP and not ticked)]


def approve(pipeline: Any, repo: str, plan_id: str) -> Any:
    """Carry out a waiting plan as an auto-fix if the gate, asked again with the approval, allows it."""
    from agent.gate_context import approval_key, gate_context

    plan = pipeline.store.get_plan(plan_id)
    if plan is None or plan.repo.lower() != repo.lower() or not plan.edits:
        return None
    run = {**pipeline.gh.get_run(repo, plan.run_id), "run_attempt": plan.run_attempt}
    proposal = plan.model_copy(update={"action": Action.auto_fix})
    pipeline.store.set_kv(approval_key(plan.id), APPROVER)
    proposal, decision = pipeline.decide(repo, run, proposal, gate_context(pipeline, repo, run, proposal))
    pipeline.store.save_decision(proposal.id, decision, pipeline.policy.version)
    return pipeline.executor.execute(proposal, decision, run, pipeline.store.get_diagnosis(
        repo, plan.run_id, plan.run_attempt))


def veto(pipeline: Any, repo: str, plan_id: str) -> Any:
    """Open the revert of a merged fix a human unticked (None when its files changed since: a human reverts)."""
    from agent.revert import carry_out_revert, revert_for

    original = pipeline.store.get_plan(plan_id)
    if original is None or original.repo.lower() != repo.lower():
        return None
    run = {**pipeline.gh.get_run(repo, original.run_id), "run_attempt": original.run_attempt}
    plan = revert_for(pipeline, repo, original, run)
    if plan is None:
        return None
    plan = plan.model_copy(update={"rationale": f"revert of {original.id}: a maintainer unticked it on the "
                                                f"devops-agent dashboard"})
    return carry_out_revert(pipeline, repo, run, original, plan)

"""Every write re-asks the gate: pause, kill switch, limits and the plan's validity are read again, with a fresh
GateContext, immediately before each branch, commit, PR, label, merge, issue, comment and re-run."""

from __future__ import annotations

from typing import Any

from agent.executor.journal import Stop
from agent.gate_context import gate_context
from agent.models import ACTION_RANK, Action, Plan
from agent.policy import Allow, Deny, Downgrade, decide
from agent.policy.limits import Usage

FILE_WRITES = frozenset({"branch", "commit", "pull_request", "merge"})
"""Writes that carry the plan's edits; anything else (labels, comments, issues) is a notice."""


def notice_probe(plan: Plan) -> Plan:
    """The plan as an issue-only write: the gate's stop rules (kill switch, pause, dry run, ignore) apply."""
    return plan.model_copy(update={"action": Action.escalate, "edits": [], "fix": None, "diff": ""})


def without_own(usage: Usage | None, store: Any, plan: Plan) -> Usage | None:
    """The counters less what this plan itself already did (its PR, merge, re-run count once, at decision)."""
    if usage is None:
        return None
    own = [row for row in store.actions(repo=plan.repo, plan_id=plan.id) if row["status"] != "failed"]
    prs = sum(1 for row in own if row["kind"] == "pull_request")
    reruns = sum(1 for row in own if row["kind"] == "rerun")
    merged = any(row["kind"] == "merge" for row in own)
    auto = 1 if merged or (prs and plan.action == Action.auto_fix) else 0
    less = {"attempts_for_signature": prs, "prs_last_hour": prs, "open_agent_prs": prs,
            "auto_fixes_today": auto, "reruns_for_run": reruns}
    return usage.model_copy(update={name: max(0, getattr(usage, name) - count) for name, count in less.items()})


def origin_of(store: Any, plan: Plan) -> dict[str, Any] | None:
    """For a revert, the run of the fix it undoes (the rollback acts on that run's behalf)."""
    original_id = (plan.fix.params.get("plan") if plan.fix else None) if plan.fix and plan.fix.template == "revert" \
        else None
    original = store.get_plan(original_id) if original_id else None
    return store.get_run(plan.repo, original.run_id, original.run_attempt) if original is not None else None


def ask(ex: Any, plan: Plan, run: dict[str, Any], write: str, action: Action) -> tuple[Action, bool]:
    """The gate's answer now for `write` at `action`: (action allowed, needs_human); a refusal is a Stop."""
    probe = plan.model_copy(update={"action": action}) if write in FILE_WRITES else notice_probe(plan)
    ctx = gate_context(ex, plan.repo, run, probe, origin_of(ex.store, plan))
    ctx.usage = without_own(ctx.usage, ex.store, plan)
    decision = decide(probe, ctx)
    if isinstance(decision, Deny):
        raise Stop("denied", f"refused before the {write}: {decision.rule}: {decision.reason}")
    if isinstance(decision, Allow):
        return decision.action, False
    assert isinstance(decision, Downgrade)
    if ACTION_RANK[decision.to] < ACTION_RANK[probe.action]:
        if write in FILE_WRITES and decision.to not in (Action.auto_fix, Action.pull_request):
            raise Stop("denied", f"refused before the {write}: {decision.rule}: {decision.reason}")
        if write not in FILE_WRITES and decision.to == Action.ignore:
            raise Stop("denied", f"refused before the {write}: {decision.rule}: {decision.reason}")
    return decision.to, decision.needs_human

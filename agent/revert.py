"""Reverting an agent fix that did not hold (the same failure back on the default branch) or that a maintainer
vetoed on the dashboard issue: one flow, under the same gate as every other write."""

from __future__ import annotations

from typing import Any

from agent.executor.rollback import revert_plan
from agent.gate_context import gate_context
from agent.models import Plan


def revert_for(pipe: Any, full_name: str, original: Plan, run: dict[str, Any]) -> Plan | None:
    """The plan restoring what `original` changed, read against the default branch now (None: changed since)."""
    default = pipe.gh.repo_info(full_name)["default_branch"]
    current = {e.path: (pipe.gh.get_file(full_name, e.path, default) or (None,))[0] for e in original.edits}
    return revert_plan(original, current, run)


def carry_out_revert(pipe: Any, full_name: str, run: dict[str, Any], original: Plan, plan: Plan,
                     diagnosis: Any = None, origin: dict[str, Any] | None = None) -> Any:
    """Decide, record and execute `plan` (a revert, or its escalation); the fix's outcome becomes `reverted`
    once the revert PR is open. → the pipeline's HandleResult."""
    from agent.pipeline import HandleResult

    plan, decision = pipe.decide(full_name, run, plan, gate_context(pipe, full_name, run, plan, origin))
    pipe.store.save_plan(plan)
    pipe.store.save_decision(plan.id, decision, pipe.policy.version)
    outcome = pipe.executor.execute(plan, decision, run, diagnosis)
    revert_opened = bool(pipe.store.actions(kind="pull_request", plan_id=plan.id, status="done"))
    if revert_opened and not pipe.store.outcomes(plan_id=original.id, outcome="reverted"):
        pipe.store.record_outcome(original.id, "reverted")
    return HandleResult(diagnosis, plan, decision, outcome.actions, outcome.status, outcome.urls, outcome.reason)

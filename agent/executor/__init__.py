"""Carries out an ALLOWED plan against GitHub: idempotent, resumable, every write journalled first."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from agent.drafts import clean
from agent.executor.escalate import Escalation, Rerun, codeowners_for, post_slack
from agent.executor.fixflow import REVERT_TEMPLATE, FixFlow
from agent.executor.journal import ExecResult, Journal
from agent.executor.recheck import ask
from agent.executor.untrusted import is_untrusted, issue_only_reason
from agent.models import ACTION_RANK, Action, Plan
from agent.policy import Allow, Decision, Deny, Downgrade, summary
from agent.policy.schema import Policy

WRITES = frozenset({Action.auto_fix, Action.pull_request})


def effective_action(plan: Plan, decision: Decision) -> tuple[Action | None, bool]:
    """The action the decision lets the executor take (None: nothing), and whether a human must decide."""
    if isinstance(decision, Allow) and decision.action == plan.action:
        return plan.action, False
    if isinstance(decision, Downgrade) and ACTION_RANK[decision.to] <= ACTION_RANK[plan.action]:
        return decision.to, decision.needs_human
    return None, False


class Executor:
    """`Executor(gh, store, policy).execute(plan, decision, run)` → ExecResult; refuses anything denied."""

    def __init__(self, gh: Any, store: Any, policy: Policy, kb: Any = None, verify_timeout: float = 1800.0,
                 poll_interval: float = 10.0, clock: Callable[[], datetime] | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.gh, self.store, self.policy, self.kb = gh, store, policy, kb
        self.verify_timeout, self.poll_interval = verify_timeout, poll_interval
        self.clock, self.sleep = clock, sleep

    def now(self) -> datetime:
        return self.clock() if self.clock else datetime.now(UTC)

    def execute(self, plan: Plan, decision: Decision, run: dict[str, Any], diagnosis: Any = None) -> ExecResult:
        """Do what the decision allows for `plan`; a Deny (dry run, kill switch, limits…) writes nothing."""
        if isinstance(decision, Deny):
            return ExecResult("denied", reason=f"{decision.rule}: {decision.reason}")
        action, needs_human = effective_action(plan, decision)
        if action is None:
            return ExecResult("denied", reason=f"decision {summary(decision)} does not fit plan {plan.action}")
        if action == Action.ignore:
            return ExecResult("ignored", reason=summary(decision))
        if action in WRITES and not plan.edits:
            return ExecResult("denied", reason="a write plan without edits")
        if action in WRITES and is_untrusted(plan) and self.policy.untrusted_plans == "issue_only":
            return Escalation(self, plan, run, issue_only_reason(plan, summary(decision))).run_flow()
        if action in WRITES:
            diagnosis = diagnosis or self.store.get_diagnosis(plan.repo, plan.run_id, plan.run_attempt)
            return FixFlow(self, plan, run, action, needs_human, summary(decision), diagnosis).run_flow()
        if action == Action.rerun:
            return Rerun(self, plan, run).run_flow()
        reason = plan.rationale if isinstance(decision, Allow) else f"{plan.rationale}; {summary(decision)}"
        return Escalation(self, plan, run, reason).run_flow()

    def comment_once(self, journal: Journal, number: int, body: str, key: str | None = None,
                     run: dict[str, Any] | None = None) -> None:
        """Comment on an issue or PR once per `key` (default the body), across restarts; the gate is asked
        again right before (with the run's context: `run`)."""
        key = key or body
        for row in self.store.actions(kind="comment", repo=journal.plan.repo, ref=str(number)):
            if (row.get("detail") or {}).get("key") == key and row["status"] == "done":
                return
        pending = next((r for r in self.store.actions(kind="comment", repo=journal.plan.repo, plan_id=journal.plan.id)
                        if r["status"] == "intent" and (r.get("detail") or {}).get("key") == key), None)
        if pending is not None and self.comment_exists(journal.plan.repo, number, key):
            journal.done(pending, str(number))
            return
        ask(self, journal.plan, run or {}, "comment", Action.escalate)
        row = journal.intent("comment", pending, key=key)
        self.gh.comment_issue(journal.plan.repo, number, clean(body))
        journal.done(row, str(number))

    def comment_exists(self, repo: str, number: int, key: str) -> bool:
        comments = self.gh.request("GET", f"/repos/{repo}/issues/{number}/comments", {"per_page": 100})[2]
        return any(key in (c.get("body") or "") for c in comments or [])


__all__ = ["REVERT_TEMPLATE", "ExecResult", "Executor", "codeowners_for", "effective_action", "post_slack"]

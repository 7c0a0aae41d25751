"""One failed run end to end: claim → logs → triage → plan → gate → executor (CONTRACTS "Pipeline")."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from agent.executor import ExecResult, Executor, effective_action
from agent.executor.dashboard import Dashboard
from agent.executor.rollback import (
    failed_after_fix,
    merged_fix,
    open_pull_for_fix,
    sync_pull_outcomes,
)
from agent.flaky.handle import judge_tests, release_on_green
from agent.gate_context import FAILING, gate_context, resolve_association, run_fields
from agent.github.lastgreen import last_green_log
from agent.knowledge import load_known_issues
from agent.knowledge.learning import effective_confidence
from agent.models import Action, Diagnosis, Plan
from agent.planner import build_plan, is_analysis_only, plan_id, template_files
from agent.policy import Deny, decide, decision_from_dict, fix_key
from agent.policy.schema import Policy
from agent.rag.repo_guides import add_to_index, guides_at
from agent.revert import carry_out_revert, revert_for
from agent.store.queue import DAEMON_OWNER
from agent.triage import propose_action, triage

ESCALATE_ON_DENY = frozenset({"closed_fix_key", "path.refused", "path.no_edits", "rate_limit.reruns_per_run",
                              "content.forbidden"})
"""Refusals after which the failure still deserves its one issue (nothing else is written)."""


@dataclass
class HandleResult:
    """What handling one run came to (CONTRACTS "Pipeline")."""

    diagnosis: Diagnosis | None
    plan: Plan | None
    decision: Any
    actions: list[dict[str, Any]] = field(default_factory=list)
    status: str = "ignored"
    urls: list[str] = field(default_factory=list)
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary for `--json` and the daemon's log."""
        decision = self.decision.to_dict() if hasattr(self.decision, "to_dict") else self.decision
        return {"status": self.status, "reason": self.reason, "urls": self.urls, "actions": self.actions,
                "plan": self.plan.model_dump(mode="json", exclude={"edits"}) if self.plan else None,
                "decision": decision,
                "diagnosis": self.diagnosis.model_dump(mode="json") if self.diagnosis else None}


def escalation_of(plan: Plan, reason: str) -> Plan:
    """The same failure as an issue only (no edits), e.g. after the gate refused the fix."""
    return plan.model_copy(update={
        "id": plan_id(plan.repo, plan.run_id, plan.run_attempt, plan.signature, None), "action": Action.escalate,
        "fix": None, "edits": [], "diff": "", "rationale": reason})


class Pipeline:
    """`Pipeline(gh, store, policy, kb=None, model=None, index=None, clock=None).handle_run(repo, run_id)`."""

    def __init__(self, gh: Any, store: Any, policy: Policy, kb: Any = None, model: Any = None, index: Any = None,
                 clock: Callable[[], datetime] | None = None, verify_timeout: float = 1800.0,
                 poll_interval: float = 10.0, dashboard: bool = False):
        self.gh, self.store, self.policy = gh, store, policy
        self.kb = kb if kb is not None else load_known_issues()
        self.model, self.index, self.clock = model, index, clock
        self.llm_limits = None
        """Bounds of the Claude loop (None: agent.llm.limits defaults)."""
        self.executor = Executor(gh, store, policy, self.kb, verify_timeout, poll_interval, clock)
        self.dashboard = Dashboard(self) if dashboard else None
        """Lists runs a rate limit holds back on the repo's one dashboard issue (fault #32); None: off."""
        self.job_owner = DAEMON_OWNER
        """Who owns the runs this pipeline queues: a daemon, or one `agent fix` process (which settles them)."""

    def now(self) -> datetime:
        return self.clock() if self.clock else datetime.now(UTC)

    def with_policy(self, policy: Policy) -> Pipeline:
        """The same pipeline deciding by `policy` (a repository's narrowed one); self when it is the same."""
        if policy == self.policy:
            return self
        clone = copy.copy(self)
        clone.policy, clone.executor = policy, copy.copy(self.executor)
        clone.executor.policy = policy
        clone.dashboard = Dashboard(clone) if self.dashboard else None
        return clone

    def handle_run(self, full_name: str, run_id: int, run_attempt: int | None = None) -> HandleResult:
        """Logs → triage → plan → gate → executor for one failed run attempt; a finished run is not redone."""
        run = self.gh.get_run(full_name, run_id)
        if run_attempt and int(run_attempt) != int(run.get("run_attempt") or 1):
            run = self.gh.request("GET", f"/repos/{full_name}/actions/runs/{int(run_id)}/attempts/{int(run_attempt)}")[2]
        attempt = int(run_attempt or run.get("run_attempt") or 1)
        run = {**run, "run_attempt": attempt}
        self.store.claim_run(full_name, run_id, attempt, owner=self.job_owner,
                             **{**run_fields(run), "association": resolve_association(self, full_name, run)})
        done = self.store.get_kv(self.result_key(full_name, run_id, attempt))
        if done:
            return self.stored_result(full_name, run_id, attempt, done)
        if run.get("conclusion") not in FAILING:
            ignored = HandleResult(None, None, None, status="ignored", reason=f"conclusion {run.get('conclusion')}")
            return self.finish(full_name, run, ignored) if run.get("status") == "completed" else ignored
        diagnosis = self.diagnose(full_name, run)
        diagnosis, quarantined = judge_tests(self, full_name, run, diagnosis)
        if quarantined is not None:  # flaky on evidence: a quarantine PR (and its issue) instead of a re-run
            return self.finish(full_name, run, quarantined)
        plan = self.plan_for(full_name, run, diagnosis)
        return self.finish(full_name, run, self.gate_and_execute(full_name, run, diagnosis, plan))

    def diagnose(self, full_name: str, run: dict[str, Any]) -> Diagnosis:
        logs = self.gh.download_run_logs(full_name, run["id"], run["run_attempt"])
        guides = guides_at(self.gh, full_name, run.get("head_sha") or "")
        green = last_green_log(self.gh, full_name, run)
        diagnosis = self.learned(triage(bytes(logs), kb=self.kb, repo_guides=guides,
                                        last_green=green.data if green else None))
        self.store.save_diagnosis(full_name, run["id"], run["run_attempt"], diagnosis)
        return diagnosis

    def index_repo_guides(self, full_name: str, run: dict[str, Any]) -> None:
        """Let the model's guide search find the repository's own guides at the run's commit."""
        add_to_index(self.index, guides_at(self.gh, full_name, run.get("head_sha") or ""))

    def learned(self, diagnosis: Diagnosis) -> Diagnosis:
        """The known issue's confidence after its recorded outcomes, and the action the policy's tiers give it."""
        known = diagnosis.known_issue
        if known is None:
            return diagnosis
        confidence = round(effective_confidence(known.id, known.confidence, self.store), 6)
        issue = self.kb.get(known.id) if hasattr(self.kb, "get") else None
        tiers = self.policy.tiers
        action = Action(issue.action) if issue is not None and issue.action else propose_action(
            diagnosis.category, confidence, diagnosis.fix, tiers.high_min_confidence, tiers.medium_min_confidence)
        return diagnosis.model_copy(update={"known_issue": known.model_copy(update={"confidence": confidence}),
                                            "proposed_action": action})

    def plan_for(self, full_name: str, run: dict[str, Any], diagnosis: Diagnosis) -> Plan:
        """The template plan, or (with a model, when no known issue reaches MEDIUM) the LLM's proposal."""
        files = self.read_files(full_name, run.get("head_sha") or "", diagnosis)
        plan = build_plan(diagnosis, full_name, run, files, policy=self.policy, kb=self.kb)
        known = diagnosis.known_issue
        if self.model is not None and (known is None or known.confidence < self.policy.tiers.medium_min_confidence):
            from agent.policy.budget import budget_refusal, note_exhausted

            refusal = budget_refusal(self.policy, self.store)
            if refusal:
                note_exhausted(self.store, refusal)
                return plan.model_copy(update={"rationale": f"{plan.rationale}; not analysed by the model: {refusal}"})
            plan = self.llm_fallback(full_name, run, diagnosis) or plan
        return plan

    def llm_fallback(self, full_name: str, run: dict[str, Any], diagnosis: Diagnosis) -> Plan | None:
        """The Claude loop's proposal for a failure no known issue covers at MEDIUM (None: escalate as planned)."""
        from agent.llm.handoff import llm_plan, tool_context
        from tools.runcache import cache

        self.index_repo_guides(full_name, run)
        ctx = tool_context(self.gh, full_name, run["id"], run["run_attempt"], store=self.store, kb=self.kb,
                           index=self.index, policy=self.policy, head_sha=run.get("head_sha"))
        ctx.diagnosis = diagnosis
        cache(ctx)["run"] = run
        from agent.policy.budget import budget_limits

        return llm_plan(diagnosis, ctx, self.model, limits=budget_limits(self.policy, self.store, self.llm_limits))

    def read_files(self, full_name: str, ref: str, diagnosis: Diagnosis) -> dict[str, str]:
        """The repository files the diagnosis's fix template may touch, at `ref`."""
        if diagnosis.fix is None or not ref:
            return {}
        fix = diagnosis.fix
        paths = template_files(fix.template, fix.params, dict.fromkeys(self.gh.list_files(full_name, ref), ""),
                               self.policy.blast_radius)
        files = {}
        for path in paths:
            found = self.gh.get_file(full_name, path, ref)
            if found is not None:
                files[path] = found[0]
        return files

    def gate_and_execute(self, full_name: str, run: dict[str, Any], diagnosis: Diagnosis, plan: Plan) -> HandleResult:
        """Decide (with the fallbacks), store plan and decision with the policy version, execute."""
        sync_pull_outcomes(self.gh, self.store, full_name)
        ctx = gate_context(self, full_name, run, plan)
        with self.store.transaction():  # BEGIN IMMEDIATE: usage read, decision and reservation as one step
            plan, decision = self.decide(full_name, run, plan, self.fresh_usage(ctx, full_name, run, plan))
            self.store.save_plan(plan)
            self.store.save_decision(plan.id, decision, self.policy.version)
            reserved = self.reserve(plan, decision)
        try:
            return self.carry_out(full_name, run, diagnosis, plan, decision)
        finally:
            if reserved:
                self.store.release_reservation(plan.id)

    def fresh_usage(self, ctx: Any, full_name: str, run: dict[str, Any], plan: Plan) -> Any:
        """The context with the store's counters read again inside the decision's transaction."""
        if getattr(self, "stateless", False) or not hasattr(self.store, "reserve"):
            return ctx
        usage = self.store.usage(full_name, plan.signature, run.get("id"), now=ctx.now,
                                 scope=self.policy.rate_limits.scope, exclude_plan=plan.id)
        return ctx.model_copy(update={"usage": usage})

    def reserve(self, plan: Plan, decision: Any) -> bool:
        """Hold the limits a write decision uses until the plan's own actions count (parallel workers)."""
        action = effective_action(plan, decision)[0]
        if action not in (Action.auto_fix, Action.pull_request) or not hasattr(self.store, "reserve"):
            return False
        self.store.reserve(plan.id, plan.repo, plan.signature, str(action), holder=self.job_owner)
        return True

    def open_pull_for(self, plan: Plan) -> dict[str, Any] | None:
        """An open PR of the same fix: from the store, and in stateless mode from the PRs' fix-key markers."""
        key = fix_key(plan)
        found = open_pull_for_fix(self.gh, self.store, plan, key)
        if found is None and getattr(self, "stateless", False):
            from agent.github.record import open_pull_with_fix_key

            found = open_pull_with_fix_key(self.gh, plan.repo, key, self.policy.actors.branch_prefix)
        return found

    def carry_out(self, full_name: str, run: dict[str, Any], diagnosis: Diagnosis, plan: Plan,
                  decision: Any) -> HandleResult:
        """The executor's part: unless the same fix is already open, do what the decision allows."""
        existing = self.open_pull_for(plan) if plan.action in (
            Action.auto_fix, Action.pull_request) and not isinstance(decision, Deny) else None
        if existing is not None:
            return HandleResult(diagnosis, plan, decision, status="pr_open", urls=[existing.get("html_url", "")],
                                reason="the same fix is already proposed in an open pull request")
        outcome: ExecResult = self.executor.execute(plan, decision, run, diagnosis)
        status = outcome.status
        if is_analysis_only(plan) and status in ("escalated", "commented"):
            status = "analysis_only"
        return HandleResult(diagnosis, plan, decision, outcome.actions, status, outcome.urls, outcome.reason)

    def decide(self, full_name: str, run: dict[str, Any], plan: Plan, ctx: Any = None) -> tuple[Plan, Any]:
        """decide(); a refused fix falls back to its issue; a resumed plan keeps its own earlier decision."""
        ctx = ctx or gate_context(self, full_name, run, plan)
        decision = decide(plan, ctx)
        if isinstance(decision, Deny) and decision.rule.startswith("rate_limit."):
            earlier = self.resumable_decision(plan)
            decision = earlier or decision
        if isinstance(decision, Deny) and decision.rule in ESCALATE_ON_DENY and plan.action != Action.escalate:
            fallback = escalation_of(plan, f"{plan.rationale}; the gate refused the fix ({decision.reason})")
            return fallback, decide(fallback, ctx)
        return plan, decision

    def resumable_decision(self, plan: Plan) -> Any:
        """The plan's earlier non-deny decision, if it already began writing (its own intents count now)."""
        if not self.store.actions(plan_id=plan.id, repo=plan.repo):
            return None
        for row in reversed(self.store.decisions(plan.id)):
            if row["kind"] != "deny":
                return decision_from_dict(row["decision"])
        return None

    # ---- results ---------------------------------------------------------------------------------

    @staticmethod
    def result_key(full_name: str, run_id: int, attempt: int) -> str:
        return f"handled:{full_name.lower()}:{int(run_id)}:{int(attempt)}"

    def finish(self, full_name: str, run: dict[str, Any], result: HandleResult) -> HandleResult:
        """Remember a final result so handling the run again returns it instead of acting twice; keep the
        dashboard issue's list of runs held by rate limits up to date."""
        if result.status not in ("denied",):
            record = {"status": result.status, "plan_id": result.plan.id if result.plan else None,
                      "urls": result.urls, "reason": result.reason}
            self.store.set_kv(self.result_key(full_name, run["id"], run["run_attempt"]), record)
        if self.dashboard is not None:
            self.dashboard.record(full_name, run, result)
            self.dashboard.refresh(full_name, run)
        return result

    def stored_result(self, full_name: str, run_id: int, attempt: int, record: dict[str, Any]) -> HandleResult:
        plan = self.store.get_plan(record["plan_id"]) if record.get("plan_id") else None
        decisions = self.store.decisions(plan.id) if plan else []
        decision = decision_from_dict(decisions[-1]["decision"]) if decisions else None
        return HandleResult(self.store.get_diagnosis(full_name, run_id, attempt), plan, decision,
                            status=record["status"], urls=record.get("urls") or [],
                            reason=f"already handled: {record.get('reason') or record['status']}")

    # ---- rollback --------------------------------------------------------------------------------

    def handle_default_branch_outcome(self, full_name: str, run: dict[str, Any]) -> HandleResult | None:
        """After an auto-merge: the same workflow failing on the default branch with the same signature
        gets a revert PR (under the same gate) and the fix's outcome `reverted`. None: nothing to do.
        A green default-branch run proposes the quarantine releases that are due."""
        default = self.gh.repo_info(full_name)["default_branch"]
        if run.get("head_branch") != default:
            return None
        run = {**run, "run_attempt": int(run.get("run_attempt") or 1)}
        if run.get("conclusion") == "success":
            release_on_green(self, full_name, run)  # quarantines due for release (K green runs, or expired)
        if run.get("conclusion") not in FAILING:
            return None
        diagnosis = self.diagnose(full_name, run)
        original = merged_fix(self.store, full_name, diagnosis.signature, run.get("path"))
        if original is None or failed_after_fix(self.gh, self.store, run, original) is not None:
            return None
        plan = revert_for(self, full_name, original, run) or escalation_of(
            original.model_copy(update={"run_id": int(run["id"])}),
            f"the auto-fix {original.id} did not hold and its files changed since: revert by hand")
        origin = self.store.get_run(full_name, original.run_id, original.run_attempt) or {}
        return carry_out_revert(self, full_name, run, original, plan, diagnosis, origin)

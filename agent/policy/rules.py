"""The gate's rules, in the order decide() applies them; each may cap the action or refuse."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agent.config import data_dir
from agent.models import ACTION_RANK, Action, Edit, Plan, PlanSource
from agent.policy.content import edit_findings, injection_flags, plan_denials
from agent.policy.deploy import deploy_reason
from agent.policy.fixkey import fix_key
from agent.policy.forbidden import is_workflow
from agent.policy.limits import first_exceeded
from agent.policy.paths import changed_lines, classify

if TYPE_CHECKING:
    from agent.policy.gate import GateContext

FILE_WRITES = frozenset({Action.auto_fix, Action.pull_request})
_OFF = {"", "0", "false", "no", "off"}


@dataclass
class Verdict:
    """The working answer while rules run: the action so far and why it was lowered."""

    original: Action
    action: Action
    rule: str = ""
    reasons: list[str] = field(default_factory=list)
    needs_human: bool = False

    def cap(self, to: Action, rule: str, reason: str, needs_human: bool = False) -> None:
        """Lower the action to `to` (never raise it); every reason at or below the current rank is kept."""
        rank_to, rank_now = ACTION_RANK[to], ACTION_RANK[self.action]
        if rank_to > rank_now:
            return
        if rank_to < rank_now:
            self.action, self.rule = to, rule
        elif needs_human and not self.rule:
            self.rule = rule
        self.needs_human = self.needs_human or needs_human
        self.reasons.append(reason)


Refusal = tuple[str, str]
"""(rule id, reason) of a Deny."""


def kill_switch(ctx: GateContext) -> Refusal | None:
    """Any kill switch set: the environment variable, the file, or the repository label."""
    switch = ctx.policy.kill_switch
    value = os.environ.get(switch.env_var, "") if switch.env_var else ""
    if value.strip().lower() not in _OFF:
        return "kill_switch.env", f"kill switch: ${switch.env_var} is set"
    if ctx.paused:
        return "kill_switch.pause", f"kill switch: {ctx.paused} (agent resume lifts it)"
    if switch.file:
        path = Path(switch.file) if Path(switch.file).is_absolute() else data_dir() / switch.file
        if path.exists():
            return "kill_switch.file", f"kill switch: {path} exists"
    labels = {label.lower() for label in ctx.repo_labels}
    if switch.label and switch.label.lower() in labels:
        return "kill_switch.label", f"kill switch: the repository has the label {switch.label!r}"
    return None


def ignore_rules(plan: Plan, ctx: GateContext, verdict: Verdict) -> Refusal | None:
    """Runs the agent never acts on: its own branches, other events, old runs, untrusted actors, forks."""
    actors = ctx.policy.actors
    if (ctx.head_branch or "").startswith(actors.branch_prefix):
        verdict.cap(Action.ignore, "ignore.own_branch", f"run on the agent's own branch {ctx.head_branch!r}")
    elif ctx.event not in actors.events:
        verdict.cap(Action.ignore, "ignore.event", f"event {ctx.event!r} is not acted on")
    elif ctx.run_created_at and (ctx.now - ctx.run_created_at).total_seconds() > actors.max_run_age_hours * 3600:
        verdict.cap(Action.ignore, "ignore.run_age", f"run is older than {actors.max_run_age_hours:g} h")
    elif ctx.actor_association not in actors.trusted_associations:
        reason = f"actor association {ctx.actor_association!r} is not trusted: analyse only"
        verdict.cap(Action.ignore, "ignore.untrusted_actor", reason)
    elif ctx.is_fork and not actors.act_on_forks:
        verdict.cap(Action.ignore, "ignore.fork", "run from a fork: analyse only")
    return None


def closed_fix(plan: Plan, ctx: GateContext, verdict: Verdict) -> Refusal | None:
    """A fix a human closed unmerged is never proposed again."""
    key = fix_key(plan)
    if verdict.action in FILE_WRITES and key in ctx.closed_fix_keys:
        return "closed_fix_key", f"fix {key} was closed unmerged by a human: not proposed again"
    return None


def path_safety(plan: Plan, ctx: GateContext, verdict: Verdict) -> Refusal | None:
    """Every edit path normalised and inside the blast radius; test sources only for test_disable."""
    if verdict.action not in FILE_WRITES:
        return None
    if not plan.edits:
        return "path.no_edits", "a write plan with no edits cannot be checked"
    for edit in plan.edits:
        where = classify(edit.path, ctx.policy.blast_radius, ctx.symlinks, deploys_of(edit, ctx.deploy_paths))
        if where.zone == "refused":
            return "path.refused", where.reason
        if where.zone == "test":
            if not (plan.fix and plan.fix.template == "test_disable"):
                return "path.refused", f"{where.path} is a test source: only test_disable may change it"
            verdict.cap(Action.pull_request, "path.test_source", f"needs-human: {where.path} is a test source",
                        needs_human=True)
    return None


def deploys_of(edit: Edit, known: dict[str, str]) -> dict[str, str]:
    """The repository's deploy paths plus this file if it deploys before or after the edit."""
    found = dict(known)
    for text in (edit.old, edit.new):
        reason = deploy_reason(text or "") if is_workflow(edit.path) else None
        if reason and edit.path not in found:
            found[edit.path] = reason
    return found


def content_safety(plan: Plan, ctx: GateContext, verdict: Verdict) -> Refusal | None:
    """What must never run is refused; unpinned actions, hidden characters or injection text need a human."""
    if verdict.action not in FILE_WRITES:
        return None
    denied = plan_denials(plan)
    if denied:
        more = f" (+{len(denied) - 3} more)" if len(denied) > 3 else ""
        return "content.forbidden", "; ".join(denied[:3]) + more
    owners = ctx.policy.content_safety.trusted_action_owners
    for finding in [f for edit in plan.edits for f in edit_findings(edit, owners)]:
        verdict.cap(Action.pull_request, "content_safety", f"needs-human: {finding}", needs_human=True)
    if injection_flags(plan):
        verdict.cap(Action.pull_request, "content.injection", "needs-human: injection indicators in the plan",
                    needs_human=True)
    return None


def tier(plan: Plan, ctx: GateContext, verdict: Verdict) -> Refusal | None:
    """Confidence decides the tier; a fix the model composed is at most MEDIUM."""
    if verdict.action not in FILE_WRITES:
        return None
    if plan.source == PlanSource.llm:
        verdict.cap(Action.pull_request, "tier.llm_source", "needs-human: the model composed this fix",
                    needs_human=True)
    tiers = ctx.policy.tiers
    if not plan.confidence >= tiers.medium_min_confidence:
        verdict.cap(Action.escalate, "tier.confidence", f"confidence {plan.confidence:.2f} is below MEDIUM")
    elif not plan.confidence >= tiers.high_min_confidence:
        verdict.cap(Action.pull_request, "tier.confidence", f"confidence {plan.confidence:.2f} is below HIGH")
    return None


def blast_radius(plan: Plan, ctx: GateContext, verdict: Verdict) -> Refusal | None:
    """Too many files or lines for the tier: one tier down (auto_fix → pull_request → escalate)."""
    radius = ctx.policy.blast_radius
    files, lines = len({edit.path for edit in plan.edits}), changed_lines(plan.edits, plan.diff)
    for tier_action, lower in ((Action.auto_fix, Action.pull_request), (Action.pull_request, Action.escalate)):
        if verdict.action != tier_action:
            continue
        max_files, max_lines = getattr(radius.max_files, tier_action), getattr(radius.max_changed_lines, tier_action)
        if files > max_files:
            verdict.cap(lower, "blast_radius.files", f"{files} files is over the {tier_action} limit of {max_files}")
        elif lines > max_lines:
            verdict.cap(lower, "blast_radius.lines", f"{lines} lines is over the {tier_action} limit of {max_lines}")
    return None


def validation_degraded(plan: Plan, ctx: GateContext, verdict: Verdict) -> Refusal | None:
    """An auto-fix some validator could not check (it crashes on the original file): a PR, unless allowed."""
    if verdict.action == Action.auto_fix and plan.unvalidated and not ctx.policy.validation.allow_degraded:
        verdict.cap(Action.pull_request, "validation.degraded",
                    f"needs-human: validator unavailable for {', '.join(plan.unvalidated)}", needs_human=True)
    return None


def rate_limits(plan: Plan, ctx: GateContext, verdict: Verdict) -> Refusal | None:
    """The first named limit the final action would exceed refuses it (it waits in the queue)."""
    if verdict.action in (Action.escalate, Action.ignore):
        return None
    if ctx.usage is None:
        return "rate_limit.unavailable", "usage counters are unavailable: no write"
    limit = first_exceeded(ctx.usage, ctx.policy.rate_limits, verdict.action)
    if limit is not None:
        return f"rate_limit.{limit.name}", f"rate limit reached: {limit.describe(ctx.usage, ctx.policy.rate_limits)}"
    return None


RULES: tuple[Callable[[Plan, GateContext, Verdict], Refusal | None], ...] = (
    ignore_rules, closed_fix, path_safety, content_safety, tier, blast_radius,
    validation_degraded,
    rate_limits,
)
"""Applied in this order after the kill switch; a refusal stops the run of rules."""

RULE_DESCRIPTIONS: dict[str, str] = {
    "allow": "every rule passed; the plan is carried out as proposed",
    "gate_error": "the gate failed internally and failed closed (no write)",
    "dry_run": "dry_run is set in the policy: decisions are logged, nothing is written",
    "kill_switch.env": "the kill-switch environment variable is set",
    "kill_switch.file": "the kill-switch file exists",
    "kill_switch.label": "the repository carries the kill-switch label",
    "kill_switch.pause": "`agent pause` stopped writes (for every repository or this one) in the shared store",
    "ignore.own_branch": "runs on the agent's own branches are never acted on (no fix-the-fix)",
    "ignore.event": "the triggering event is not one the agent acts on",
    "ignore.run_age": "the run is older than actors.max_run_age_hours",
    "ignore.untrusted_actor": "the actor is not OWNER/MEMBER/COLLABORATOR: analyse only",
    "ignore.fork": "runs from forks are analysed only",
    "closed_fix_key": "a human closed this fix unmerged; it is never proposed again",
    "path.no_edits": "a write plan must carry the edits the gate checks",
    "path.refused": "a path is protected (a glob, also on a parent directory, or a workflow that deploys or "
                    "publishes, or is called by one), outside the allowlist, a traversal, absolute or a symlink",
    "path.test_source": "test sources change only via test_disable, as a PR for a human",
    "content_safety": "the edit adds triggers, permissions, secrets, unpinned actions or pipes to a shell",
    "content.forbidden": "the edit adds what must never run: secrets or tokens, remote code, wider permissions, "
                         "dangerous triggers, runner changes, env-file writes, loader variables, untrusted "
                         "expressions in scripts",
    "content.injection": "the plan's text carries prompt-injection indicators",
    "tier.llm_source": "fixes the model composed are at most MEDIUM (a PR a human merges)",
    "tier.confidence": "the confidence tier is below the proposed action",
    "blast_radius.files": "the plan touches more files than its tier allows",
    "blast_radius.lines": "the plan changes more lines than its tier allows",
    "validation.degraded": "a validator crashes on the unmodified file: PR only unless validation.allow_degraded",
    "rate_limit.unavailable": "usage counters could not be read: fail closed",
}
"""What each rule id means, for `agent policy explain`; rate_limit.<name> ids name a limit."""

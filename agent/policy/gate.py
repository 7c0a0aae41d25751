"""The single chokepoint: decide(plan, context) -> Allow | Deny | Downgrade. Fails closed."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agent.models import Action, Plan
from agent.policy.content import injection_flags
from agent.policy.decisions import Allow, Decision, Deny, Downgrade
from agent.policy.limits import Usage
from agent.policy.rules import RULES, Verdict, kill_switch
from agent.policy.schema import Policy


class GateContext(BaseModel):
    """Everything about the run and the agent's history the gate needs besides the plan."""

    model_config = ConfigDict(extra="forbid")

    policy: Policy = Field(description="The loaded policies.yaml.")
    actor_association: str | None = Field(None, description="author_association of the run's actor.")
    event: str | None = Field(None, description="The event that triggered the run (push, pull_request...).")
    head_branch: str | None = Field(None, description="The run's head branch.")
    is_fork: bool = Field(False, description="True when the run comes from a fork's pull request.")
    repo_labels: list[str] = Field(default_factory=list, description="Labels defined on the repository.")
    usage: Usage | None = Field(None, description="Rate-limit counters from the store; None fails closed.")
    closed_fix_keys: set[str] = Field(default_factory=set, description="fix_key()s a human closed unmerged.")
    symlinks: set[str] = Field(default_factory=set, description="Repo paths that are symlinks in the checkout.")
    deploy_paths: dict[str, str] = Field(
        default_factory=dict, description="Repo paths that deploy or publish (or are called by one) → why.")
    run_created_at: datetime | None = Field(None, description="When the run was created (None: age unknown).")
    now: datetime = Field(default_factory=lambda: datetime.now(UTC), description="The decision time.")
    paused: str | None = Field(None, description="Why `agent pause` stopped writes here (None: not paused).")
    approved_by: str | None = Field(None, description="Who approved this plan on the digest issue (a human with "
                                    "write access); lifts a needs-human cap, never a refusal.")

    @field_validator("run_created_at", "now")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        """Naive datetimes are taken as UTC so ages can always be computed."""
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def decide(plan: Plan, context: GateContext) -> Decision:
    """Allow, Deny or Downgrade `plan`; any error inside the gate is a Deny (fail closed)."""
    try:
        return _decide(plan, context)
    except Exception as exc:  # noqa: BLE001 - the gate fails closed on anything
        return Deny(f"gate error: {type(exc).__name__}: {exc}", rule="gate_error", policy_version=_version(context))


def _version(context: object) -> str:
    version = getattr(getattr(context, "policy", None), "version", None)
    return version if isinstance(version, str) else "unknown"


def _decide(plan: Plan, ctx: GateContext) -> Decision:
    version, flags = ctx.policy.version, tuple(injection_flags(plan))
    stop = kill_switch(ctx)
    if stop:
        return Deny(stop[1], rule=stop[0], policy_version=version, flags=flags)
    decision = with_approval(_apply_rules(plan, ctx, version, flags), ctx)
    if ctx.policy.dry_run:
        return Deny(f"dry run: would {summary(decision)}", rule="dry_run", policy_version=version, flags=flags)
    return decision


def with_approval(decision: Decision, ctx: GateContext) -> Decision:
    """A human's approval turns "auto_fix, but only as a PR for a human" back into auto_fix; nothing else."""
    if (ctx.approved_by and isinstance(decision, Downgrade) and decision.original == Action.auto_fix
            and decision.to == Action.pull_request):
        return Allow(Action.auto_fix, policy_version=decision.policy_version,
                     flags=(*decision.flags, f"approved_by:{ctx.approved_by}"))
    return decision


def _apply_rules(plan: Plan, ctx: GateContext, version: str, flags: tuple[str, ...]) -> Decision:
    verdict = Verdict(original=plan.action, action=plan.action)
    for rule in RULES:
        refusal = rule(plan, ctx, verdict)
        if refusal:
            return Deny(refusal[1], rule=refusal[0], policy_version=version, flags=flags)
        if verdict.action == Action.ignore:
            break
    if verdict.action == plan.action and not verdict.needs_human:
        return Allow(plan.action, policy_version=version, flags=flags)
    return Downgrade(
        to=verdict.action, reason="; ".join(verdict.reasons), rule=verdict.rule, policy_version=version,
        flags=flags, original=plan.action, needs_human=verdict.needs_human,
    )


def summary(decision: Decision) -> str:
    """One phrase for a decision: 'allow auto_fix', 'downgrade auto_fix → pull_request (…)', 'deny (…)'."""
    if isinstance(decision, Allow):
        return f"allow {decision.action}"
    if isinstance(decision, Downgrade):
        return f"downgrade {decision.original} → {decision.to} ({decision.rule}: {decision.reason})"
    return f"deny ({decision.rule}: {decision.reason})"

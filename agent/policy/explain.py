"""Plain-language accounts of a policy (`agent policy check`) and of stored decisions (`explain`)."""

from __future__ import annotations

import json
from typing import Any

from agent.models import Plan
from agent.policy.rules import RULE_DESCRIPTIONS
from agent.policy.schema import Policy, RateLimits

_KINDS = ("allow", "deny", "downgrade")


def effective_limits(policy: Policy) -> list[str]:
    """The limits a policy puts into force, one line each; limits of 0 are called out as blocking."""
    limits = policy.rate_limits.model_dump(exclude={"scope"})
    blocked = [name for name, value in limits.items() if value == 0 and not name.startswith("cooldown")]
    lines = [f"version {policy.version}; dry_run {'on' if policy.dry_run else 'off'}", _kill_line(policy)]
    lines += [_tier_line(policy), "rate limits (per " + policy.rate_limits.scope + "): "
              + ", ".join(f"{k}={v:g}" for k, v in limits.items())]
    lines += _radius_lines(policy) + [_actors_line(policy)]
    if blocked:
        lines.append("blocked by a limit of 0: " + ", ".join(blocked))
    return lines


def _kill_line(policy: Policy) -> str:
    kill = policy.kill_switch
    return f"kill switch: ${kill.env_var or '-'}, file {kill.file or '-'}, label {kill.label or '-'}"


def _tier_line(policy: Policy) -> str:
    high, medium = policy.tiers.high_min_confidence, policy.tiers.medium_min_confidence
    return f"tiers: auto_fix >= {high:.2f}, pull_request >= {medium:.2f}, else escalate; llm fixes <= pull_request"


def _radius_lines(policy: Policy) -> list[str]:
    radius = policy.blast_radius
    files, lines = radius.max_files, radius.max_changed_lines
    return [
        f"size: auto_fix <= {files.auto_fix} files / {lines.auto_fix} lines; "
        + f"pull_request <= {files.pull_request} files / {lines.pull_request} lines",
        "allowed paths: " + ", ".join(radius.allowed_paths),
        "test paths (test_disable, PR only): " + ", ".join(radius.test_paths),
        "protected paths: " + ", ".join(radius.protected_paths),
    ]


def _actors_line(policy: Policy) -> str:
    actors = policy.actors
    forks = "acted on" if actors.act_on_forks else "analysed only"
    trusted = ", ".join(actors.trusted_associations)
    return f"trusted actors: {trusted}; forks {forks}; own branches {actors.branch_prefix}*"


def rule_description(rule: str) -> str:
    """What a rule id means; rate_limit.<name> is described by the limit's field."""
    if rule.startswith("rate_limit.") and rule not in RULE_DESCRIPTIONS:
        field = RateLimits.model_fields.get(rule.removeprefix("rate_limit."))
        return f"rate limit reached — {field.description}" if field else "a rate limit was reached"
    return RULE_DESCRIPTIONS.get(rule, "unknown rule")


def decision_record(row: Any) -> dict[str, Any]:
    """A stored decision row in any of the store's shapes → the decision dict plus `at`."""
    row = dict(row) if not isinstance(row, dict) else row
    inner = row.get("decision", row)
    if isinstance(inner, str) and inner not in _KINDS:
        inner = json.loads(inner)
    record = dict(inner) if isinstance(inner, dict) else dict(row)
    record.setdefault("policy_version", row.get("policy_version", ""))
    record["at"] = row.get("created_at") or row.get("at") or record.get("at")
    return record


def plan_line(plan: Plan) -> str:
    """One line saying what the plan proposed."""
    source = f"template {plan.fix.template}" if plan.fix else f"source {plan.source}"
    return (
        f"plan {plan.id}: {plan.action} at confidence {plan.confidence:.2f} ({source}) for {plan.repo} "
        f"run {plan.run_id}, signature {plan.signature}, {len(plan.edits)} edit(s)"
    )


def decision_lines(record: dict[str, Any]) -> list[str]:
    """How one stored decision reads: outcome, the rule that decided and why, the policy version."""
    kind = record.get("decision", "?")
    outcome = {"allow": f"allow {record.get('action')}", "deny": "deny",
               "downgrade": f"downgrade {record.get('from')} → {record.get('to')}"}.get(kind, str(kind))
    rule = record.get("rule", "?")
    when = f" at {record['at']}" if record.get("at") else ""
    lines = [f"{outcome} [policy {record.get('policy_version') or '?'}]{when}"]
    lines.append(f"  rule: {rule} — {rule_description(rule)}")
    if record.get("reason"):
        lines.append(f"  why: {record['reason']}")
    if record.get("needs_human"):
        lines.append("  needs-human: a PR without auto-merge")
    lines += [f"  flag: {flag}" for flag in record.get("flags") or []]
    return lines

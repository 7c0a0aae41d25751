"""A repository's own policy (`.github/devops-agent.yml`) merged over the central one: it may only narrow it.

Anyone who can push to the repository can write that file, so it is data from the watched repository,
not from the operator: every value is checked against the central policy and a value that would allow
more than the central policy does is refused, naming the field. Fields without a known safe direction
(the kill switch, the agent's branch prefix, the version) cannot be set per repository at all.
"""

from __future__ import annotations

import time
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from agent.errors import ConfigError
from agent.policy.schema import Policy

REPO_POLICY_PATH = ".github/devops-agent.yml"

LOWER_IS_NARROWER = frozenset({
    "rate_limits.auto_fixes_per_day", "rate_limits.attempts_per_signature", "rate_limits.prs_per_hour",
    "rate_limits.open_agent_prs", "rate_limits.reruns_per_run", "blast_radius.max_files.auto_fix",
    "blast_radius.max_files.pull_request", "blast_radius.max_changed_lines.auto_fix",
    "blast_radius.max_changed_lines.pull_request", "actors.max_run_age_hours",
})
HIGHER_IS_NARROWER = frozenset({
    "tiers.high_min_confidence", "tiers.medium_min_confidence", "rate_limits.cooldown_minutes_after_failed_fix",
})
TRUE_IS_NARROWER = frozenset({"dry_run"})
FALSE_IS_NARROWER = frozenset({"actors.act_on_forks", "validation.allow_degraded"})
SUBSET_IS_NARROWER = frozenset({
    "blast_radius.allowed_paths", "blast_radius.test_paths", "actors.trusted_associations", "actors.events",
    "content_safety.trusted_action_owners",
})
SUPERSET_IS_NARROWER = frozenset({"blast_radius.protected_paths"})
ORDERED_CHOICES = {"untrusted_plans": ("fork", "issue_only")}
"""Choice fields, from the widest to the narrowest value."""


def _leaves(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(dotted field, value) of every non-mapping value in `data`."""
    if not isinstance(data, dict):
        return [(prefix, data)]
    found: list[tuple[str, Any]] = []
    for key, value in data.items():
        found += _leaves(value, f"{prefix}.{key}" if prefix else str(key))
    return found


def _current(policy: BaseModel, field: str) -> Any:
    value: Any = policy
    for part in field.split("."):
        if not isinstance(value, BaseModel) or part not in type(value).model_fields:
            raise ConfigError(f"{REPO_POLICY_PATH}: {field}: unknown field")
        value = getattr(value, part)
    return value


def widening(field: str, central: Any, wanted: Any) -> str | None:
    """Why `wanted` would allow more than `central` for `field` (None: it narrows or keeps it)."""
    if field in LOWER_IS_NARROWER | HIGHER_IS_NARROWER:
        if isinstance(wanted, bool) or not isinstance(wanted, int | float):
            return "must be a number"
        wider = wanted > central if field in LOWER_IS_NARROWER else wanted < central
        return f"{wanted} allows more than the central {central}" if wider else None
    if field in TRUE_IS_NARROWER | FALSE_IS_NARROWER:
        if not isinstance(wanted, bool):
            return "must be true or false"
        return f"may only be {field in TRUE_IS_NARROWER}" if wanted != (field in TRUE_IS_NARROWER) and wanted != central else None
    if field in SUBSET_IS_NARROWER | SUPERSET_IS_NARROWER:
        if not isinstance(wanted, list) or not all(isinstance(item, str) for item in wanted):
            return "must be a list of strings"
        extra = set(wanted) - set(central) if field in SUBSET_IS_NARROWER else set(central) - set(wanted)
        verb = "adds" if field in SUBSET_IS_NARROWER else "drops"
        return f"{verb} {', '.join(sorted(extra))}" if extra else None
    if field in ORDERED_CHOICES:
        order = ORDERED_CHOICES[field]
        if wanted not in order:
            return f"must be one of {', '.join(order)}"
        return f"{wanted} allows more than the central {central}" if order.index(wanted) < order.index(central) else None
    return "cannot be set per repository"


def narrow(central: Policy, override: dict[str, Any]) -> Policy:
    """The central policy with the repository's values applied; ConfigError naming the first widening field."""
    merged = central.model_dump(mode="python")
    for field, wanted in _leaves(override):
        reason = widening(field, _current(central, field), wanted)
        if reason:
            raise ConfigError(f"{REPO_POLICY_PATH}: {field}: {reason} (a repository may only narrow the policy)")
        target = merged
        *parents, last = field.split(".")
        for part in parents:
            target = target[part]
        target[last] = wanted
    try:
        return Policy.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(f"{REPO_POLICY_PATH}: {exc.errors()[0]['msg']}") from None


def parse_override(text: str) -> dict[str, Any]:
    """The repository policy file's mapping; ConfigError when it is not YAML or not a mapping."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise ConfigError(f"{REPO_POLICY_PATH}: invalid YAML") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{REPO_POLICY_PATH}: expected a mapping at the top level")
    return data


def repository_policy(central: Policy, text: str | None) -> Policy:
    """The policy for one repository: the central one narrowed by its file's text (None: no file)."""
    return central if text is None else narrow(central, parse_override(text))


class RepositoryPolicies:
    """The policy in force for each repository: the central one narrowed by the repository's own file, read at
    the default branch's head and cached a few minutes. A file that tries to widen it stops every write to
    that repository (dry run) until it is fixed; `problems` says why."""

    def __init__(self, gh: Any, central: Policy, ttl: float = 300.0, clock: Any = None):
        self.gh, self.central, self.ttl = gh, central, ttl
        self.clock = clock or time.monotonic
        self.cache: dict[str, tuple[float, Policy]] = {}
        self.problems: dict[str, str] = {}

    def policy_for(self, repo: str) -> Policy:
        key = repo.lower()
        found = self.cache.get(key)
        if found and self.clock() - found[0] < self.ttl:
            return found[1]
        policy = self._read(repo)
        self.cache[key] = (self.clock(), policy)
        return policy

    def _read(self, repo: str) -> Policy:
        branch = self.gh.repo_info(repo).get("default_branch") or "main"
        found = self.gh.get_file(repo, REPO_POLICY_PATH, branch)
        try:
            policy = repository_policy(self.central, found[0] if found else None)
        except ConfigError as exc:
            self.problems[repo.lower()] = str(exc)
            return self.central.model_copy(update={"dry_run": True})
        self.problems.pop(repo.lower(), None)
        return policy

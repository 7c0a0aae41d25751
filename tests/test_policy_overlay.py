"""A repository's .github/devops-agent.yml may narrow the central policy, never widen it."""

from __future__ import annotations

import pytest

from agent.errors import ConfigError
from agent.policy.overlay import narrow, repository_policy
from agent.policy.schema import Policy

CENTRAL = Policy()


@pytest.mark.parametrize(("override", "field"), [
    ({"rate_limits": {"auto_fixes_per_day": CENTRAL.rate_limits.auto_fixes_per_day + 1}}, "auto_fixes_per_day"),
    ({"rate_limits": {"cooldown_minutes_after_failed_fix": 0}}, "cooldown_minutes_after_failed_fix"),
    ({"tiers": {"high_min_confidence": 0.5}}, "high_min_confidence"),
    ({"dry_run": False, "actors": {"act_on_forks": True}}, "act_on_forks"),
    ({"validation": {"allow_degraded": True}}, "allow_degraded"),
    ({"blast_radius": {"allowed_paths": [".github/workflows/**", "src/**"]}}, "allowed_paths"),
    ({"blast_radius": {"protected_paths": ["**/*deploy*"]}}, "protected_paths"),
    ({"actors": {"trusted_associations": ["OWNER", "CONTRIBUTOR"]}}, "trusted_associations"),
    ({"actors": {"events": ["pull_request_target"]}}, "events"),
    ({"content_safety": {"trusted_action_owners": ["actions", "evil-corp"]}}, "trusted_action_owners"),
    ({"kill_switch": {"label": ""}}, "kill_switch.label"),
    ({"actors": {"branch_prefix": "main"}}, "branch_prefix"),
    ({"rate_limits": {"scope": "global"}}, "scope"),
    ({"version": "2"}, "version"),
    ({"no_such_section": {"x": 1}}, "unknown field"),
    ({"rate_limits": {"prs_per_hour": "lots"}}, "must be a number"),
    ({"rate_limits": {"prs_per_hour": True}}, "must be a number"),
])
def test_a_repository_policy_that_widens_the_central_one_is_refused(override, field):
    with pytest.raises(ConfigError) as refused:
        narrow(CENTRAL, override)
    assert field in str(refused.value) and ".github/devops-agent.yml" in str(refused.value)


def test_a_repository_policy_that_narrows_applies_every_value():
    policy = narrow(CENTRAL, {
        "dry_run": True,
        "tiers": {"high_min_confidence": 0.97},
        "rate_limits": {"auto_fixes_per_day": 1, "cooldown_minutes_after_failed_fix": 240},
        "blast_radius": {"allowed_paths": [".github/workflows/**"],
                         "protected_paths": [*CENTRAL.blast_radius.protected_paths, ".github/workflows/nightly.yml"]},
        "actors": {"trusted_associations": ["OWNER"], "act_on_forks": False},
        "validation": {"allow_degraded": False},
    })
    assert policy.dry_run and policy.tiers.high_min_confidence == 0.97
    assert policy.rate_limits.auto_fixes_per_day == 1 and policy.rate_limits.cooldown_minutes_after_failed_fix == 240
    assert policy.blast_radius.allowed_paths == [".github/workflows/**"]
    assert ".github/workflows/nightly.yml" in policy.blast_radius.protected_paths
    assert policy.actors.trusted_associations == ["OWNER"]
    assert policy.rate_limits.prs_per_hour == CENTRAL.rate_limits.prs_per_hour


def test_an_absent_or_empty_repository_policy_keeps_the_central_one():
    assert repository_policy(CENTRAL, None) == CENTRAL
    assert repository_policy(CENTRAL, "# nothing to narrow\n") == CENTRAL


@pytest.mark.parametrize("text", ["[1, 2]", "rate_limits: {prs_per_hour: 1", "just text"])
def test_a_repository_policy_that_is_not_a_yaml_mapping_is_refused(text):
    with pytest.raises(ConfigError):
        repository_policy(CENTRAL, text)


def test_narrowing_medium_above_high_is_refused_by_the_schema():
    with pytest.raises(ConfigError) as refused:
        narrow(CENTRAL, {"tiers": {"medium_min_confidence": 0.95}})
    assert "medium_min_confidence" in str(refused.value)

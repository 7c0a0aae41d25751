"""Rate limits: each named limit blocks at its limit, lets through below it, and a limit of 0 blocks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_policy_helpers import make_context, make_plan, make_policy

from agent.models import ACTION_RANK, Action, PlanSource
from agent.policy import LIMITS, Allow, Deny, Downgrade, Usage, decide, first_exceeded
from agent.policy.schema import RateLimits


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENT_HOME", str(tmp_path))
    monkeypatch.delenv("AGENT_KILL_SWITCH", raising=False)


# (case id, proposed action, usage, rate_limits overrides, expected limit name or None)
CASES = [
    ("auto-fixes at the daily limit", Action.auto_fix, {"auto_fixes_today": 10}, {}, "auto_fixes_per_day"),
    ("auto-fixes below the daily limit", Action.auto_fix, {"auto_fixes_today": 9}, {}, None),
    ("daily auto-fix limit of 0 blocks", Action.auto_fix, {}, {"auto_fixes_per_day": 0}, "auto_fixes_per_day"),
    ("daily auto-fix limit does not hold back PRs", Action.pull_request, {"auto_fixes_today": 10}, {}, None),
    ("attempts at the per-signature limit", Action.pull_request, {"attempts_for_signature": 3}, {},
     "attempts_per_signature"),
    ("attempts below the per-signature limit", Action.pull_request, {"attempts_for_signature": 2}, {}, None),
    ("attempt limit of 0 blocks", Action.pull_request, {}, {"attempts_per_signature": 0},
     "attempts_per_signature"),
    ("inside the cool-down after a failed fix", Action.auto_fix, {"minutes_since_failed_fix": 30}, {},
     "cooldown_minutes_after_failed_fix"),
    ("just inside the cool-down", Action.pull_request, {"minutes_since_failed_fix": 59.9}, {},
     "cooldown_minutes_after_failed_fix"),
    ("after the cool-down", Action.auto_fix, {"minutes_since_failed_fix": 61}, {}, None),
    ("never failed: no cool-down", Action.auto_fix, {"minutes_since_failed_fix": None}, {}, None),
    ("cool-down of 0 is off", Action.auto_fix, {"minutes_since_failed_fix": 0},
     {"cooldown_minutes_after_failed_fix": 0}, None),
    ("PRs at the hourly limit", Action.pull_request, {"prs_last_hour": 2}, {}, "prs_per_hour"),
    ("PRs at the hourly limit hold back auto-fixes too", Action.auto_fix, {"prs_last_hour": 2}, {},
     "prs_per_hour"),
    ("PRs below the hourly limit", Action.pull_request, {"prs_last_hour": 1}, {}, None),
    ("hourly PR limit of 0 blocks", Action.pull_request, {}, {"prs_per_hour": 0}, "prs_per_hour"),
    ("open agent PRs at the limit", Action.pull_request, {"open_agent_prs": 5}, {}, "open_agent_prs"),
    ("open agent PRs below the limit", Action.pull_request, {"open_agent_prs": 4}, {}, None),
    ("open PR limit of 0 blocks", Action.auto_fix, {}, {"open_agent_prs": 0}, "open_agent_prs"),
    ("rerun already requested for this run", Action.rerun, {"reruns_for_run": 1}, {}, "reruns_per_run"),
    ("first rerun of a run", Action.rerun, {"reruns_for_run": 0}, {}, None),
    ("rerun limit of 0 blocks", Action.rerun, {}, {"reruns_per_run": 0}, "reruns_per_run"),
    ("escalation is never rate-limited here", Action.escalate, {"prs_last_hour": 99, "open_agent_prs": 99}, {},
     None),
]


@pytest.mark.parametrize(("action", "usage", "limits", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_first_exceeded_names_the_limit(action, usage, limits, expected):
    found = first_exceeded(Usage(**usage), RateLimits(**limits), action)
    assert (found.name if found else None) == expected


@pytest.mark.parametrize(("action", "usage", "limits", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_gate_denies_when_a_rate_limit_is_reached(action, usage, limits, expected):
    plan = make_plan(action=action, confidence=0.95 if action != Action.pull_request else 0.7)
    context = make_context(make_policy(rate_limits=limits), usage=Usage(**usage))
    decision = decide(plan, context)
    if expected is None:
        assert isinstance(decision, Allow) and decision.action == action
    else:
        assert isinstance(decision, Deny) and decision.rule == f"rate_limit.{expected}"
        assert expected in decision.reason


def test_limits_applied_to_the_downgraded_action_not_the_proposed_one():
    usage = Usage(auto_fixes_today=10)
    decision = decide(make_plan(confidence=0.7), make_context(usage=usage))
    assert isinstance(decision, Downgrade) and decision.to == Action.pull_request


def test_missing_usage_counters_fail_closed():
    decision = decide(make_plan(), make_context(usage=None))
    assert isinstance(decision, Deny) and decision.rule == "rate_limit.unavailable"


def test_every_limit_names_a_policy_field_and_a_usage_counter():
    for limit in LIMITS:
        assert limit.name in RateLimits.model_fields
        assert limit.counter in Usage.model_fields


@settings(max_examples=200, deadline=None)
@given(
    action=st.sampled_from(list(Action)),
    confidence=st.floats(min_value=0, max_value=1),
    source=st.sampled_from(list(PlanSource)),
    association=st.sampled_from(["OWNER", "MEMBER", "NONE", None]),
    is_fork=st.booleans(),
    prs=st.integers(min_value=0, max_value=6),
)
def test_the_gate_never_upgrades(action, confidence, source, association, is_fork, prs):
    plan = make_plan(action=action, confidence=confidence, source=source)
    decision = decide(plan, make_context(actor_association=association, is_fork=is_fork,
                                         usage=Usage(prs_last_hour=prs)))
    if isinstance(decision, Allow):
        assert decision.action == action
    if isinstance(decision, Downgrade):
        assert ACTION_RANK[decision.to] <= ACTION_RANK[action]
        assert decision.to != Action.auto_fix or source != PlanSource.llm

"""Confidence learned from outcomes: a Beta posterior over the prior, per known issue and per template."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.knowledge.learning import (
    Evidence,
    beta,
    effective_confidence,
    posterior,
    template_confidence,
    tier,
    verdicts,
)
from agent.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "agent.db")


def test_the_prior_is_a_beta_with_the_prior_weight():
    assert beta(0.95, Evidence(), weight=20) == pytest.approx((19.0, 1.0))
    assert posterior(0.95, Evidence(), weight=20) == pytest.approx(0.95)


def test_with_no_outcomes_the_effective_confidence_is_the_prior(store):
    assert effective_confidence("glibc-node20-old-container", 0.95, store) == pytest.approx(0.95)


def test_two_failed_fixes_move_a_high_issue_down_to_the_pull_request_tier(store):
    store.record_outcome("plan-1", "ci_failed", known_issue_id="glibc-node20-old-container")
    after_one = effective_confidence("glibc-node20-old-container", 0.95, store)
    assert tier(after_one) == "high" and after_one < 0.95
    store.record_outcome("plan-2", "closed_unmerged", known_issue_id="glibc-node20-old-container")
    after_two = effective_confidence("glibc-node20-old-container", 0.95, store)
    assert after_two == pytest.approx(19 / 22) and tier(after_two) == "medium"


def test_enough_confirmed_fixes_lift_a_medium_issue_to_the_auto_fix_tier(store):
    for number in range(9):
        store.record_outcome(f"plan-{number}", "merged", known_issue_id="cudnn-missing-in-container")
    assert tier(effective_confidence("cudnn-missing-in-container", 0.85, store)) == "medium"
    store.record_outcome("plan-9", "ci_passed", known_issue_id="cudnn-missing-in-container")
    assert tier(effective_confidence("cudnn-missing-in-container", 0.85, store)) == "high"


def test_outcomes_of_other_issues_do_not_count(store):
    store.record_outcome("plan-1", "reverted", known_issue_id="some-other-issue")
    assert effective_confidence("glibc-node20-old-container", 0.95, store) == pytest.approx(0.95)


@pytest.mark.parametrize("outcomes, expected", [
    (["ci_passed", "merged"], (1, 0)),
    (["merged", "reverted"], (0, 1)),
    (["ci_failed"], (0, 1)),
    (["closed_unmerged"], (0, 1)),
])
def test_each_plan_gives_one_verdict_its_latest_outcome(outcomes, expected):
    rows = [{"plan_id": "p", "outcome": outcome} for outcome in outcomes]
    evidence = verdicts(rows)
    assert (evidence.successes, evidence.failures) == expected


def test_outcomes_without_a_plan_count_one_by_one():
    rows = [{"plan_id": None, "outcome": "merged"}, {"plan_id": None, "outcome": "merged"}]
    assert verdicts(rows).successes == 2


def test_a_template_learns_from_every_issue_that_uses_it(store):
    store.record_outcome("p1", "ci_failed", template="action_version", known_issue_id="a")
    store.record_outcome("p2", "ci_failed", template="action_version", known_issue_id="b")
    assert template_confidence("action_version", 0.95, store) == pytest.approx(19 / 22)
    assert template_confidence("container_image", 0.95, store) == pytest.approx(0.95)


@pytest.mark.parametrize("confidence, expected", [(0.95, "high"), (0.90, "high"), (0.89, "medium"),
                                                   (0.60, "medium"), (0.59, "low")])
def test_tiers_follow_the_policy_thresholds(confidence, expected):
    assert tier(confidence) == expected

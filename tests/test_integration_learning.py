"""Learning: recorded outcomes move a known issue's confidence, and the policy's tiers pick the action."""

from __future__ import annotations

import pytest
from test_executor_kit import REPO, add_glibc_repo, pipeline, policy_with, pulls

from agent.models import Action, Category, FixSpec
from agent.triage import propose_action

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""

GLIBC_ID = "glibc-node20-old-container"


def record(store, outcomes: list[str]) -> None:
    for outcome in outcomes:
        store.record_outcome(None, outcome, known_issue_id=GLIBC_ID, repo=REPO)


@pytest.mark.parametrize("outcomes, tiers, confidence, action", [
    ([], None, 0.95, Action.auto_fix),
    (["merged"], None, 0.952381, Action.auto_fix),
    (["reverted", "ci_failed"], None, 0.863636, Action.pull_request),
    (["reverted", "ci_failed"], {"high_min_confidence": 0.85}, 0.863636, Action.auto_fix),
    (["reverted", "ci_failed"] * 6, None, 0.59375, Action.escalate),
    (["reverted", "ci_failed"] * 6, {"medium_min_confidence": 0.5}, 0.59375, Action.pull_request),
])
def test_diagnosis_carries_the_learned_confidence_and_the_policys_tier(sb, home, outcomes, tiers, confidence, action):
    run_id = add_glibc_repo(sb)
    p = pipeline(sb, home, policy=policy_with(tiers=tiers) if tiers else None)
    record(p.store, outcomes)
    diagnosis = p.diagnose(REPO, {**p.gh.get_run(REPO, run_id), "run_attempt": 1})
    assert diagnosis.known_issue.confidence == pytest.approx(confidence, abs=1e-6)
    assert diagnosis.proposed_action == action
    assert p.store.get_diagnosis(REPO, run_id, 1).proposed_action == action


def test_after_two_failed_fixes_the_same_failure_becomes_a_pull_request_for_a_human(sb, home):
    run_id = add_glibc_repo(sb)
    p = pipeline(sb, home)
    record(p.store, ["reverted", "ci_failed"])
    result = p.handle_run(REPO, run_id)
    assert result.plan.action == Action.pull_request and result.status == "pr_open"
    assert result.plan.confidence == pytest.approx(0.863636, abs=1e-6)
    [pull] = pulls(sb)
    assert not pull.merged


def test_outcomes_of_another_known_issue_do_not_move_this_one(sb, home):
    run_id = add_glibc_repo(sb)
    p = pipeline(sb, home)
    for outcome in ("reverted", "ci_failed", "ci_failed"):
        p.store.record_outcome(None, outcome, known_issue_id="sfml-3-breaks-build", repo=REPO)
    diagnosis = p.diagnose(REPO, {**p.gh.get_run(REPO, run_id), "run_attempt": 1})
    assert diagnosis.known_issue.confidence == 0.95 and diagnosis.proposed_action == Action.auto_fix


@pytest.mark.parametrize("category, confidence, fix, thresholds, action", [
    (Category.container_incompatible, 0.95, FixSpec(template="t"), (), Action.auto_fix),
    (Category.container_incompatible, 0.86, FixSpec(template="t"), (), Action.pull_request),
    (Category.container_incompatible, 0.86, FixSpec(template="t"), (0.85, 0.6), Action.auto_fix),
    (Category.container_incompatible, 0.55, FixSpec(template="t"), (0.9, 0.5), Action.pull_request),
    (Category.container_incompatible, 0.99, None, (0.5, 0.1), Action.escalate),
    (Category.network, 0.1, None, (0.9, 0.6), Action.rerun),
])
def test_propose_action_takes_the_tier_thresholds_it_is_given(category, confidence, fix, thresholds, action):
    assert propose_action(category, confidence, fix, *thresholds) == action

"""Rate-limit counters, rejected fix keys, outcomes, LLM transcripts and history, all read back from the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.models import Action, Category, Diagnosis, FixSpec, Plan
from agent.policy import Usage
from agent.store import Store

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SIG = "aaaaaaaaaaaaaaaa"


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "agent.db")
    yield store
    store.close()


def plan(
    plan_id: str,
    action: Action = Action.auto_fix,
    signature: str = SIG,
    repo: str = "o/r",
    version: str = "v4",
) -> Plan:
    return Plan(
        id=plan_id,
        repo=repo,
        run_id=100,
        signature=signature,
        category=Category.action_deprecated,
        action=action,
        fix=FixSpec(template="action_version", params={"action": "a/b", "version": version}),
    )


def ago(**delta) -> datetime:
    return NOW - timedelta(**delta)


def test_usage_of_an_empty_store_is_all_zero(store):
    assert store.usage("o/r", SIG, 100, now=NOW) == Usage()


def test_usage_counts_prs_merges_reruns_and_open_prs_from_the_action_log(store):
    for plan_id, action in [("p1", Action.auto_fix), ("p2", Action.pull_request), ("p3", Action.auto_fix)]:
        store.save_plan(plan(plan_id, action))
    store.save_plan(plan("q1", Action.auto_fix, signature="bbbbbbbbbbbbbbbb", repo="o/other"))
    store.record_action(
        "pull_request", "o/r", "done", plan_id="p1", signature=SIG, ref="1", created_at=ago(hours=30)
    )
    store.record_action(
        "merge", "o/r", "done", plan_id="p1", signature=SIG, ref="1", created_at=ago(hours=29)
    )
    store.record_action(
        "pull_request", "o/r", "done", plan_id="p2", signature=SIG, ref="2", created_at=ago(hours=5)
    )
    store.record_action(
        "pull_request", "o/r", "intent", plan_id="p3", signature=SIG, created_at=ago(minutes=20)
    )
    store.record_action(
        "pull_request",
        "o/other",
        "done",
        plan_id="q1",
        signature="bbbbbbbbbbbbbbbb",
        ref="9",
        created_at=ago(minutes=50),
    )
    store.record_action(
        "pull_request", "o/r", "failed", plan_id="p3", signature=SIG, created_at=ago(minutes=10)
    )
    store.record_action("rerun", "o/r", "done", run_id=100, created_at=ago(minutes=5))
    store.record_action("rerun", "o/r", "done", run_id=101, created_at=ago(minutes=5))
    store.record_outcome("p2", "closed_unmerged", at=ago(hours=1))
    assert store.usage("o/r", SIG, 100, now=NOW, scope="global") == Usage(
        auto_fixes_today=2,  # p3 (intent, auto_fix plan) and q1 (other repo): p1 was 30 h ago, p2 is a PR plan
        attempts_for_signature=3,  # p1, p2, p3 intent; the failed attempt does not count
        minutes_since_failed_fix=None,
        prs_last_hour=2,  # p3 intent 20 min ago, q1 50 min ago
        open_agent_prs=2,  # p1 merged, p2 closed unmerged → p3, q1
        reruns_for_run=1,
    )
    per_repository = store.usage("O/R", SIG, 100, now=NOW)  # the default scope; names compare case-insensitively
    assert (per_repository.auto_fixes_today, per_repository.prs_last_hour, per_repository.open_agent_prs) == (1, 1, 1)
    assert per_repository.attempts_for_signature == 3 and per_repository.reruns_for_run == 1


def test_minutes_since_failed_fix_comes_from_the_latest_failed_or_reverted_outcome(store):
    store.save_plan(plan("p1"))
    store.save_plan(plan("p2", version="v5"))
    store.record_outcome("p1", "ci_failed", at=ago(minutes=90))
    store.record_outcome("p2", "reverted", at=ago(minutes=30))
    store.record_outcome("p2", "ci_passed", at=ago(minutes=10))
    assert store.usage("o/r", SIG, None, now=NOW).minutes_since_failed_fix == pytest.approx(30)
    assert store.usage("o/r", "cccccccccccccccc", None, now=NOW).minutes_since_failed_fix is None


def test_closed_unmerged_and_reverted_fix_keys_are_never_proposed_again(store):
    keys = {
        plan_id: store.save_plan(plan(plan_id, version=version))
        for plan_id, version in [("p1", "v4"), ("p2", "v5"), ("p3", "v6")]
    }
    store.record_outcome("p1", "closed_unmerged")
    store.record_outcome("p2", "reverted")
    store.record_outcome("p3", "merged")
    assert store.closed_fix_keys("o/r") == {keys["p1"], keys["p2"]}
    assert store.closed_fix_keys("o/other") == set()


def test_outcome_takes_fix_key_template_and_known_issue_from_its_plan(store):
    stored = plan("p1").model_copy(update={"known_issue_id": "node20-glibc"})
    fix_key = store.save_plan(stored)
    store.record_outcome("p1", "ci_passed")
    [row] = store.outcomes(known_issue_id="node20-glibc")
    assert (row["fix_key"], row["template"], row["repo"], row["signature"]) == (
        fix_key,
        "action_version",
        "o/r",
        SIG,
    )


def test_decisions_come_back_in_order_with_their_policy_version(store):
    store.save_plan(plan("p1"))
    store.save_decision("p1", {"decision": "deny", "rule": "prs_per_hour", "reason": "2 of 2"}, "sha-1")
    store.save_decision("p1", {"decision": "allow", "rule": "allow", "action": "auto_fix"}, "sha-2")
    rows = store.decisions("p1")
    assert [(row["decision"]["decision"], row["rule"], row["policy_version"]) for row in rows] == [
        ("deny", "prs_per_hour", "sha-1"),
        ("allow", "allow", "sha-2"),
    ]


def test_update_action_merges_detail_and_sets_status(store):
    action = store.record_action("pull_request", "o/r", "intent", plan_id="p1", detail={"branch": "agent/x"})
    store.update_action(action, status="done", ref="17", detail={"url": "http://127.0.0.1/pull/17"})
    [row] = store.actions(plan_id="p1", kind="pull_request")
    assert (row["status"], row["ref"]) == ("done", "17")
    assert row["detail"] == {"branch": "agent/x", "url": "http://127.0.0.1/pull/17"}


def test_llm_run_is_saved_after_each_step_and_read_back(store):
    store.save_llm_run("run-1", [{"role": "user", "content": "why?"}], repo="o/r", run_id=5, run_attempt=1)
    store.save_llm_run(
        "run-1",
        [{"role": "user", "content": "why?"}, {"role": "assistant", "content": "cache"}],
        usage={"input_tokens": 120},
        status="done",
    )
    saved = store.get_llm_run("run-1")
    assert len(saved["messages"]) == 2 and saved["usage"] == {"input_tokens": 120}
    assert (saved["status"], saved["repo"], saved["run_id"]) == ("done", "o/r", 5)


def test_history_lists_newest_runs_with_diagnosis_and_actions(store):
    store.claim_run("o/r", 1, 1, workflow="CI-Linux")
    store.claim_run("o/r", 2, 1, workflow="CI-Win")
    store.save_diagnosis(
        "o/r", 2, 1, Diagnosis(signature=SIG, category=Category.network, proposed_action=Action.rerun)
    )
    store.record_action("rerun", "o/r", "done", run_id=2)
    newest, oldest = store.history(limit=5)
    assert (newest["run_id"], newest["category"], newest["signature"]) == (2, "network", SIG)
    assert [action["kind"] for action in newest["actions"]] == ["rerun"]
    assert (oldest["run_id"], oldest["category"], oldest["actions"]) == (1, None, [])


def test_named_lock_is_held_until_released_or_expired(store):
    assert store.acquire_lock("daemon", "host-a", ttl_seconds=60, now=NOW)
    assert not store.acquire_lock("daemon", "host-b", ttl_seconds=60, now=NOW + timedelta(seconds=30))
    assert store.acquire_lock("daemon", "host-b", ttl_seconds=60, now=NOW + timedelta(seconds=61))
    assert not store.release_lock("daemon", "host-a")
    assert store.release_lock("daemon", "host-b")


def test_runner_incident_is_opened_and_resolved(store):
    incident = store.record_incident(
        "runner_offline", repo="o/r", runner="jetson-1", detail={"labels": ["arm64"]}
    )
    assert [row["runner"] for row in store.incidents(status="open")] == ["jetson-1"]
    store.resolve_incident(incident)
    assert store.incidents(status="open") == [] and store.incidents()[0]["detail"] == {"labels": ["arm64"]}

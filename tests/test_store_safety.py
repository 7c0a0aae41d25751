"""Durability settings, idempotent schema, transactions, integrity checks, and no raw secret on disk (fault #12)."""

from __future__ import annotations

import sqlite3

import pytest

from agent.errors import ConfigError
from agent.models import Action, Category, Diagnosis, Edit, FixSpec, Plan
from agent.store import SCHEMA_VERSION, Store
from tests.test_redact_corpus import AKIA, ANTHROPIC, GHP, GHS, JWT, PEM_CASES

SECRETS = [GHP, GHS, AKIA, JWT, ANTHROPIC, "s3cr3t-P4ss"]


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "agent.db")
    yield store
    store.close()


def test_wal_synchronous_full_and_busy_timeout_are_what_sqlite_reports(store):
    assert store.pragmas() == {"journal_mode": "wal", "synchronous": "FULL", "busy_timeout": 5000}


def test_a_second_thread_gets_the_same_pragmas_on_its_own_connection(store):
    import threading

    seen = {}
    thread = threading.Thread(target=lambda: seen.update(store.pragmas()))
    thread.start()
    thread.join()
    assert seen == {"journal_mode": "wal", "synchronous": "FULL", "busy_timeout": 5000}


def test_opening_an_existing_database_keeps_its_rows_and_schema_version(tmp_path):
    Store(tmp_path / "a.db").set_kv("cursor", "2025-03-01")
    again = Store(tmp_path / "a.db")
    assert again.get_kv("cursor") == "2025-03-01" and again.schema_version() == SCHEMA_VERSION


def test_database_from_a_newer_agent_is_refused(tmp_path):
    Store(tmp_path / "a.db").close()
    with sqlite3.connect(tmp_path / "a.db") as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(ConfigError, match="schema version"):
        Store(tmp_path / "a.db")


def test_transaction_rolls_back_every_write_when_the_block_fails(store):
    with pytest.raises(RuntimeError), store.transaction():
        store.record_action("branch", "o/r", "intent", ref="agent/fix-1")
        store.set_kv("cursor", 1)
        raise RuntimeError("crash between writes")
    assert store.actions() == [] and store.get_kv("cursor") is None


def test_transaction_commits_nested_writes_together(store):
    with store.transaction():
        action = store.record_action("branch", "o/r", "intent", ref="agent/fix-1")
        store.update_action(action, status="done")
    assert [row["status"] for row in store.actions()] == ["done"]


def _diagnosis_with_secrets() -> Diagnosis:
    lines = [
        f"git clone https://x-access-token:{GHS}@github.com/o/r",
        f"export GITHUB_TOKEN={GHP}",
        f"AWS_ACCESS_KEY_ID={AKIA}",
        f"id_token={JWT}",
        f"ANTHROPIC_API_KEY={ANTHROPIC}",
        "curl https://ci:s3cr3t-P4ss@nexus.example.com/x",
    ]
    return Diagnosis(
        signature="0123456789abcdef",
        category=Category.network,
        proposed_action=Action.rerun,
        root_cause_lines=lines,
        excerpt="\n".join(lines) + "\n" + PEM_CASES[0],
        redactions=0,
    )


def test_no_raw_secret_reaches_the_sqlite_files_but_placeholders_do(tmp_path):
    store = Store(tmp_path / "agent.db")
    diagnosis = _diagnosis_with_secrets()
    store.save_diagnosis("o/r", 1, 1, diagnosis)
    plan = Plan(
        id="plan-1",
        repo="o/r",
        run_id=1,
        signature=diagnosis.signature,
        category=Category.network,
        action=Action.pull_request,
        rationale=f"token was {GHP}",
        fix=FixSpec(template="env_set"),
        edits=[Edit(path=".github/workflows/ci.yml", old=None, new=f"env:\n  KEY: {ANTHROPIC}\n")],
    )
    store.save_plan(plan)
    store.record_action("comment", "o/r", "done", detail={"body": f"see {JWT}"}, ref="12")
    store.save_llm_run("llm-1", [{"role": "user", "content": [{"type": "text", "text": diagnosis.excerpt}]}])
    store.record_delivery("guid-1", "workflow_run", "completed", {"token": GHS})
    store.set_kv("last_error", f"401 for {GHP}")
    files = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())
    for secret in SECRETS + [PEM_CASES[0].splitlines()[1]]:
        assert secret.encode() not in files
    assert b"[REDACTED:github-app-token#" in files and b"[REDACTED:private-key#" in files
    assert store.get_diagnosis("o/r", 1, 1).signature == diagnosis.signature
    assert GHP not in store.get_plan("plan-1").rationale


def test_integrity_check_passes_on_a_consistent_database(store):
    store.enqueue("o/r", 1)
    store.claim_next("w")
    store.record_action("pull_request", "o/r", "done", plan_id="p1", ref="5")
    assert store.integrity_check() and store.integrity_problems() == []


def test_integrity_check_fails_on_a_duplicate_pull_request_for_one_plan(store):
    store.record_action("pull_request", "o/r", "done", plan_id="p1", ref="5")
    store.record_action("pull_request", "o/r", "done", plan_id="p1", ref="6")
    assert not store.integrity_check()
    assert any("more than one pull request" in problem for problem in store.integrity_problems())


def test_integrity_check_fails_on_two_issues_for_one_signature(store):
    store.record_action("issue", "o/r", "done", signature="s1", ref="40")
    store.record_action("issue", "o/r", "done", signature="s1", ref="41")
    assert any("more than one issue" in problem for problem in store.integrity_problems())


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.record_action("merge", "o/r", "maybe"), "action status"),
        (lambda s: s.record_action("merge", "o/r", "done", colour="red"), "unknown action fields"),
        (lambda s: s.record_outcome(None, "great"), "outcome must be"),
        (lambda s: s.claim_run("o/r", 1, 1, colour="red"), "unknown run fields"),
        (lambda s: s.actions(colour="red"), "unknown filters"),
    ],
)
def test_bad_values_are_refused_before_any_write(store, call, message):
    with pytest.raises(ValueError, match=message):
        call(store)
    assert store.actions() == [] and store.runs() == []

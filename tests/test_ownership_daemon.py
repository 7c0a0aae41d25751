"""Jobs belong to someone: a one-off `agent fix` owns its run, a daemon takes only its watched repositories'
jobs, and a rollback needs evidence (a later run on a head holding the merged fix)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from test_daemon_kit import RecordingHandler, make_daemon
from test_executor_kit import (
    CONTAINER_WF,
    MEMBER,
    NEW_IMAGE,
    REPO,
    WRITES,
    add_glibc_repo,
    client,
    glibc_logs,
    pipeline,
    pulls,
    repo_files,
)

from agent.store import Store

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""

OTHER = "Apra-Labs/Other"
DROPPED = ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_API_URL", "GITHUB_REPOSITORY", "ANTHROPIC_API_KEY", "AGENT_DEBUG",
           "AGENT_POLICIES")


def agent(*args: str, token: str) -> subprocess.CompletedProcess:
    """The `agent` command in a child process, with the test's AGENT_HOME and a sandbox token."""
    command = [sys.executable, "-c", "from agent.cli.app import main; main()"]
    environ = {key: value for key, value in os.environ.items() if key not in DROPPED} | {"GITHUB_TOKEN": token}
    return subprocess.run([*command, *args], check=False, capture_output=True, text=True, env=environ, timeout=180,
                          stdin=subprocess.DEVNULL)


def writes_to(sb, repo: str, since: int = 0) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in sb.requests[since:] if r.method in WRITES and f"/repos/{repo}/" in r.path]


def test_a_daemon_watching_another_repository_writes_nothing_where_agent_fix_merged(sb, home):
    run_id = add_glibc_repo(sb)
    sb.add_repo(OTHER, files=repo_files(old_image=False))
    fixed = agent("fix", str(run_id), "--repo", REPO, "--github-url", sb.url, "--verify-timeout", "20",
                  "--poll-interval", "0.05", token=sb.token)
    assert fixed.returncode == 0, fixed.stderr
    assert "status:    fixed" in fixed.stdout and NEW_IMAGE in sb.file_text(REPO, CONTAINER_WF)
    seen = len(sb.requests)
    watched = agent("watch", "--repo", OTHER, "--once", "--github-url", sb.url, "--monitor-interval", "0",
                    "--ci-poll-interval", "0.05", "--verify-timeout", "5", token=sb.token)
    assert watched.returncode == 0, watched.stderr
    assert writes_to(sb, REPO, seen) == []
    assert len(pulls(sb)) == 1 and NEW_IMAGE in sb.file_text(REPO, CONTAINER_WF)
    assert [row["status"] for row in Store(home / "agent.db").runs(repo=REPO)] == ["done"]


def test_a_daemon_claims_only_jobs_of_its_repositories_and_never_an_agent_fix_job(home):
    store = Store(home / "agent.db")
    store.claim_run(REPO, 1, owner="fix:host:1:abc")
    store.claim_run(OTHER, 2)
    store.claim_run(REPO.upper(), 3)
    assert store.claim_next("w", repos=["apra-labs/other"])["run_id"] == 2
    assert store.claim_next("w", repos=["apra-labs/other"]) is None
    assert store.claim_next("w", repos=[REPO])["run_id"] == 3
    assert store.claim_next("w") is None


def test_an_agent_fix_that_ends_early_leaves_its_run_abandoned_not_queued(home):
    store = Store(home / "agent.db")
    store.claim_run(REPO, 7, owner="fix:host:2:def")
    assert store.settle_owned("fix:host:2:def", "failed", "abandoned") == 1
    row = store.get_run(REPO, 7)
    assert row["status"] == "failed" and row["error"] == "abandoned"
    assert store.claim_next("w") is None


def test_the_run_that_led_to_the_fix_never_triggers_its_rollback(sb, home):
    run_id = add_glibc_repo(sb)
    p = pipeline(sb, home)
    assert p.handle_run(REPO, run_id).status == "fixed"
    assert p.handle_default_branch_outcome(REPO, p.gh.get_run(REPO, run_id)) is None
    assert len(pulls(sb)) == 1 and NEW_IMAGE in sb.file_text(REPO, CONTAINER_WF)


def test_a_failure_older_than_the_merge_or_without_the_fix_in_its_head_is_no_evidence(sb, home):
    run_id = add_glibc_repo(sb)
    p = pipeline(sb, home)
    before = p.gh.get_run(REPO, run_id)["head_sha"]
    assert p.handle_run(REPO, run_id).status == "fixed"
    old = sb.add_failed_run(REPO, workflow=CONTAINER_WF, logs=glibc_logs(), actor=MEMBER, head_sha=before,
                            created_at="2020-01-01T00:00:00Z")
    stale_head = sb.add_failed_run(REPO, workflow=CONTAINER_WF, logs=glibc_logs(), actor=MEMBER, head_sha=before)
    for run in (old, stale_head):
        assert p.handle_default_branch_outcome(REPO, p.gh.get_run(REPO, run)) is None
    assert len(pulls(sb)) == 1 and NEW_IMAGE in sb.file_text(REPO, CONTAINER_WF)


def test_a_later_failure_with_the_same_signature_on_a_head_holding_the_fix_is_rolled_back(sb, home):
    run_id = add_glibc_repo(sb)
    p = pipeline(sb, home)
    assert p.handle_run(REPO, run_id).status == "fixed"
    later = sb.add_failed_run(REPO, workflow=CONTAINER_WF, logs=glibc_logs(), actor=MEMBER)
    result = p.handle_default_branch_outcome(REPO, p.gh.get_run(REPO, later))
    assert result is not None and result.plan.fix.template == "revert"
    assert len(pulls(sb)) == 2 and NEW_IMAGE not in sb.file_text(REPO, CONTAINER_WF)



def test_a_dry_run_prints_what_the_gate_would_allow_and_the_diff_and_writes_nothing(sb, home):
    run_id = add_glibc_repo(sb)
    done = agent("fix", str(run_id), "--repo", REPO, "--github-url", sb.url, "--dry-run", token=sb.token)
    assert done.returncode == 0, done.stderr
    assert "dry run: would allow auto_fix" in done.stdout
    assert "diff (not written, --dry-run):" in done.stdout and f"+    container: {NEW_IMAGE}" in done.stdout
    assert writes_to(sb, REPO) == [] and done.stderr.startswith("policy: ")


def test_a_daemon_settles_the_run_of_an_agent_fix_that_died_without_taking_it(sb, home):
    sb.add_repo(REPO, files=repo_files(old_image=False))
    store = Store(home / "agent.db")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True).stdout.strip()
    owner = f"fix:{socket.gethostname()}:{dead}:0000"
    store.claim_run(REPO, 9, owner=owner)
    store.claim_run(REPO, 10, owner=f"fix:{socket.gethostname()}:{os.getpid()}:1111")
    handler = RecordingHandler()
    make_daemon(store, handler, client(sb), webhooks=False, secret=None, poll_interval=60.0).run_once()
    assert store.get_run(REPO, 9)["status"] == "failed" and "abandoned" in store.get_run(REPO, 9)["error"]
    assert store.get_run(REPO, 10)["status"] == "queued" and handler.calls == []


def test_a_database_from_before_job_owners_gains_the_column_and_keeps_its_jobs(home):
    import sqlite3

    path = home / "old.db"
    Store(path).close()
    with sqlite3.connect(path) as conn:  # the runs table as it shipped before job owners
        conn.execute("ALTER TABLE runs DROP COLUMN job_owner")
        conn.execute("INSERT INTO runs (repo, run_id, created_at, updated_at) VALUES (?, 5, 'x', 'x')", (REPO,))
    store = Store(path)
    assert store.get_run(REPO, 5)["job_owner"] is None
    assert store.claim_next("w", repos=[REPO])["run_id"] == 5

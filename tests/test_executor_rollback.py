"""Rollback: an auto-merged fix whose failure comes back on the default branch is reverted and demoted."""

from __future__ import annotations

from test_executor_kit import (
    CONTAINER_WF,
    MEMBER,
    NEW_IMAGE,
    OLD_IMAGE,
    REPO,
    add_glibc_repo,
    add_novel_run,
    glibc_logs,
    issues,
    pipeline,
    pulls,
)

from agent.store import Store

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""


def failing_main_run(sb) -> dict:
    """Make the workflow fail again on main (same logs, so the same signature) and return that run."""
    sb.add_workflow(REPO, CONTAINER_WF, fixed_when=[{"file": CONTAINER_WF, "contains": "never-there"}])
    sha = sb.commit_file(REPO, "main", "NOTES.md", "unrelated change\n")
    sb.wait_for_runs(REPO, timeout=10)
    return next(r for r in sb.runs(REPO) if r["head_sha"] == sha and r["path"] == CONTAINER_WF)


def test_failure_returning_after_an_auto_merge_opens_a_revert_and_records_reverted(sb, home):
    run_id = add_glibc_repo(sb)
    p = pipeline(sb, home)
    fixed = p.handle_run(REPO, run_id)
    assert fixed.status == "fixed" and NEW_IMAGE in sb.file_text(REPO, CONTAINER_WF)
    run = failing_main_run(sb)
    assert run["conclusion"] == "failure"
    result = p.handle_default_branch_outcome(REPO, run)
    assert result is not None and result.plan.fix.template == "revert"
    assert len(pulls(sb)) == 2 and pulls(sb)[1].merged
    assert f"container: {OLD_IMAGE}" in sb.file_text(REPO, CONTAINER_WF)
    store = Store(home / "agent.db")
    assert [o["outcome"] for o in store.outcomes(plan_id=fixed.plan.id)][-1] == "reverted"
    assert store.integrity_check()


def test_a_reverted_fix_is_reverted_once_and_never_proposed_again(sb, home):
    run_id = add_glibc_repo(sb)
    p = pipeline(sb, home)
    p.handle_run(REPO, run_id)
    p.handle_default_branch_outcome(REPO, failing_main_run(sb))
    assert p.handle_default_branch_outcome(REPO, failing_main_run(sb)) is None
    again = sb.add_failed_run(REPO, workflow=CONTAINER_WF, logs=glibc_logs(), actor=MEMBER)
    result = p.handle_run(REPO, again)
    assert result.status == "escalated" and len(pulls(sb)) == 2 and len(issues(sb)) == 1


def test_default_branch_failures_without_an_auto_merge_need_no_rollback(sb, home):
    run_id = add_novel_run(sb)
    run = pipeline(sb, home).gh.get_run(REPO, run_id)
    assert pipeline(sb, home).handle_default_branch_outcome(REPO, run) is None
    assert not pulls(sb)

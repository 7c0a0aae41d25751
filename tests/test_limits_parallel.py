"""Limits hold under parallel workers (reserved at decision, in one BEGIN IMMEDIATE) and across spellings of a
repository's name (keys are case-insensitive, as GitHub's names are)."""

from __future__ import annotations

import threading
from datetime import timedelta

from test_executor_kit import (
    MEMBER,
    add_glibc_repo,
    add_novel_run,
    failure_logs,
    pipeline,
    policy_with,
    pulls,
    repo_files,
)

from agent.store import Store, iso, utc_now

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""

REPOS = ["Apra-Labs/One", "Apra-Labs/Two", "Apra-Labs/Three"]


def handle_at_once(pipelines_and_runs) -> list:
    """Each (pipeline, repo, run) handled on its own thread, started together."""
    start, results = threading.Barrier(len(pipelines_and_runs)), [None] * len(pipelines_and_runs)

    def work(index, p, repo, run_id):
        start.wait()
        results[index] = p.handle_run(repo, run_id)

    threads = [threading.Thread(target=work, args=(i, *item)) for i, item in enumerate(pipelines_and_runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def test_three_high_runs_handled_at_once_merge_once_with_one_auto_fix_a_day(sb, home):
    policy = policy_with(rate_limits={"auto_fixes_per_day": 1, "prs_per_hour": 50, "scope": "global"})
    work = [(pipeline(sb, home, policy), repo, add_glibc_repo(sb, repo)) for repo in REPOS]
    results = handle_at_once(work)
    merged = [repo for repo in REPOS if any(pull.merged for pull in pulls(sb, repo))]
    assert len(merged) == 1, [(r.status, r.reason) for r in results]
    assert sorted(r.status for r in results) == ["denied", "denied", "fixed"]
    assert Store(home / "agent.db").rows("SELECT * FROM reservations") == []


def test_the_same_fix_under_three_spellings_of_the_repository_opens_one_pull_request(sb, home):
    policy = policy_with(rate_limits={"attempts_per_signature": 1, "prs_per_hour": 50})
    sb.add_repo("Apra-Labs/ApraPipes", files=repo_files(old_image=False))
    lines = ["CMake Error at vcpkg_installed/x64-windows/share/sfml/SFMLConfig.cmake:139 (message):",
             "  Unsupported SFML component: system"]
    runs = [sb.add_failed_run("Apra-Labs/ApraPipes", workflow=".github/workflows/CI-Windows.yml", name="CI-Windows",
                              logs=failure_logs(lines, labels="windows-latest"), actor=MEMBER) for _ in range(3)]
    spellings = ["Apra-Labs/ApraPipes", "apra-labs/apraPipes", "APRA-LABS/APRAPIPES"]
    results = [pipeline(sb, home, policy).handle_run(name, run) for name, run in zip(spellings, runs, strict=True)]
    assert len(pulls(sb, "Apra-Labs/ApraPipes")) == 1, [(r.status, r.reason) for r in results]


def test_rate_limits_count_per_repository_unless_the_policy_says_global(sb, home):
    per_repo = policy_with(rate_limits={"prs_per_hour": 1})
    for repo in REPOS[:2]:
        add_novel_run(sb, repo)
    store = Store(home / "agent.db")
    store.record_action("pull_request", REPOS[0], "done", plan_id="p-one", signature="s" * 16, ref="1")
    assert store.usage(REPOS[1], "x" * 16, None, scope=per_repo.rate_limits.scope).prs_last_hour == 0
    assert store.usage(REPOS[1], "x" * 16, None, scope="global").prs_last_hour == 1


def test_a_reservation_counts_against_other_plans_but_not_its_own_until_released(home):
    store = Store(home / "agent.db")
    with store.transaction():
        store.reserve("plan-a", REPOS[0].upper(), "s" * 16, "auto_fix")
    other = store.usage(REPOS[0], "s" * 16, None, exclude_plan="plan-b")
    assert (other.auto_fixes_today, other.attempts_for_signature, other.prs_last_hour) == (1, 1, 1)
    assert store.usage(REPOS[0], "s" * 16, None, exclude_plan="plan-a").auto_fixes_today == 0
    assert store.usage(REPOS[1], "s" * 16, None).auto_fixes_today == 0
    store.release_reservation("plan-a")
    assert store.usage(REPOS[0], "s" * 16, None).auto_fixes_today == 0


def test_a_crashed_workers_reservation_lapses_after_its_time(home):
    store = Store(home / "agent.db")
    store.reserve("plan-crashed", REPOS[0], "s" * 16, "auto_fix")
    assert store.usage(REPOS[0], "s" * 16, None).auto_fixes_today == 1
    with store.transaction() as db:  # the worker died four hours ago, before it released its reservation
        db.conn.execute("UPDATE reservations SET created_at = ?", (iso(utc_now() - timedelta(hours=4)),))
    assert store.usage(REPOS[0], "s" * 16, None).auto_fixes_today == 0

"""A quarantine is released after K green runs with the test back in, or proposed for release once it expires."""

from __future__ import annotations

from datetime import UTC, datetime

from agent.flaky.handle import releases_due
from agent.flaky.results import TestResult
from agent.store import Store

REPO = "octo/app"
SINCE = "2026-12-01T00:00:00+00:00"


def store_with_quarantine(tmp_path, until: str = "2026-12-15") -> Store:
    store = Store(tmp_path / "agent.db")
    store.save_quarantine(REPO, "jpeg_tests/encode", "boost", {"until": until, "issue": 7, "since": SINCE})
    return store


def record(store: Store, run_id: int, status: str, day: int, branch: str = "release") -> None:
    run = {"id": run_id, "run_attempt": 1, "head_sha": f"c{run_id}", "path": ".github/workflows/ci.yml",
           "head_branch": branch, "run_started_at": f"2026-12-{day:02d}T10:00:00Z"}
    store.record_test_results(REPO, run, [TestResult("boost", "jpeg_tests", "encode", status, job="linux")], [])


def test_release_is_due_after_k_green_runs_of_the_test_where_it_still_ran(tmp_path):
    store = store_with_quarantine(tmp_path)
    for run_id, day in ((1, 2), (2, 3)):
        record(store, run_id, "passed", day)
    now = datetime(2026, 12, 5, tzinfo=UTC)
    assert releases_due(store, REPO, now, green_runs=3) == []
    record(store, 3, "passed", 4)
    assert releases_due(store, REPO, now, green_runs=3) == [
        {"test": "jpeg_tests/encode", "framework": "boost", "why": "green", "issue": 7, "green_runs": 3}]


def test_a_failure_since_the_quarantine_holds_the_release_back(tmp_path):
    store = store_with_quarantine(tmp_path)
    for run_id, day, status in ((1, 2, "passed"), (2, 3, "failed"), (3, 4, "passed"), (4, 4, "passed")):
        record(store, run_id, status, day)
    assert releases_due(store, REPO, datetime(2026, 12, 5, tzinfo=UTC), green_runs=3) == []


def test_runs_before_the_quarantine_do_not_count(tmp_path):
    store = store_with_quarantine(tmp_path)
    store.save_quarantine(REPO, "jpeg_tests/encode", "boost",
                          {"until": "2026-12-15", "issue": 7, "since": "2026-12-10T00:00:00+00:00"})
    for run_id, day in ((1, 2), (2, 3), (3, 4)):
        record(store, run_id, "passed", day)
    assert releases_due(store, REPO, datetime(2026, 12, 11, tzinfo=UTC), green_runs=3) == []


def test_an_expired_quarantine_is_proposed_for_release_even_without_green_runs(tmp_path):
    store = store_with_quarantine(tmp_path, until="2026-12-15")
    assert releases_due(store, REPO, datetime(2026, 12, 15, 23, tzinfo=UTC), green_runs=3) == []
    due = releases_due(store, REPO, datetime(2026, 12, 16, tzinfo=UTC), green_runs=3)
    assert [(d["test"], d["why"]) for d in due] == [("jpeg_tests/encode", "expired")]


def test_a_released_quarantine_is_not_proposed_again(tmp_path):
    store = store_with_quarantine(tmp_path, until="2026-12-02")
    store.save_quarantine(REPO, "jpeg_tests/encode", "boost",
                          {"until": "2026-12-02", "issue": 7, "since": SINCE, "released": ["https://x/pull/9"]})
    assert releases_due(store, REPO, datetime(2026, 12, 16, tzinfo=UTC), green_runs=3) == []

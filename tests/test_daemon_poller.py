"""The poller: cursor catch-up with old runs skipped (fault #35), ETag polling, rate-limit backoff (#23)."""

from __future__ import annotations

import threading
from datetime import timedelta

from test_daemon_kit import FAILED_LOGS, REPO, RecordingHandler, make_daemon, quiet_log

from agent.daemon.intake import Intake
from agent.daemon.keys import last_poll_key, poll_cursor_key
from agent.daemon.poller import Poller
from agent.policy import load_policy
from agent.store import iso, utc_now

pytest_plugins = ["test_daemon_kit"]
"""The `store`, `sandbox` and `gh` fixtures."""

WORKFLOW = ".github/workflows/CI-Linux.yml"


def age_run(sb, run_id: int, days: float) -> None:
    """Make a sandbox run look `days` old."""
    stamp = (utc_now() - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with sb.lock:
        for attempt in sb.repo(REPO).runs[run_id].attempts:
            attempt.created_at = attempt.updated_at = attempt.run_started_at = stamp


def make_poller(store, gh, **kw) -> Poller:
    return Poller(gh, Intake(store, load_policy().actors, [REPO], log=quiet_log()), [REPO], **kw)


def runs_requests(sb) -> list:
    return [r for r in sb.requests if r.path.endswith("/actions/runs")]


def test_after_four_days_down_the_poller_catches_up_from_its_cursor_and_skips_old_runs(store, sandbox, gh):
    old = sandbox.add_failed_run(REPO, WORKFLOW, logs=FAILED_LOGS)
    age_run(sandbox, old, days=4)
    recent = sandbox.add_failed_run(REPO, WORKFLOW, logs=FAILED_LOGS)
    store.set_kv(poll_cursor_key(REPO), iso(utc_now() - timedelta(days=4, hours=1)))
    counts = make_poller(store, gh).poll_repo(REPO)
    assert [row["run_id"] for row in store.runs()] == [recent]
    assert counts["enqueued"] == 1
    assert store.get_kv(poll_cursor_key(REPO)) > iso(utc_now() - timedelta(minutes=1))
    catch_up = runs_requests(sandbox)[0]
    assert catch_up.query["created"].startswith(">=") and catch_up.query["status"] == "completed"


def test_runs_older_than_the_policy_age_are_skipped_even_when_listed(store, sandbox, gh):
    stale = sandbox.add_failed_run(REPO, WORKFLOW, logs=FAILED_LOGS)
    age_run(sandbox, stale, days=3.5)  # older than actors.max_run_age_hours (72)
    poller = make_poller(store, gh)
    counts = poller.poll_repo(REPO)
    verdict = poller.intake.accept_run(REPO, gh.get_run(REPO, stale), gh.repo_info(REPO))
    assert counts["seen"] == 0 and verdict == "ignored: older than 72 h"
    assert store.runs() == []


def test_later_polls_use_the_etag_and_queue_only_new_failures(store, sandbox, gh):
    first = sandbox.add_failed_run(REPO, WORKFLOW, logs=FAILED_LOGS)
    poller = make_poller(store, gh)
    poller.poll_repo(REPO)
    poller.poll_repo(REPO)
    unchanged = poller.poll_repo(REPO)
    second = sandbox.add_failed_run(REPO, WORKFLOW, logs=FAILED_LOGS)
    poller.poll_repo(REPO)
    assert [row["run_id"] for row in store.runs()] == [first, second]
    assert unchanged == {"seen": 0, "enqueued": 0, "ignored": 0}
    assert [r.status for r in runs_requests(sandbox)] == [200, 200, 304, 200]
    assert store.get_kv(last_poll_key(REPO))["enqueued"] == 1


def test_rate_limited_poller_sleeps_until_the_reset_without_a_tight_loop(store, sandbox, gh):
    sandbox.add_failed_run(REPO, WORKFLOW, logs=FAILED_LOGS)
    sandbox.faults.add("primary_exhausted", path="/actions/runs", reset_in=3)
    poller = make_poller(store, gh, interval=0.05)
    backoff = poller.poll_once()
    assert 1.0 <= backoff <= 6.0
    stop = threading.Event()
    thread = threading.Thread(target=poller.run, args=(stop,))
    thread.start()
    stop.wait(1.0)
    stop.set()
    thread.join(5)
    assert len(runs_requests(sandbox)) <= 2
    assert store.runs() == []


def test_watch_once_polls_and_drains_the_queue(store, sandbox, gh):
    run_id = sandbox.add_failed_run(REPO, WORKFLOW, logs=FAILED_LOGS)
    handler = RecordingHandler()
    report = make_daemon(store, handler, gh, webhooks=False, secret=None, poll_interval=60).run_once()
    assert report["handled"] == 1 and handler.calls == [(REPO, run_id, 1)]
    assert store.get_run(REPO, run_id)["status"] == "done"
    assert store.row("SELECT * FROM kv WHERE key = 'lock:daemon'") is None

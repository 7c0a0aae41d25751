"""The durable queue end to end: webhook → store → worker → handler (faults #4–#6, #8, #31, #33; SIGTERM)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from test_daemon_kit import (
    FAILED_LOGS,
    REPO,
    SECRET,
    RecordingHandler,
    Result,
    deliver,
    make_daemon,
    quiet_log,
    run_payload,
    wait_for,
    writes,
)

from agent.daemon.intake import Intake
from agent.daemon.poller import Poller
from agent.daemon.receiver import WebhookReceiver
from agent.github import ServerError
from agent.policy import load_policy
from agent.store import Store

pytest_plugins = ["test_daemon_kit"]
"""The `store`, `sandbox` and `gh` fixtures."""


def final(store, run_id, attempt=1) -> bool:
    job = store.get_run(REPO, run_id, attempt)
    return job is not None and job["status"] in ("done", "failed", "parked")


def test_sandbox_redelivery_reaches_the_handler_once(store, sandbox, gh):
    handler = RecordingHandler()
    daemon = make_daemon(store, handler, gh).start()
    try:
        run_id = sandbox.add_failed_run(REPO, ".github/workflows/CI-Linux.yml", logs=FAILED_LOGS)
        sandbox.add_hook(REPO, daemon.receiver.url, SECRET, events=["workflow_run"])
        sandbox.notify_run(REPO, run_id)
        sandbox.hooks.wait()
        sandbox.hooks.redeliver(sandbox.deliveries[0].id)
        sandbox.hooks.wait()
        assert wait_for(lambda: final(store, run_id))
    finally:
        daemon.stop()
    assert [d.status for d in sandbox.deliveries] == [202, 200]
    assert handler.calls == [(REPO, run_id, 1)]


def test_webhook_and_poller_reporting_the_same_runs_at_once_make_one_job_each(store, sandbox, gh):
    run_ids = [sandbox.add_failed_run(REPO, ".github/workflows/CI-Linux.yml", logs=FAILED_LOGS) for _ in range(6)]
    intake = Intake(store, load_policy().actors, [REPO], log=quiet_log())
    receiver = WebhookReceiver(intake, SECRET).start()
    poller = Poller(gh, intake, [REPO])
    start = threading.Barrier(len(run_ids) + 1)

    def send(run_id: int) -> None:
        payload = {"action": "completed", "workflow_run": gh.get_run(REPO, run_id),
                   "repository": gh.repo_info(REPO)}
        start.wait()
        deliver(receiver.port, payload)

    senders = [threading.Thread(target=send, args=(run_id,)) for run_id in run_ids]
    try:
        for thread in senders:
            thread.start()
        start.wait()
        poller.poll_once()
        for thread in senders:
            thread.join()
    finally:
        receiver.stop()
    rows = store.runs(repo=REPO)
    assert sorted(row["run_id"] for row in rows) == sorted(run_ids)


def test_a_second_attempt_is_a_new_job_and_the_third_is_parked_for_a_human(store):
    handler = RecordingHandler()
    daemon = make_daemon(store, handler).start()
    try:
        for attempt in (1, 2, 3):
            assert deliver(daemon.receiver.port, run_payload(200, attempt=attempt))[0] == 202
        assert wait_for(lambda: all(final(store, 200, n) for n in (1, 2, 3)))
    finally:
        daemon.stop()
    assert handler.calls == [(REPO, 200, 1), (REPO, 200, 2)]
    capped = store.get_run(REPO, 200, 3)
    assert capped["status"] == "parked" and "needs a human" in capped["error"]


def test_webhook_answers_fast_while_the_handler_sleeps_and_the_queue_survives_a_restart(store, tmp_path):
    handler = RecordingHandler(block=True)
    daemon = make_daemon(store, handler).start()
    try:
        deliver(daemon.receiver.port, run_payload(300))
        assert handler.started.wait(5)
        status, _, seconds = deliver(daemon.receiver.port, run_payload(301))
    finally:
        daemon.stop(grace=0.2)
    assert status == 202 and seconds < 1.0
    reopened = Store(tmp_path / "agent.db")
    assert [(r["run_id"], r["status"]) for r in reopened.runs()] == [(300, "queued"), (301, "queued")]
    handler.release.set()
    assert daemon.join()
    again = RecordingHandler()
    daemon = make_daemon(reopened, again).start()
    try:
        assert wait_for(lambda: final(reopened, 300) and final(reopened, 301))
    finally:
        daemon.stop()
    assert [call[1] for call in again.calls] == [300, 301]


def test_runs_on_the_agents_own_branches_are_ignored(store):
    handler = RecordingHandler()
    daemon = make_daemon(store, handler).start()
    try:
        status, answer, _ = deliver(daemon.receiver.port, run_payload(400, branch="auto-fix/glibc-20250101"))
        store.claim_run(REPO, 401, 1, head_branch="auto-fix/sneaked-in", conclusion="failure")
        assert wait_for(lambda: final(store, 401))
    finally:
        daemon.stop()
    assert (status, answer["status"]) == (200, "ignored: the agent's own branch")
    assert store.get_run(REPO, 400) is None
    assert handler.calls == []


def test_untrusted_actors_and_forks_cause_no_writes(store, sandbox, gh):
    handler = RecordingHandler()
    daemon = make_daemon(store, handler, gh).start()
    try:
        stranger = sandbox.add_failed_run(REPO, ".github/workflows/CI-Linux.yml", logs=FAILED_LOGS,
                                          actor={"login": "stranger", "association": "NONE"})
        sandbox.add_hook(REPO, daemon.receiver.url, SECRET, events=["workflow_run"])
        sandbox.notify_run(REPO, stranger)
        sandbox.hooks.wait()
        fork = deliver(daemon.receiver.port, run_payload(500, head_repo="evil/ApraPipes"))
    finally:
        daemon.stop()
    assert sandbox.deliveries[0].status == 200 and fork[1]["status"] == "ignored: a fork's run"
    assert store.runs() == [] and handler.calls == []
    assert writes(sandbox) == []


def test_a_failing_handler_is_recorded_and_the_daemon_goes_on(store):
    handler = RecordingHandler(error=RuntimeError("the pipeline tripped"))
    daemon = make_daemon(store, handler).start()
    try:
        deliver(daemon.receiver.port, run_payload(600))
        assert wait_for(lambda: final(store, 600))
        handler.error = None
        deliver(daemon.receiver.port, run_payload(601))
        assert wait_for(lambda: final(store, 601))
    finally:
        daemon.stop()
    failed = store.get_run(REPO, 600)
    assert failed["status"] == "failed" and "the pipeline tripped" in failed["error"]
    assert store.get_run(REPO, 601)["status"] == "done"


def test_a_transient_github_failure_puts_the_job_back_with_a_delay(store):
    handler = RecordingHandler(error=ServerError("GitHub server error (502)", 502))
    daemon = make_daemon(store, handler).start()
    try:
        deliver(daemon.receiver.port, run_payload(700))
        assert wait_for(lambda: store.get_run(REPO, 700)["available_at"] is not None)
    finally:
        daemon.stop()
    job = store.get_run(REPO, 700)
    assert job["status"] == "queued" and job["claims"] == 1 and job["available_at"] > job["updated_at"]


def test_stopping_parks_the_current_job_and_releases_the_lock(store):
    handler = RecordingHandler(block=True)
    daemon = make_daemon(store, handler).start()
    deliver(daemon.receiver.port, run_payload(800))
    assert handler.started.wait(5)
    daemon.stop(grace=0.1)
    job = store.get_run(REPO, 800)
    handler.release.set()
    assert daemon.join()
    assert job["status"] == "queued" and job["lease_owner"] is None
    assert store.row("SELECT * FROM kv WHERE key = 'lock:daemon'") is None


def test_a_default_branch_success_feeds_the_rollback_check(store):
    handler = RecordingHandler()
    daemon = make_daemon(store, handler).start()
    try:
        _, answer, _ = deliver(daemon.receiver.port, run_payload(900, conclusion="success"))
        assert wait_for(lambda: final(store, 900))
    finally:
        daemon.stop()
    assert answer["status"] == "outcome"
    assert [run["id"] for _, run in handler.outcomes] == [900] and handler.calls == []


def test_a_run_held_back_by_a_rate_limit_is_queued_again_not_ended(store):
    held = Result(status="denied", decision=SimpleNamespace(rule="rate_limit.prs_per_hour"))
    handler = RecordingHandler()
    handler.handle_run = lambda full_name, run_id, run_attempt=None: (handler.calls.append(run_id), held)[1]
    daemon = make_daemon(store, handler).start()
    try:
        assert deliver(daemon.receiver.port, run_payload(300))[0] == 202
        assert wait_for(lambda: handler.calls == [300])
        assert wait_for(lambda: store.get_run(REPO, 300)["status"] == "queued")
    finally:
        daemon.stop()
    row = store.get_run(REPO, 300)
    assert row["lease_owner"] is None and row["available_at"] > row["created_at"]

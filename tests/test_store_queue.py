"""The run queue: one job per (repo, run_id, run_attempt) under concurrency, leases that expire and are reclaimed."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, datetime, timedelta

import pytest

from agent.store import Store

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "agent.db")
    yield store
    store.close()


def _claim_in_process(path, barrier, results, run_attempt):
    store = Store(path)
    barrier.wait()
    results.put(store.claim_run("Apra-Labs/ApraPipes", 4242, run_attempt, workflow="CI-Linux", event="push"))
    store.close()


def test_webhook_and_poller_threads_claiming_the_same_run_create_exactly_one_job(store):
    barrier, results = threading.Barrier(8), []

    def claim():
        barrier.wait()
        results.append(store.claim_run("Apra-Labs/ApraPipes", 4242, 1, workflow="CI-Linux"))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
    assert len(store.runs()) == 1


def test_processes_claiming_the_same_run_create_exactly_one_job(tmp_path):
    path = tmp_path / "shared.db"
    Store(path).close()
    ctx = multiprocessing.get_context("fork")  # fast; each child opens its own connections
    barrier, results = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_claim_in_process, args=(str(path), barrier, results, 1)) for _ in range(4)]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=30) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    assert sorted(outcomes) == [False, False, False, True]
    assert [proc.exitcode for proc in procs] == [0, 0, 0, 0]
    assert len(Store(path).runs()) == 1


def test_a_rerun_attempt_is_a_new_job(store):
    assert store.claim_run("o/r", 7, 1)
    assert store.claim_run("o/r", 7, 2)
    assert not store.claim_run("o/r", 7, 2)
    assert [(run["run_id"], run["run_attempt"]) for run in store.runs()] == [(7, 1), (7, 2)]


def test_claim_next_leases_oldest_queued_job_and_no_one_else_gets_it(store):
    store.enqueue("o/r", 1)
    store.enqueue("o/r", 2)
    first = store.claim_next("worker-a", lease_seconds=60, now=T0)
    second = store.claim_next("worker-b", lease_seconds=60, now=T0)
    assert (first["run_id"], first["lease_owner"], first["status"]) == (1, "worker-a", "working")
    assert (second["run_id"], second["lease_owner"]) == (2, "worker-b")
    assert store.claim_next("worker-c", now=T0) is None


def test_expired_lease_is_reclaimed_and_the_old_owner_can_no_longer_finish(store):
    store.enqueue("o/r", 1)
    job = store.claim_next("crashed-worker", lease_seconds=60, now=T0)
    assert store.claim_next("worker-b", now=T0 + timedelta(seconds=59)) is None
    reclaimed = store.claim_next("worker-b", lease_seconds=60, now=T0 + timedelta(seconds=61))
    assert reclaimed["id"] == job["id"] and reclaimed["claims"] == 2
    assert not store.finish(job["id"], "crashed-worker")
    assert store.finish(job["id"], "worker-b", status="done", conclusion="fixed")
    assert store.get_run("o/r", 1)["status"] == "done" and store.get_run("o/r", 1)["lease_owner"] is None


def test_renewed_lease_is_not_reclaimed(store):
    store.enqueue("o/r", 1)
    job = store.claim_next("worker-a", lease_seconds=60, now=T0)
    assert store.renew_lease(job["id"], "worker-a", lease_seconds=60, now=T0 + timedelta(seconds=50))
    assert store.claim_next("worker-b", now=T0 + timedelta(seconds=70)) is None


def test_released_job_waits_for_its_delay_before_it_runs_again(store):
    store.enqueue("o/r", 1)
    job = store.claim_next("worker-a", now=T0)
    assert store.release(job["id"], "worker-a", delay_seconds=120, now=T0)
    assert store.claim_next("worker-a", now=T0 + timedelta(seconds=60)) is None
    assert store.claim_next("worker-a", now=T0 + timedelta(seconds=121))["id"] == job["id"]


def test_finish_rejects_an_unknown_status(store):
    store.enqueue("o/r", 1)
    job = store.claim_next("w", now=T0)
    with pytest.raises(ValueError, match="finish status"):
        store.finish(job["id"], "w", status="queued")


def test_replayed_delivery_guid_is_recorded_once(store):
    body = {"action": "completed", "workflow_run": {"id": 1}}
    assert store.record_delivery("72d3162e-cc78-11e3-81ab-4c9367dc0958", "workflow_run", "completed", body)
    assert not store.record_delivery(
        "72d3162e-cc78-11e3-81ab-4c9367dc0958", "workflow_run", "completed", body
    )
    assert store.get_delivery("72d3162e-cc78-11e3-81ab-4c9367dc0958")["body"] == body


def test_queue_survives_reopening_the_database(tmp_path):
    Store(tmp_path / "a.db").enqueue("o/r", 9, workflow="CI")
    reopened = Store(tmp_path / "a.db")
    assert reopened.claim_next("w", now=T0)["workflow"] == "CI"

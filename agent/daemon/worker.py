"""The worker: drains the durable queue through the pipeline, one leased job at a time.

A job's lease is renewed while the pipeline works; a failure is recorded on the job (never a crash);
a transient GitHub failure puts the job back with a delay; a stop parks the job (releases the lease).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from agent.daemon.jsonlog import JsonLog
from agent.daemon.keys import result_key
from agent.github import NetworkError, RateLimited, ServerError, WriteUncertain
from agent.store import Store

TRANSIENT = (NetworkError, ServerError, WriteUncertain, RateLimited)
"""Failures worth another try later: the job goes back to the queue with a delay."""
MAX_CLAIMS = 5
HELD_RETRY_SECONDS = 900.0
"""A run the gate held back by a rate limit is offered again this much later (it stays on the dashboard)."""
MAX_HELD_CLAIMS = 96
"""About a day of re-offers; after that the held run is parked for a human."""
"""A job claimed this many times without finishing is marked failed (no endless retry)."""
PARKED_STATUSES = frozenset({"needs_human", "awaiting_approval"})
"""Pipeline statuses that park the job (it waits for a human) rather than finish it as done."""


class Handler(Protocol):
    """What the worker needs of agent.pipeline.Pipeline."""

    def handle_run(self, full_name: str, run_id: int, run_attempt: int | None = None) -> Any: ...

    def handle_default_branch_outcome(self, full_name: str, run: dict[str, Any]) -> Any: ...


def describe_result(result: Any) -> dict[str, Any]:
    """A JSON-ready summary of a HandleResult (status, urls, category, known issue, decision)."""
    if result is None:
        return {"status": None}
    diagnosis, decision = getattr(result, "diagnosis", None), getattr(result, "decision", None)
    known, plan = getattr(diagnosis, "known_issue", None), getattr(result, "plan", None)
    return {
        "status": getattr(result, "status", None),
        "urls": getattr(result, "urls", None),
        "category": str(diagnosis.category) if diagnosis is not None else None,
        "known_issue": getattr(known, "id", None),
        "confidence": getattr(known, "confidence", None),
        "title": getattr(diagnosis, "title", None),
        "decision": decision.to_dict() if hasattr(decision, "to_dict") else decision,
        "action": str(plan.action) if plan is not None else None,
    }


class LeaseKeeper:
    """One thread per worker that renews the held job's lease every third of its length."""

    def __init__(self, store: Store, owner: str, lease_seconds: float, log: JsonLog):
        self.store, self.owner, self.lease, self.log = store, owner, lease_seconds, log
        self.job_id: int | None = None
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @contextmanager
    def hold(self, job_id: int) -> Iterator[None]:
        """Keep `job_id`'s lease alive for the duration of the block."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=f"lease-{self.owner}", daemon=True)
            self._thread.start()
        self.job_id = job_id
        try:
            yield
        finally:
            self.job_id = None

    def _loop(self) -> None:
        while True:
            self._wake.wait(self.lease / 3)
            job_id = self.job_id
            if job_id is not None and not self.store.renew_lease(job_id, self.owner, self.lease):
                self.log.warning("lease lost", job=job_id, owner=self.owner)


class Worker:
    """Claims the oldest runnable job, hands it to the pipeline, finishes or re-queues it."""

    def __init__(self, store: Store, handler: Handler, owner: str, gh: Any = None, lease_seconds: float = 300.0,
                 max_run_attempts: int = 2, branch_prefix: str = "auto-fix/", log: JsonLog | None = None,
                 on_result: Callable[[dict[str, Any], Any], None] | None = None, repos: list[str] | None = None):
        self.store, self.handler, self.owner, self.gh = store, handler, owner, gh
        self.repos = list(repos) if repos else None
        """The repositories this worker takes jobs of (None: every repository's daemon jobs)."""
        self.lease_seconds, self.max_run_attempts, self.branch_prefix = lease_seconds, max_run_attempts, branch_prefix
        self.log = log or JsonLog()
        self.on_result = on_result
        self.current: dict[str, Any] | None = None
        self.leases = LeaseKeeper(store, owner, lease_seconds, self.log)

    def run(self, stop: threading.Event, idle: float = 0.25) -> None:
        """Work until `stop` is set; sleep `idle` s when the queue is empty."""
        while not stop.is_set():
            if not self.run_once():
                stop.wait(idle)

    def run_once(self) -> bool:
        """Handle one job; False when nothing was runnable."""
        job = self.store.claim_next(self.owner, self.lease_seconds, repos=self.repos)
        if job is None:
            return False
        self.current = job
        self.log.info("job started", job=job["id"], repo=job["repo"], run_id=job["run_id"],
                      run_attempt=job["run_attempt"], claims=job["claims"])
        try:
            with self.leases.hold(job["id"]):
                self._settle(job)
        finally:
            self.current = None
        return True

    def park_current(self) -> dict[str, Any] | None:
        """Give the current job's lease back (on SIGTERM) so a restart takes it at once."""
        job = self.current
        if job is not None and self.store.release(job["id"], self.owner):
            self.log.warning("job parked on stop", job=job["id"], repo=job["repo"], run_id=job["run_id"])
        return job

    def _settle(self, job: dict[str, Any]) -> None:
        started = time.monotonic()
        try:
            status, fields, result = self._handle(job)
        except TRANSIENT as exc:
            return self._retry_later(job, exc)
        except Exception as exc:  # noqa: BLE001 - one bad job must not stop the daemon
            return self._fail(job, exc)
        if held_by_rate_limit(result) and job["claims"] < MAX_HELD_CLAIMS:
            return self._hold(job, result)
        seconds = round(time.monotonic() - started, 3)
        summary = describe_result(result) if result is not None else {"status": fields.get("error", status)}
        if not self.store.finish(job["id"], self.owner, status, **fields):
            self.log.warning("lease lost before the job finished; a later claim redoes it", job=job["id"],
                             repo=job["repo"], run_id=job["run_id"])
            return
        self.store.set_kv(result_key(job["id"]), {**summary, "seconds": seconds})
        self.log.info("job finished", job=job["id"], repo=job["repo"], run_id=job["run_id"], status=status,
                      result=summary, seconds=seconds)
        if self.on_result is not None:
            self.on_result(job, result)

    def _handle(self, job: dict[str, Any]) -> tuple[str, dict[str, Any], Any]:
        """→ (queue status, finish fields, the pipeline's result or None)."""
        if job["run_attempt"] > self.max_run_attempts:
            note = f"run attempt cap ({self.max_run_attempts}) reached: needs a human"
            return "parked", {"error": note}, None
        if (job["head_branch"] or "").startswith(self.branch_prefix):
            return "done", {"error": "ignored: the agent's own branch"}, None
        if job["conclusion"] == "success":
            self.handler.handle_default_branch_outcome(job["repo"], self._run(job))
            return "done", {}, None
        result = self.handler.handle_default_branch_outcome(job["repo"], self._run(job)) if self.gh else None
        if result is None:
            result = self.handler.handle_run(job["repo"], job["run_id"], job["run_attempt"])
        parked = getattr(result, "status", None) in PARKED_STATUSES
        return ("parked" if parked else "done"), {}, result

    def _run(self, job: dict[str, Any]) -> dict[str, Any]:
        """The run object for the rollback check (from GitHub when we can ask)."""
        if self.gh is not None:
            return self.gh.get_run(job["repo"], job["run_id"])
        return {"id": job["run_id"], "run_attempt": job["run_attempt"], "head_branch": job["head_branch"],
                "head_sha": job["head_sha"], "conclusion": job["conclusion"], "path": job["workflow"]}

    def _hold(self, job: dict[str, Any], result: Any) -> None:
        """Queue a rate-limited run again instead of ending it: the limit will pass, the failure will not."""
        self.store.release(job["id"], self.owner, delay_seconds=HELD_RETRY_SECONDS)
        self.log.info("job held by a rate limit", job=job["id"], repo=job["repo"], run_id=job["run_id"],
                      rule=getattr(result.decision, "rule", None), retry_in_seconds=HELD_RETRY_SECONDS)

    def _retry_later(self, job: dict[str, Any], exc: Exception) -> None:
        if job["claims"] >= MAX_CLAIMS:
            return self._fail(job, exc)
        retry_at = getattr(exc, "retry_at", None)
        delay = max(1.0, retry_at - time.time()) if retry_at else min(300.0, 5.0 * 2 ** job["claims"])
        self.store.release(job["id"], self.owner, delay_seconds=delay)
        self.log.warning("job retried later", job=job["id"], repo=job["repo"], run_id=job["run_id"],
                         delay_seconds=round(delay, 1), error=str(exc))

    def _fail(self, job: dict[str, Any], exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"[:500]
        self.store.finish(job["id"], self.owner, "failed", error=error)
        self.store.set_kv(result_key(job["id"]), {"status": "failed", "error": error})
        self.log.error("job failed", job=job["id"], repo=job["repo"], run_id=job["run_id"], error=error)


def held_by_rate_limit(result: Any) -> bool:
    """True when the gate denied the run's plan only because a rate limit is reached for now."""
    rule = getattr(getattr(result, "decision", None), "rule", None) or ""
    return getattr(result, "status", None) == "denied" and rule.startswith("rate_limit.")

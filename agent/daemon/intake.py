"""What a workflow run means to the daemon: a failure to queue, an outcome for the rollback check, or
nothing (with the reason). Webhooks and the poller both come through here, so they dedupe as one."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.daemon.jsonlog import JsonLog
from agent.policy.schema import Actors
from agent.store import Store, utc_now
from agent.store.connection import as_utc

FAILED_CONCLUSIONS = frozenset({"failure", "timed_out"})
"""Conclusions that queue a run for the pipeline (cancelled, skipped, neutral… do not)."""


@dataclass(frozen=True)
class Verdict:
    """`kind`: failure (queue for handle_run), outcome (rollback check) or ignore; `reason` says why."""

    kind: str
    reason: str = ""


def parse_time(value: Any) -> datetime | None:
    """A GitHub timestamp ("2025-01-01T00:00:00Z") as a UTC datetime; None when absent or unreadable."""
    if not value:
        return None
    try:
        return as_utc(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def run_time(run: dict[str, Any]) -> datetime | None:
    """When the run (its latest attempt) was created, as a UTC datetime."""
    return parse_time(run.get("created_at") or run.get("run_started_at"))


def association(run: dict[str, Any]) -> str | None:
    """The author association of the run's actor, when GitHub (or the sandbox) tells it."""
    actor = run.get("actor") or {}
    return actor.get("author_association") if isinstance(actor, dict) else None


def is_fork(run: dict[str, Any], repository: dict[str, Any] | None) -> bool:
    """A run whose head lives in another repository (a fork pull request)."""
    head = (run.get("head_repository") or {}).get("full_name")
    base = (repository or run.get("repository") or {}).get("full_name")
    return bool(head and base and head.lower() != base.lower())


def classify_run(
    run: dict[str, Any], repository: dict[str, Any] | None, actors: Actors, now: datetime
) -> Verdict:
    """Decide what a completed run is to the daemon, by policy.actors (faults #31, #33, #35)."""
    branch = run.get("head_branch") or ""
    conclusion = run.get("conclusion")
    if run.get("status") not in (None, "completed"):
        return Verdict("ignore", f"status {run.get('status')}")
    if branch.startswith(actors.branch_prefix):
        return Verdict("ignore", "the agent's own branch")
    created = run_time(run)
    if created is not None and now - created > timedelta(hours=actors.max_run_age_hours):
        return Verdict("ignore", f"older than {actors.max_run_age_hours:g} h")
    default_branch = (repository or {}).get("default_branch")
    if conclusion == "success":
        on_default = default_branch is not None and branch == default_branch
        return Verdict("outcome") if on_default else Verdict("ignore", "success off the default branch")
    if conclusion not in FAILED_CONCLUSIONS:
        return Verdict("ignore", f"conclusion {conclusion}")
    return _trusted(run, repository, actors)


def _trusted(run: dict[str, Any], repository: dict[str, Any] | None, actors: Actors) -> Verdict:
    if run.get("event") and run["event"] not in actors.events:
        return Verdict("ignore", f"event {run['event']}")
    if is_fork(run, repository) and not actors.act_on_forks:
        return Verdict("ignore", "a fork's run")
    who = association(run)
    if who is not None and who.upper() not in {a.upper() for a in actors.trusted_associations}:
        return Verdict("ignore", f"untrusted actor ({who})")
    return Verdict("failure")


def run_fields(run: dict[str, Any]) -> dict[str, Any]:
    """The queue row's columns from a run object."""
    actor = run.get("actor") or {}
    return {
        "workflow": run.get("path") or run.get("name"),
        "head_branch": run.get("head_branch"),
        "head_sha": run.get("head_sha"),
        "event": run.get("event"),
        "actor": actor.get("login"),
        "association": association(run),
        "conclusion": run.get("conclusion"),
        "created_at": run.get("created_at"),
    }


class Intake:
    """Queues runs durably (record_delivery + claim_run in one BEGIN IMMEDIATE), once per run attempt."""

    def __init__(
        self,
        store: Store,
        actors: Actors,
        repos: Iterable[str] = (),
        log: JsonLog | None = None,
        clock: Callable[[], datetime] = utc_now,
    ):
        self.store, self.actors, self.clock = store, actors, clock
        self.repos = {name.lower() for name in repos}
        self.log = log or JsonLog()

    def watches(self, full_name: str) -> bool:
        """Is this repository one of ours (every repository when none were named)?"""
        return not self.repos or full_name.lower() in self.repos

    def accept_delivery(self, delivery_id: str, event: str, payload: Any) -> str:
        """Record a verified delivery and queue its run; → enqueued, duplicate, outcome or 'ignored: …'."""
        action = payload.get("action") if isinstance(payload, dict) else None
        with self.store.transaction():
            if not self.store.record_delivery(delivery_id, event, action, _summary(event, payload)):
                status = "duplicate"
            else:
                status = self._route(event, action, payload)
                self.store.mark_delivery(delivery_id, status)
        self.log.info("delivery", delivery=delivery_id, github_event=event, action=action, status=status,
                      **_run_ref(payload))
        return status

    def _route(self, event: str, action: str | None, payload: Any) -> str:
        if event == "ping":
            return "ignored: ping"
        if event != "workflow_run":
            return f"ignored: event {event}"
        if action != "completed":
            return f"ignored: action {action}"
        run, repository = payload.get("workflow_run"), payload.get("repository") or {}
        if not isinstance(run, dict) or not repository.get("full_name"):
            return "ignored: no workflow_run"
        return self.accept_run(repository["full_name"], run, repository)

    def accept_run(self, full_name: str, run: dict[str, Any], repository: dict[str, Any] | None = None) -> str:
        """Queue one completed run if it is ours to handle; → enqueued, outcome, duplicate or 'ignored: …'."""
        if not self.watches(full_name):
            return "ignored: repository not watched"
        verdict = classify_run(run, repository, self.actors, self.clock())
        if verdict.kind == "ignore":
            return f"ignored: {verdict.reason}"
        queued = self.store.claim_run(full_name, int(run["id"]), int(run.get("run_attempt") or 1),
                                      **run_fields(run))
        if not queued:
            return "duplicate"
        return "enqueued" if verdict.kind == "failure" else "outcome"


def _summary(event: str, payload: Any) -> dict[str, Any]:
    """What the deliveries table keeps of a payload: the run reference, not 25 MB of JSON."""
    return {"event": event, **_run_ref(payload)}


def _run_ref(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        return {}
    run = payload.get("workflow_run") if isinstance(payload.get("workflow_run"), dict) else {}
    ref = {"repo": (payload.get("repository") or {}).get("full_name"), "run_id": run.get("id"),
           "run_attempt": run.get("run_attempt"), "head_branch": run.get("head_branch"),
           "conclusion": run.get("conclusion")}
    return {key: value for key, value in ref.items() if value is not None}

"""The runner monitor: runs queued too long → which self-hosted runners they wait for → one alert per
offline runner, cleared when it comes back. Incidents stay in the store for trends."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from agent.daemon.alerts import Alerter
from agent.daemon.intake import parse_time
from agent.daemon.jsonlog import JsonLog
from agent.github import GitHubError
from agent.store import Store, utc_now

INCIDENT_KIND = "runner_offline"
QUEUED_AFTER = 600.0
"""Seconds a run may wait in the queue before the monitor asks why."""


def runner_labels(runner: dict[str, Any]) -> set[str]:
    """A runner's labels, lower-cased (the API gives them as objects with a name)."""
    return {(label.get("name") if isinstance(label, dict) else str(label)).lower() for label in runner["labels"]}


def waiting_for(runners: list[dict[str, Any]], labels: set[str]) -> list[dict[str, Any]] | None:
    """The offline runners a job with `labels` waits for; None when an online runner could take it."""
    able = [r for r in runners if labels <= runner_labels(r)]
    if any(r.get("status") == "online" for r in able):
        return None
    return able


class RunnerMonitor:
    """`check_once()` looks at every repository; `run(stop)` repeats every `interval` seconds."""

    def __init__(self, gh: Any, store: Store, repos: Iterable[str], alerter: Alerter,
                 queued_after: float = QUEUED_AFTER, log: JsonLog | None = None,
                 clock: Callable[[], datetime] = utc_now):
        self.gh, self.store, self.alerter = gh, store, alerter
        self.repos, self.queued_after, self.clock = list(repos), queued_after, clock
        self.log = log or JsonLog()

    def run(self, stop: threading.Event, interval: float = 120.0) -> None:
        while not stop.is_set():
            self.check_once()
            stop.wait(max(1.0, interval))

    def check_once(self) -> dict[str, dict[str, list[str]]]:
        """→ {repo: {"alerted": [runner…], "cleared": [runner…]}}; GitHub errors are logged, not raised."""
        report = {}
        for full_name in self.repos:
            try:
                report[full_name] = self.check_repo(full_name)
            except GitHubError as exc:
                self.log.error("runner check failed", repo=full_name, error=str(exc))
        return report

    def check_repo(self, full_name: str) -> dict[str, list[str]]:
        runners = self.gh.list_runners(full_name)
        open_incidents = {i["runner"]: i for i in self.store.incidents(status="open", repo=full_name)
                          if i["kind"] == INCIDENT_KIND}
        offline = self._offline_wanted(full_name, runners)
        alerted = [name for name in offline if name not in open_incidents]
        for name in alerted:
            self._alert(full_name, name, *offline[name])
        online = {r["name"] for r in runners if r.get("status") == "online"}
        cleared = [name for name in open_incidents if name in online]
        for name in cleared:
            self._clear(full_name, open_incidents[name])
        return {"alerted": alerted, "cleared": cleared}

    def _offline_wanted(self, full_name: str, runners: list[dict[str, Any]]) -> dict[str, tuple[list[str], list[int]]]:
        """{offline runner name: (labels waited on, queued run ids)} for runs queued too long."""
        found: dict[str, tuple[list[str], list[int]]] = {}
        for run_id, labels in self._stuck_jobs(full_name):
            waiting = waiting_for(runners, labels)
            if waiting == []:
                self.log.warning("no runner has the labels", repo=full_name, run_id=run_id, labels=sorted(labels))
            for runner in waiting or []:
                _, runs = found.setdefault(runner["name"], (sorted(labels), []))
                if run_id not in runs:
                    runs.append(run_id)
        return found

    def _stuck_jobs(self, full_name: str) -> list[tuple[int, set[str]]]:
        """(run id, labels) of queued self-hosted jobs in runs queued longer than the threshold."""
        cutoff = self.clock() - timedelta(seconds=self.queued_after)
        stuck = []
        for run in self.gh.list_runs(full_name, status="queued"):
            created = parse_time(run.get("created_at"))
            if created is None or created > cutoff:
                continue
            for job in self.gh.list_jobs(full_name, run["id"]):
                labels = {str(label).lower() for label in job.get("labels") or []}
                if job.get("status") == "queued" and "self-hosted" in labels:
                    stuck.append((run["id"], labels))
        return stuck

    def _alert(self, full_name: str, runner: str, labels: list[str], runs: list[int]) -> None:
        ref = self.alerter.open(full_name, runner, labels, runs)
        self.store.record_incident(INCIDENT_KIND, repo=full_name, runner=runner,
                                   detail={"labels": labels, "runs": runs, **ref})
        self.log.warning("runner offline", repo=full_name, runner=runner, labels=labels, runs=runs, **ref)

    def _clear(self, full_name: str, incident: dict[str, Any]) -> None:
        self.alerter.clear(full_name, incident["runner"], incident.get("detail") or {})
        self.store.resolve_incident(incident["id"])
        self.log.info("runner back online", repo=full_name, runner=incident["runner"])

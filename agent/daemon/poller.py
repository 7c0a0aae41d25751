"""The poller: catches what webhooks missed, from a cursor kept per repository (fault #35).

The first pass after a start lists every completed run created since the cursor (bounded by the
policy's max age, so a daemon that was down for days skips old runs instead of mass-processing them);
later passes ask for the first page with an ETag (a 304 costs no rate limit). Rate limited → sleep
until GitHub's reset, never a tight loop (fault #23).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from agent.daemon.intake import Intake, parse_time
from agent.daemon.keys import last_poll_key, poll_cursor_key
from agent.github import GitHubError, RateLimited
from agent.store import iso, utc_now

OVERLAP = timedelta(minutes=10)
"""Re-read this much before the cursor: runs that completed while the previous pass ran."""
MIN_BACKOFF = 1.0
"""Never wait less than this between passes, whatever the clock or the headers say."""


class Poller:
    """`poll_once()` → seconds to back off (0 when fine); `run(stop)` repeats every `interval` s."""

    def __init__(self, gh: Any, intake: Intake, repos: Iterable[str], interval: float = 60.0,
                 clock: Callable[[], datetime] = utc_now, wall: Callable[[], float] = time.time):
        self.gh, self.intake, self.interval = gh, intake, interval
        self.repos = list(repos)
        self.clock, self.wall = clock, wall
        self.store, self.log = intake.store, intake.log
        self._caught_up: set[str] = set()
        self._repo_info: dict[str, dict[str, Any]] = {}
        self.failures: dict[str, str] = {}
        """Repositories whose last poll failed, with the one-line reason (reset every pass)."""

    def run(self, stop: threading.Event) -> None:
        """Poll until `stop` is set; a rate limit stretches the wait to GitHub's reset."""
        while not stop.is_set():
            backoff = self.poll_once()
            stop.wait(max(self.interval, backoff, MIN_BACKOFF))

    def poll_once(self) -> float:
        """One pass over every repository; → seconds to wait before the next pass because of limits."""
        self.failures = {}
        for full_name in self.repos:
            try:
                self.poll_repo(full_name)
            except RateLimited as exc:
                wait = self._until(exc.retry_at)
                self.log.warning("poll rate limited", repo=full_name, sleep_seconds=round(wait, 1))
                return wait
            except GitHubError as exc:
                self.failures[full_name] = str(exc)
                self.log.error("poll failed", repo=full_name, error=str(exc))
        return self._limit_wait()

    def poll_repo(self, full_name: str) -> dict[str, int]:
        """Queue the completed runs of one repository that are newer than its cursor."""
        started = self.clock()
        cursor = parse_time(self.store.get_kv(poll_cursor_key(full_name)))
        runs = self._fetch(full_name, self._since(cursor, started))
        counts: dict[str, int] = {"seen": 0, "enqueued": 0, "ignored": 0}
        if runs is not None:
            repository = self._repository(full_name)
            floor = (cursor - OVERLAP) if cursor else None
            for run in runs:
                if floor is not None and (parse_time(run.get("updated_at")) or started) < floor:
                    continue
                counts["seen"] += 1
                status = self.intake.accept_run(full_name, run, repository)
                if status != "duplicate":
                    counts["enqueued" if status in ("enqueued", "outcome") else "ignored"] += 1
            self.store.set_kv(poll_cursor_key(full_name), iso(started))
        self.store.set_kv(last_poll_key(full_name), {"at": iso(started), "changed": runs is not None, **counts})
        self.log.debug("polled", repo=full_name, changed=runs is not None, **counts)
        return counts

    def _since(self, cursor: datetime | None, now: datetime) -> datetime:
        oldest = now - timedelta(hours=self.intake.actors.max_run_age_hours)
        return max(cursor - OVERLAP, oldest) if cursor else oldest

    def _fetch(self, full_name: str, since: datetime) -> list[dict[str, Any]] | None:
        """Catch up (all runs created since) on the first pass, then the ETag'd first page."""
        if full_name in self._caught_up:
            return self.gh.poll_runs(full_name, status="completed")
        created = ">=" + since.strftime("%Y-%m-%dT%H:%M:%SZ")
        runs = self.gh.list_runs(full_name, status="completed", created=created)
        self._caught_up.add(full_name)
        self.log.info("poll catch-up", repo=full_name, since=iso(since), runs=len(runs))
        return runs

    def _repository(self, full_name: str) -> dict[str, Any]:
        """The repository object (default_branch) — asked once per process."""
        if full_name not in self._repo_info:
            self._repo_info[full_name] = self.gh.repo_info(full_name)
        return self._repo_info[full_name]

    def _limit_wait(self) -> float:
        """Seconds until the reset when the last answer said no requests remain, else 0."""
        headers = getattr(self.gh, "rate_limit", None) or {}
        if headers.get("x-ratelimit-remaining") != "0":
            return 0.0
        try:
            return self._until(float(headers.get("x-ratelimit-reset", "")))
        except ValueError:
            return 60.0

    def _until(self, moment: float | None) -> float:
        return max(MIN_BACKOFF, (moment - self.wall()) if moment else 60.0)

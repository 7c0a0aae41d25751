"""`Daemon`: one per database (a store lock, fault #26) wiring the receiver, poller, workers and monitor."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from agent import __version__
from agent.daemon.alerts import Alerter, GatedAlerter, IssueAlerter, kill_switch_reason
from agent.daemon.config import DaemonConfig, DaemonLocked, PollFailed, poll_failure_message
from agent.daemon.intake import Intake
from agent.daemon.jsonlog import JsonLog
from agent.daemon.keys import DAEMON_LOCK, last_poll_key
from agent.daemon.monitor import RunnerMonitor
from agent.daemon.poller import Poller
from agent.daemon.receiver import SECRET_HELP, WebhookReceiver
from agent.daemon.worker import Handler, Worker
from agent.errors import ConfigError
from agent.store import Store, iso
from agent.store.queue import DAEMON_OWNER


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_is_dead(owner: str) -> bool:
    """A lock owner `host:pid:nonce` on this host whose process is gone (after kill -9)."""
    parts = owner.split(":")
    if len(parts) < 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    return not pid_alive(int(parts[1]))


class Daemon:
    """`start()` … `stop()`, or `run_once()` for a single poll-and-drain pass."""

    def __init__(self, store: Store, gh: Any, handler: Handler, policy: Any, config: DaemonConfig,
                 log: JsonLog | None = None, alerter: Alerter | None = None, poll_gh: Any = None,
                 on_result: Callable[[dict[str, Any], Any], None] | None = None):
        if config.webhooks and not config.secret:
            raise ConfigError(SECRET_HELP)
        self.store, self.gh, self.handler, self.config = store, gh, handler, config
        self.log = log or JsonLog()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.intake = Intake(store, policy.actors, config.repos, self.log)
        self.workers = [Worker(store, handler, f"{self.owner}/w{n}", gh, config.lease_seconds,
                               config.max_run_attempts, policy.actors.branch_prefix, self.log, on_result,
                               repos=config.repos)
                        for n in range(max(1, config.workers))]
        poll_gh = poll_gh or gh
        self.poller = Poller(poll_gh, self.intake, config.repos, config.poll_interval or 60.0)
        if isinstance(alerter, IssueAlerter):
            alerter = GatedAlerter(alerter, kill_switch_reason(store, policy, poll_gh))
        self.monitor = RunnerMonitor(poll_gh, store, config.repos, alerter, config.queued_after, self.log) \
            if alerter is not None else None
        self.receiver: WebhookReceiver | None = None
        self.stopping = threading.Event()
        self.started_at: str | None = None
        self._threads: dict[str, threading.Thread] = {}

    # lifecycle ---------------------------------------------------------------------------------
    def start(self) -> Daemon:
        """Take the lock (DaemonLocked if held), reclaim dead leases, start every part."""
        self._take_lock()
        try:
            self.started_at = iso()
            self._reclaim_leases()
            self._settle_dead_fixes()
            if self.config.webhooks:
                self.receiver = self._listen()
            self._spawn("lock", self._keep_lock)
            for worker in self.workers:
                self._spawn(worker.owner, lambda w=worker: w.run(self.stopping))
            if self.config.poll_interval:
                self._spawn("poller", lambda: self.poller.run(self.stopping))
            if self.config.discover is not None:
                self._spawn("discover", lambda: self._rediscover_until_stopped())
            if self.monitor is not None and self.config.monitor_interval:
                self._spawn("monitor", lambda: self.monitor.run(self.stopping, self.config.monitor_interval))
            if self.config.learn_interval:
                from agent.knowledge.weekly import learn_until_stopped

                self._spawn("learn", lambda: learn_until_stopped(self.stopping, self.gh, self.store,
                                                                 lambda: list(self.config.repos), self.log.emit,
                                                                 self.config.learn_interval))
        except BaseException:
            self.stop()
            raise
        self.log.info("daemon started", owner=self.owner, version=__version__, repos=self.config.repos,
                      url=self.receiver.url if self.receiver else None, db=str(self.store.path))
        return self

    def _listen(self) -> WebhookReceiver:
        """The webhook receiver, listening; ConfigError (one line) when the address cannot be bound."""
        host, port = self.config.host, self.config.port
        try:
            receiver = WebhookReceiver(self.intake, self.config.secret, host, port, self.config.max_body,
                                       health=self.health, log=self.log)
            receiver.pages = self.web_pages(host)
            return receiver.start()
        except OSError as exc:
            raise ConfigError(f"cannot listen for webhooks on {host}:{port} ({exc.strerror or exc}); "
                              f"pick another --webhook-port or --host") from None

    def set_repos(self, repos: list[str]) -> None:
        """Watch exactly `repos` from now on: intake, poller, monitor, workers and pages all follow."""
        names = list(dict.fromkeys(repos))
        self.config.repos = names
        self.intake.repos = {name.lower() for name in names}
        self.poller.repos = list(names)
        if self.monitor is not None:
            self.monitor.repos = list(names)
        for worker in self.workers:
            worker.repos = list(names)
        if self.receiver is not None and self.receiver.pages is not None:
            self.receiver.pages.repos = list(names)

    def rediscover(self) -> bool:
        """Refresh the watched repositories from the organisation; an empty or failed answer keeps the old ones."""
        try:
            found = self.config.discover() if self.config.discover else []
        except Exception as exc:  # noqa: BLE001 - a failed refresh is logged and retried, never fatal
            self.log.warning("repository discovery failed", error=f"{type(exc).__name__}: {exc}")
            return False
        if not found or found == self.config.repos:
            return False
        self.log.info("watched repositories changed", added=sorted(set(found) - set(self.config.repos)),
                      removed=sorted(set(self.config.repos) - set(found)), count=len(found))
        self.set_repos(found)
        return True

    def _rediscover_until_stopped(self) -> None:
        while not self.stopping.wait(self.config.discover_interval):
            self.rediscover()

    def web_pages(self, host: str) -> Any:
        """The dashboard (`/`) and metrics (`/metrics`) served beside the webhooks."""
        from agent.knowledge import load_known_issues
        from agent.web.pages import WebPages

        return WebPages(self.gh, self.store, self.config.repos, load_known_issues(), host)

    def stop(self, grace: float | None = None) -> None:
        """Stop taking work; let the current step finish for `grace` s, else park it; release the lock."""
        self.stopping.set()
        if self.receiver is not None:
            self.receiver.stop()
        deadline = time.monotonic() + (self.config.stop_grace if grace is None else grace)
        for worker in self.workers:
            thread = self._threads.get(worker.owner)
            if thread is not None:
                thread.join(max(0.0, deadline - time.monotonic()))
            if thread is not None and thread.is_alive():
                worker.park_current()
        for name in ("poller", "monitor", "lock"):
            if name in self._threads:
                self._threads[name].join(timeout=2)
        if self.store.release_lock(DAEMON_LOCK, self.owner):
            self.log.info("daemon stopped", owner=self.owner)

    def join(self, timeout: float = 5.0) -> bool:
        """Wait for every thread to end after stop() (a parked job's thread ends when its step does)."""
        deadline = time.monotonic() + timeout
        for thread in self._threads.values():
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads.values())

    def run_once(self) -> dict[str, Any]:
        """`agent watch --once`: poll every repository once, drain the queue, release the lock.

        PollFailed (exit 1) when any repository could not be polled, after the queue was drained.
        """
        self._take_lock()
        try:
            self._reclaim_leases()
            self._settle_dead_fixes()
            backoff = self.poller.poll_once()
            if self.monitor is not None:
                self.monitor.check_once()
            handled = 0
            while self.workers[0].run_once():
                handled += 1
        finally:
            self.store.release_lock(DAEMON_LOCK, self.owner)
        result = {"handled": handled, "rate_limit_backoff": backoff, **self.health()}
        if self.poller.failures:
            self.log.info("once done", handled=handled, poll_failures=self.poller.failures)
            raise PollFailed(poll_failure_message(self.poller.failures, len(self.config.repos)))
        return result

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=f"daemon-{name}", daemon=True)
        self._threads[name] = thread
        thread.start()

    # the lock and the leases -------------------------------------------------------------------
    def _take_lock(self) -> None:
        if self.store.acquire_lock(DAEMON_LOCK, self.owner, self.config.lock_ttl):
            return
        holder = self.lock_holder()
        if holder and owner_is_dead(holder["owner"]):
            self.log.warning("taking over a dead daemon's lock", previous=holder["owner"])
            self.store.release_lock(DAEMON_LOCK, holder["owner"])
            if self.store.acquire_lock(DAEMON_LOCK, self.owner, self.config.lock_ttl):
                return
            holder = self.lock_holder()
        who = holder["owner"] if holder else "another daemon"
        until = holder["expires_at"] if holder else "?"
        raise DaemonLocked(f"another agent daemon ({who}) is running on {self.store.path} (lock until {until}); "
                           f"stop it first, or point AGENT_HOME elsewhere")

    def lock_holder(self) -> dict[str, Any] | None:
        return self.store.row("SELECT owner, expires_at FROM kv WHERE key = ?", (f"lock:{DAEMON_LOCK}",))

    def _keep_lock(self) -> None:
        while not self.stopping.wait(self.config.lock_ttl / 3):
            if not self.store.acquire_lock(DAEMON_LOCK, self.owner, self.config.lock_ttl):
                self.log.error("lost the daemon lock; stopping", owner=self.owner)
                self.stopping.set()

    def _settle_dead_fixes(self) -> None:
        """Runs an `agent fix` process queued and never settled because it died (kill -9): abandoned."""
        for owner in self.store.unsettled_owners("fix:"):
            if owner_is_dead(owner.removeprefix("fix:")):
                self.store.settle_owned(owner, "failed", "abandoned: the agent fix process ended")
                self.log.warning("settled a dead agent fix's run as abandoned", previous=owner)

    def _reclaim_leases(self) -> None:
        """We hold the only lock on this database, so any other lease belongs to a dead daemon (fault #25)."""
        mine, watched = {worker.owner for worker in self.workers}, {name.lower() for name in self.config.repos}
        for job in self.store.runs(status="working"):
            if job.get("job_owner") not in (None, DAEMON_OWNER) or (watched and job["repo"].lower() not in watched):
                continue  # an `agent fix` process's run, or another repository's: not ours to take back
            if job["lease_owner"] not in mine and self.store.release(job["id"], job["lease_owner"]):
                self.log.warning("reclaimed a dead daemon's job", job=job["id"], repo=job["repo"],
                                 run_id=job["run_id"], previous=job["lease_owner"])

    # health ------------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """Queue depth, leases, last poll per repository, version (GET /healthz)."""
        counts = {row["status"]: row["n"] for row in
                  self.store.rows("SELECT status, COUNT(*) AS n FROM runs GROUP BY status")}
        return {
            "status": "stopping" if self.stopping.is_set() else "ok",
            "version": __version__,
            "owner": self.owner,
            "started_at": self.started_at,
            "queue_depth": counts.get("queued", 0),
            "working": counts.get("working", 0),
            "jobs": counts,
            "last_poll": {repo: self.store.get_kv(last_poll_key(repo)) for repo in self.config.repos},
        }

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is queued or working (True), or `timeout` passes (False)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            health = self.health()
            if not health["queue_depth"] and not health["working"]:
                return True
            time.sleep(0.05)
        return False

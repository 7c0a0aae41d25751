"""How the daemon runs (`DaemonConfig`, filled from `agent watch` options) and how it fails to start or poll."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from agent.daemon.monitor import QUEUED_AFTER
from agent.daemon.receiver import MAX_BODY
from agent.errors import AgentError


class DaemonLocked(AgentError):
    """Another daemon holds this database (exit 3)."""

    exit_code = 3


class PollFailed(AgentError):
    """`agent watch --once` could not poll a repository (exit 1): the pass did not see GitHub."""

    exit_code = 1


def poll_failure_message(failures: dict[str, str], total: int) -> str:
    """One line: which repositories could not be polled, and the first reason."""
    repo, reason = next(iter(failures.items()))
    if len(failures) == 1:
        return f"poll failed for {repo}: {reason}"
    return f"poll failed for {len(failures)} of {total} repositories ({', '.join(failures)}); {repo}: {reason}"


@dataclass
class DaemonConfig:
    """How the daemon runs; the CLI fills it from `agent watch` options."""

    repos: list[str] = field(default_factory=list)
    webhooks: bool = True
    host: str = "127.0.0.1"
    port: int = 8787
    secret: str | None = None
    max_body: int = MAX_BODY
    poll_interval: float | None = 60.0
    """Seconds between polls; None or 0: no poller."""
    monitor_interval: float | None = 120.0
    """Seconds between runner checks; None or 0: no monitor."""
    queued_after: float = QUEUED_AFTER
    workers: int = 1
    lease_seconds: float = 300.0
    max_run_attempts: int = 2
    lock_ttl: float = 30.0
    stop_grace: float = 10.0
    discover: Callable[[], list[str]] | None = None
    """With `agent watch --org`: the organisation's repositories now (refreshed every `discover_interval` s)."""
    discover_interval: float = 600.0
    learn_interval: float | None = 3600.0
    """Seconds between checks whether a repository's weekly known-issue learning is due; None or 0: off."""

"""Names the daemon keeps in the store's kv table, shared with `agent status`."""

from __future__ import annotations

DAEMON_LOCK = "daemon"
"""The store lock one daemon holds per database (fault #26); kv key `lock:daemon`."""


def poll_cursor_key(full_name: str) -> str:
    """Where the poller remembers up to when a repository was polled (fault #35)."""
    return f"poll:cursor:{full_name.lower()}"


def last_poll_key(full_name: str) -> str:
    """When the poller last asked GitHub about a repository, and what it found."""
    return f"poll:last:{full_name.lower()}"


def result_key(job_id: int) -> str:
    """What the pipeline answered for one queue job (status, urls)."""
    return f"result:{int(job_id)}"

"""What the daemon is doing and what it did, read from SQLite (for `agent status` and `agent history`)."""

from __future__ import annotations

from typing import Any

from agent.daemon.keys import DAEMON_LOCK, result_key
from agent.store import Store, iso


def daemon_status(store: Store) -> dict[str, Any]:
    """Lock holder, queue depth by status, current leases, last poll per repository, open runner incidents,
    pauses in force."""
    lock = store.row("SELECT owner, expires_at FROM kv WHERE key = ?", (f"lock:{DAEMON_LOCK}",))
    running = bool(lock and lock["expires_at"] and lock["expires_at"] > iso())
    counts = {row["status"]: row["n"] for row in
              store.rows("SELECT status, COUNT(*) AS n FROM runs GROUP BY status")}
    leases = store.rows(
        "SELECT id AS job, repo, run_id, run_attempt, lease_owner, lease_until, claims FROM runs "
        "WHERE status = 'working' ORDER BY id")
    polls = {row["key"].removeprefix("poll:last:"): row["value"] for row in
             store.rows("SELECT key, value FROM kv WHERE key LIKE 'poll:last:%' ORDER BY key")}
    return {
        "daemon": {"running": running, "owner": lock["owner"] if lock else None,
                   "lock_until": lock["expires_at"] if lock else None},
        "queue_depth": counts.get("queued", 0),
        "jobs": counts,
        "leases": leases,
        "last_poll": polls,
        "open_incidents": [_incident(row) for row in store.incidents(status="open")],
        "paused": store.pauses(),
        "db": str(store.path),
    }


def _incident(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in ("id", "kind", "repo", "runner", "detail", "created_at")}


def run_history(store: Store, limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs, newest first: queue status, diagnosis, actions, and the pipeline's answer."""
    runs = store.history(limit)
    for run in runs:
        job = store.row("SELECT id, error FROM runs WHERE repo = ? AND run_id = ? AND run_attempt = ?",
                        (run["repo"], run["run_id"], run["run_attempt"]))
        run["job"] = job["id"] if job else None
        run["note"] = job["error"] if job else None
        run["result"] = store.get_kv(result_key(job["id"])) if job else None
    return runs

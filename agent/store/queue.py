"""Deliveries and the worker queue over `runs`: one row per (repo, run_id, run_attempt), leased."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from agent.store.connection import Connection, clean_json, clean_text, iso, iso_after, repo_key

RUN_FIELDS = frozenset(
    {
        "workflow",
        "head_branch",
        "head_sha",
        "event",
        "actor",
        "association",
        "conclusion",
        "created_at",
        "error",
    }
)
FINAL_STATUSES = ("done", "failed", "parked")
_SAME_RUN = "lower(repo) = ? AND run_id = ? AND run_attempt = ?"
"""One run attempt, its repository name compared case-insensitively (GitHub's names are)."""
DAEMON_OWNER = "daemon"
"""The job owner of runs a daemon queued; a one-off `agent fix` owns its run as `fix:<host>:<pid>:<nonce>`."""


class QueueStore(Connection):
    """Webhook deliveries (dedup by GUID) and the leased job queue (dedup by run key)."""

    def record_delivery(self, id: str, event: str | None, action: str | None, body: Any = None) -> bool:
        """True the first time a delivery GUID is seen; a replay (or redelivery) returns False."""
        body = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        with self.transaction() as db:
            cursor = db.conn.execute(
                "INSERT INTO deliveries (id, event, action, received_at, body) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO NOTHING",
                (clean_text(id), clean_text(event), clean_text(action), iso(), clean_json(body)),
            )
            return cursor.rowcount == 1

    def mark_delivery(self, id: str, status: str) -> None:
        """Note what became of a delivery (enqueued, ignored, rejected)."""
        with self.transaction() as db:
            db.conn.execute("UPDATE deliveries SET status = ? WHERE id = ?", (clean_text(status), id))

    def get_delivery(self, id: str) -> dict[str, Any] | None:
        return self.row("SELECT * FROM deliveries WHERE id = ?", (id,))

    def claim_run(self, repo: str, run_id: int, run_attempt: int = 1, owner: str = DAEMON_OWNER,
                  **fields: Any) -> bool:
        """Insert the run as queued, owned by `owner` (a daemon, or one `agent fix` process); True for exactly
        one caller per (repo, run_id, run_attempt) (fault #5)."""
        unknown = set(fields) - RUN_FIELDS
        if unknown:
            raise ValueError(f"unknown run fields: {sorted(unknown)}")
        now = iso()
        values = {key: clean_text(value) for key, value in fields.items()}
        values["created_at"] = iso(fields.get("created_at") or now)
        columns = ["repo", "run_id", "run_attempt", "status", "updated_at", "job_owner", *values]
        params = [clean_text(repo), int(run_id), int(run_attempt), "queued", now, clean_text(owner),
                  *values.values()]
        sql = (
            f"INSERT INTO runs ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
            "ON CONFLICT (repo, run_id, run_attempt) DO NOTHING"
        )
        with self.transaction() as db:
            if db.conn.execute(f"SELECT 1 FROM runs WHERE {_SAME_RUN}", (repo_key(repo), int(run_id),
                                                                         int(run_attempt))).fetchone():
                return False
            return db.conn.execute(sql, params).rowcount == 1

    enqueue = claim_run
    """The worker-queue name for claim_run: queue a failed run once."""

    def get_run(self, repo: str, run_id: int, run_attempt: int = 1) -> dict[str, Any] | None:
        return self.row(f"SELECT * FROM runs WHERE {_SAME_RUN}", (repo_key(repo), int(run_id), int(run_attempt)))

    def runs(self, status: str | None = None, repo: str | None = None) -> list[dict[str, Any]]:
        """Runs, oldest first, optionally by status and repo."""
        return self.rows(
            "SELECT * FROM runs WHERE (:status IS NULL OR status = :status) "
            "AND (:repo IS NULL OR lower(repo) = :repo) ORDER BY id",
            {"status": status, "repo": repo_key(repo)},
        )

    def claim_next(
        self, owner: str, lease_seconds: float = 300, now: datetime | None = None,
        repos: Iterable[str] | None = None,
    ) -> dict[str, Any] | None:
        """Lease the oldest runnable daemon job: queued and due, or working with an expired lease (fault #25).
        With `repos`, only jobs of those repositories (case-insensitive); a job an `agent fix` owns, never."""
        stamp, watched = iso(now), None if repos is None else sorted({name.lower() for name in repos})
        with self.transaction() as db:
            row = db.conn.execute(
                "SELECT id FROM runs WHERE ((status = 'queued' AND (available_at IS NULL OR available_at <= ?)) "
                "OR (status = 'working' AND lease_until <= ?)) AND (job_owner IS NULL OR job_owner = ?) "
                f"{_repo_filter(watched)} ORDER BY id LIMIT 1",
                (stamp, stamp, DAEMON_OWNER, *(watched or [])),
            ).fetchone()
            if row is None:
                return None
            db.conn.execute(
                "UPDATE runs SET status = 'working', lease_owner = ?, lease_until = ?, available_at = NULL, "
                "claims = claims + 1, updated_at = ? WHERE id = ?",
                (clean_text(owner), iso_after(lease_seconds, now), stamp, row[0]),
            )
            return self.row("SELECT * FROM runs WHERE id = ?", (row[0],))

    def renew_lease(
        self, job_id: int, owner: str, lease_seconds: float = 300, now: datetime | None = None
    ) -> bool:
        """Extend a lease this owner still holds; False if it expired and someone else took the job."""
        return self._update_leased(job_id, owner, "lease_until = ?", [iso_after(lease_seconds, now)], now)

    def release(self, job_id: int, owner: str, delay_seconds: float = 0, now: datetime | None = None) -> bool:
        """Put a leased job back in the queue, runnable again after `delay_seconds`."""
        return self._update_leased(
            job_id,
            owner,
            "status = 'queued', lease_owner = NULL, lease_until = NULL, available_at = ?",
            [iso_after(delay_seconds, now)],
            now,
        )

    def finish(
        self, job_id: int, owner: str, status: str = "done", now: datetime | None = None, **fields: Any
    ) -> bool:
        """End a leased job as done, failed or parked (needs a human); False if the lease was lost."""
        if status not in FINAL_STATUSES:
            raise ValueError(f"finish status must be one of {FINAL_STATUSES}, not {status!r}")
        unknown = set(fields) - {"conclusion", "error"}
        if unknown:
            raise ValueError(f"unknown run fields: {sorted(unknown)}")
        assignments = ", ".join(
            ["status = ?", "lease_owner = NULL", "lease_until = NULL", *(f"{key} = ?" for key in fields)]
        )
        return self._update_leased(
            job_id, owner, assignments, [status, *(clean_text(value) for value in fields.values())], now
        )

    def settle_owned(self, owner: str, status: str = "done", error: str | None = None) -> int:
        """End every unfinished job `owner` (one `agent fix` process) queued: done, or failed when abandoned."""
        if status not in FINAL_STATUSES:
            raise ValueError(f"settle status must be one of {FINAL_STATUSES}, not {status!r}")
        with self.transaction() as db:
            return db.conn.execute(
                "UPDATE runs SET status = ?, error = COALESCE(?, error), lease_owner = NULL, lease_until = NULL, "
                "updated_at = ? WHERE job_owner = ? AND status IN ('queued', 'working')",
                (status, clean_text(error), iso(), clean_text(owner)),
            ).rowcount

    def unsettled_owners(self, prefix: str) -> list[str]:
        """Job owners starting with `prefix` that still have queued or working runs."""
        rows = self.db.conn.execute(
            "SELECT DISTINCT job_owner FROM runs WHERE status IN ('queued', 'working') AND job_owner LIKE ?",
            (prefix.replace("%", "") + "%",),
        ).fetchall()
        return [row[0] for row in rows]

    def _update_leased(
        self, job_id: int, owner: str, assignments: str, params: list, now: datetime | None
    ) -> bool:
        with self.transaction() as db:
            cursor = db.conn.execute(
                f"UPDATE runs SET {assignments}, updated_at = ? "
                "WHERE id = ? AND status = 'working' AND lease_owner = ?",
                [*params, iso(now), int(job_id), clean_text(owner)],
            )
            return cursor.rowcount == 1


def _repo_filter(watched: list[str] | None) -> str:
    """`AND lower(repo) IN (?, …)` for a daemon's watched repositories ('' for every repository)."""
    if watched is None:
        return ""
    return f"AND lower(repo) IN ({', '.join('?' * len(watched))})" if watched else "AND 0"

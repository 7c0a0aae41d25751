"""Small state: key/value cursors, named locks with expiry, saved LLM runs, runner incidents."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from agent.store.connection import Connection, clean_json, clean_text, iso, iso_after, repo_key

GLOBAL_SCOPE = "*"
"""The pause scope that stops every repository."""


class StateStore(Connection):
    """Cursors and locks (kv), the LLM loop's saved runs, and runner incidents."""

    def get_kv(self, key: str, default: Any = None) -> Any:
        """The JSON value stored under `key`, or `default`."""
        row = self.db.conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return default if row is None or row[0] is None else json.loads(row[0])

    def set_kv(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable value under `key` (redacted like everything else)."""
        with self.transaction() as db:
            db.conn.execute(
                "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (clean_text(key), clean_json(value), iso()),
            )

    def delete_kv(self, key: str) -> None:
        with self.transaction() as db:
            db.conn.execute("DELETE FROM kv WHERE key = ?", (key,))

    def pause(self, repo: str | None = None, reason: str = "", by: str | None = None) -> None:
        """Stop every write of every process: for one repository, or (None) for all of them."""
        with self.transaction() as db:
            db.conn.execute(
                "INSERT OR REPLACE INTO pauses (scope, reason, paused_by, at) VALUES (?, ?, ?, ?)",
                (repo_key(repo) or GLOBAL_SCOPE, clean_text(reason), clean_text(by), iso()),
            )

    def resume(self, repo: str | None = None) -> bool:
        """Lift a pause set by pause(repo); False when there was none."""
        with self.transaction() as db:
            cursor = db.conn.execute("DELETE FROM pauses WHERE scope = ?", (repo_key(repo) or GLOBAL_SCOPE,))
            return cursor.rowcount == 1

    def paused(self, repo: str | None = None) -> str | None:
        """Why writes to `repo` are paused (the global pause first), or None when they are not."""
        for scope, label in ((GLOBAL_SCOPE, "all repositories"), (repo_key(repo), repo)):
            row = self.db.conn.execute("SELECT reason, at FROM pauses WHERE scope = ?", (scope,)).fetchone()
            if scope and row is not None:
                return f"paused for {label} since {row[1]}" + (f": {row[0]}" if row[0] else "")
        return None

    def pauses(self) -> list[dict[str, Any]]:
        """Every pause in force: {scope ('*' or a repository), reason, paused_by, at}."""
        return self.rows("SELECT * FROM pauses ORDER BY scope")

    def acquire_lock(
        self, name: str, owner: str, ttl_seconds: float = 60, now: datetime | None = None
    ) -> bool:
        """Take (or renew) a named lock; False while another owner holds an unexpired one (fault #26)."""
        key, stamp = f"lock:{name}", iso(now)
        with self.transaction() as db:
            held = db.conn.execute("SELECT owner, expires_at FROM kv WHERE key = ?", (key,)).fetchone()
            if held and held[0] != owner and held[1] and held[1] > stamp:
                return False
            db.conn.execute(
                "INSERT OR REPLACE INTO kv (key, value, owner, expires_at, updated_at) VALUES (?, NULL, ?, ?, ?)",
                (key, clean_text(owner), iso_after(ttl_seconds, now), stamp),
            )
            return True

    def release_lock(self, name: str, owner: str) -> bool:
        """Give a lock back; False if this owner did not hold it."""
        with self.transaction() as db:
            cursor = db.conn.execute("DELETE FROM kv WHERE key = ? AND owner = ?", (f"lock:{name}", owner))
            return cursor.rowcount == 1

    def save_llm_run(
        self,
        id: str,
        messages: list[Any],
        usage: dict[str, Any] | None = None,
        status: str = "running",
        repo: str | None = None,
        run_id: int | None = None,
        run_attempt: int | None = None,
    ) -> None:
        """Save (or overwrite) an LLM loop's transcript after every step; messages are redacted."""
        with self.transaction() as db:
            db.conn.execute(
                "INSERT INTO llm_runs (id, repo, run_id, run_attempt, messages, usage, status, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "repo = COALESCE(excluded.repo, repo), run_id = COALESCE(excluded.run_id, run_id), "
                "run_attempt = COALESCE(excluded.run_attempt, run_attempt), messages = excluded.messages, "
                "usage = excluded.usage, status = excluded.status, updated_at = excluded.updated_at",
                (
                    clean_text(id),
                    clean_text(repo),
                    run_id,
                    run_attempt,
                    clean_json(messages),
                    clean_json(usage),
                    clean_text(status),
                    iso(),
                ),
            )

    def get_llm_run(self, id: str) -> dict[str, Any] | None:
        """{id, repo, run_id, run_attempt, messages, usage, status, updated_at} or None."""
        return self.row("SELECT * FROM llm_runs WHERE id = ?", (id,))

    def record_incident(
        self, kind: str, repo: str | None = None, runner: str | None = None, detail: Any = None
    ) -> int:
        """Open a runner incident (offline runner, disk full, …); returns its id."""
        now = iso()
        with self.transaction() as db:
            return db.conn.execute(
                "INSERT INTO incidents (kind, repo, runner, detail, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                (clean_text(kind), clean_text(repo), clean_text(runner), clean_json(detail), now, now),
            ).lastrowid

    def resolve_incident(self, id: int) -> None:
        with self.transaction() as db:
            db.conn.execute(
                "UPDATE incidents SET status = 'resolved', updated_at = ? WHERE id = ?", (iso(), int(id))
            )

    def incidents(self, status: str | None = None, repo: str | None = None) -> list[dict[str, Any]]:
        """Incidents, oldest first, optionally by status (open|resolved) and repo."""
        return self.rows(
            "SELECT * FROM incidents WHERE (:status IS NULL OR status = :status) "
            "AND (:repo IS NULL OR lower(repo) = :repo) ORDER BY id",
            {"status": status, "repo": repo_key(repo)},
        )

"""Read-side views: rate-limit usage for the gate, `agent history`, and the integrity check."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from agent.store.connection import Connection, as_utc, clean_text, iso, repo_key, utc_now
from agent.store.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from agent.policy import Usage

RESERVATION_TTL = 3 * 3600
"""Seconds a reservation holds its place: longer than any CI wait; a crashed worker's reservation lapses."""
LIVE = "status != 'failed'"
"""An action counts against a limit while intended or done: an in-flight intent is fail-closed."""

_AUTO_FIXES = f"""
SELECT COUNT(DISTINCT COALESCE(a.plan_id, 'action:' || a.id))
FROM actions a LEFT JOIN plans p ON p.id = a.plan_id
WHERE a.{LIVE} AND a.created_at >= ? AND (? IS NULL OR lower(a.repo) = ?)
  AND (a.kind = 'merge' OR (a.kind = 'pull_request' AND p.action = 'auto_fix'))
"""
_ATTEMPTS = f"""
SELECT COUNT(*) FROM actions WHERE kind = 'pull_request' AND {LIVE} AND lower(repo) = ? AND signature = ?
"""
_LAST_FAILED_FIX = """
SELECT MAX(o.at) FROM outcomes o LEFT JOIN plans p ON p.id = o.plan_id
WHERE o.outcome IN ('ci_failed', 'reverted')
  AND lower(COALESCE(o.repo, p.repo)) = ? AND COALESCE(o.signature, p.signature) = ?
"""
_PRS_SINCE = (f"SELECT COUNT(*) FROM actions WHERE kind = 'pull_request' AND {LIVE} AND created_at >= ? "
              "AND (? IS NULL OR lower(repo) = ?)")
_OPEN_PRS = f"""
SELECT COUNT(*) FROM actions pr WHERE pr.kind = 'pull_request' AND pr.{LIVE} AND (? IS NULL OR lower(pr.repo) = ?)
AND NOT EXISTS (SELECT 1 FROM outcomes o WHERE o.plan_id = pr.plan_id
                AND o.outcome IN ('merged', 'closed_unmerged', 'reverted'))
AND NOT EXISTS (SELECT 1 FROM actions c
                WHERE c.kind IN ('merge', 'close', 'close_pull_request') AND c.status = 'done'
                AND (c.plan_id = pr.plan_id OR (lower(c.repo) = lower(pr.repo) AND c.ref = pr.ref)))
"""
_RERUNS = f"SELECT COUNT(*) FROM actions WHERE kind = 'rerun' AND {LIVE} AND lower(repo) = ? AND run_id = ?"


def _duplicates(kind: str, columns: str) -> str:
    """Count groups of done `kind` actions sharing `columns` (all non-null) more than once."""
    not_null = " AND ".join(f"{column} IS NOT NULL" for column in columns.split(", "))
    return (
        f"SELECT COUNT(*) FROM (SELECT {columns} FROM actions WHERE kind = '{kind}' AND status = 'done' "
        f"AND {not_null} GROUP BY {columns} HAVING COUNT(*) > 1)"
    )


_PROBLEMS: dict[str, str] = {
    "working run without a lease": (
        "SELECT COUNT(*) FROM runs WHERE status = 'working' AND (lease_owner IS NULL OR lease_until IS NULL)"
    ),
    "plan with more than one pull request": _duplicates("pull_request", "plan_id"),
    "pull request recorded twice": _duplicates("pull_request", "repo, ref"),
    "signature with more than one issue": _duplicates("issue", "repo, signature"),
    "decision for an unknown plan": (
        "SELECT COUNT(*) FROM decisions d WHERE NOT EXISTS (SELECT 1 FROM plans p WHERE p.id = d.plan_id)"
    ),
}


class ReportStore(Connection):
    """Counters and summaries computed from the action log."""

    def usage_counts(
        self, repo: str, signature: str, run_id: int | None, now: datetime | str | None = None,
        scope: str = "repository", exclude_plan: str | None = None,
    ) -> dict[str, Any]:
        """The rate-limit counters as a dict (see `usage`); repository names compare case-insensitively."""
        moment, key = as_utc(now), repo_key(repo)
        read, counted = self.scalar, (None, None) if scope == "global" else (key, key)
        last_failed = read(_LAST_FAILED_FIX, (key, signature))
        reserved = self.reserved_counts(key if scope != "global" else None, key, signature, exclude_plan)
        return {
            "auto_fixes_today": read(_AUTO_FIXES, (iso(moment - timedelta(hours=24)), *counted))
            + reserved["auto_fix"],
            "attempts_for_signature": read(_ATTEMPTS, (key, signature)) + reserved["signature"],
            "minutes_since_failed_fix": (
                None if last_failed is None else max(0.0, (moment - as_utc(last_failed)).total_seconds() / 60)
            ),
            "prs_last_hour": read(_PRS_SINCE, (iso(moment - timedelta(hours=1)), *counted)) + reserved["any"],
            "open_agent_prs": read(_OPEN_PRS, counted) + reserved["any"],
            "reruns_for_run": read(_RERUNS, (key, run_id)) if run_id is not None else 0,
        }

    def usage(
        self, repo: str, signature: str, run_id: int | None, now: datetime | str | None = None,
        scope: str = "repository", exclude_plan: str | None = None,
    ) -> Usage:
        """Counters for the gate. Per repository (every repository with scope "global"): auto_fixes_today
        (last 24 h: merges and auto_fix PRs), prs_last_hour, open_agent_prs. Per repo+signature: attempts_for_signature (PRs),
        minutes_since_failed_fix (ci_failed/reverted outcomes). Per repo+run: reruns_for_run.
        Intents and other plans' reservations count (not `exclude_plan`'s own), failed actions do not."""
        from agent.policy import Usage

        return Usage(**self.usage_counts(repo, signature, run_id, now, scope, exclude_plan))

    def reserve(self, plan_id: str, repo: str, signature: str, action: str, holder: str | None = None) -> None:
        """Hold a plan's place against the limits from the decision until its own actions count (release)."""
        with self.transaction() as db:
            db.conn.execute(
                "INSERT OR REPLACE INTO reservations (plan_id, repo, signature, action, holder, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (clean_text(plan_id), repo_key(repo), clean_text(signature), str(action), clean_text(holder), iso()),
            )

    def release_reservation(self, plan_id: str) -> None:
        """Drop a plan's reservation: its actions count now, or it wrote nothing."""
        with self.transaction() as db:
            db.conn.execute("DELETE FROM reservations WHERE plan_id = ?", (plan_id,))

    def reserved_counts(self, repo: str | None, signature_repo: str, signature: str,
                        exclude_plan: str | None = None) -> dict[str, int]:
        """Reservations not yet shown by a live PR or merge: auto_fix ones and all (in `repo`, or every
        repository when None), and those of `signature` in `signature_repo`."""
        pending = (f"SELECT action, lower(repo) AS repo, signature FROM reservations r WHERE NOT EXISTS "
                   f"(SELECT 1 FROM actions a WHERE a.plan_id = r.plan_id AND a.kind IN ('pull_request', 'merge') "
                   f"AND a.{LIVE})")
        fresh = iso(utc_now() - timedelta(seconds=RESERVATION_TTL))
        rows = self.db.conn.execute(pending + " AND r.plan_id IS NOT ? AND r.created_at >= ?",
                                    (exclude_plan, fresh)).fetchall()
        mine = [row for row in rows if repo is None or row[1] == repo]
        return {"auto_fix": sum(row[0] == "auto_fix" for row in mine), "any": len(mine),
                "signature": sum(row[1] == signature_repo and row[2] == signature for row in rows)}

    def history(self, limit: int = 20) -> list[dict[str, Any]]:
        """The latest runs, newest first, each with its diagnosis summary and the actions taken for it."""
        runs = self.rows(
            "SELECT r.repo, r.run_id, r.run_attempt, r.workflow, r.head_branch, r.event, r.actor, r.status, "
            "r.conclusion, r.created_at, r.updated_at, d.signature, d.category, d.known_issue_id "
            "FROM runs r LEFT JOIN diagnoses d ON d.repo = r.repo AND d.run_id = r.run_id "
            "AND d.run_attempt = r.run_attempt ORDER BY r.id DESC LIMIT ?",
            (int(limit),),
        )
        for run in runs:
            run["actions"] = self.rows(
                "SELECT id, kind, status, ref, plan_id, created_at FROM actions WHERE repo = ? AND run_id = ? "
                "ORDER BY id",
                (run["repo"], run["run_id"]),
            )
        return runs

    def integrity_problems(self) -> list[str]:
        """What is wrong, if anything: SQLite's own check, the schema version, and the invariants
        a crash must never break (fault #25): no duplicate PRs or issues, no lease-less working run."""
        problems = [
            line for (line,) in self.db.conn.execute("PRAGMA integrity_check").fetchall() if line != "ok"
        ]
        if self.schema_version() != SCHEMA_VERSION:
            problems.append(f"schema version {self.schema_version()} != {SCHEMA_VERSION}")
        for name, sql in _PROBLEMS.items():
            count = self.scalar(sql)
            if count:
                problems.append(f"{name}: {count}")
        return problems

    def integrity_check(self) -> bool:
        """True when integrity_problems() finds nothing."""
        return not self.integrity_problems()

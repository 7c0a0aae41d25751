"""Test results per run attempt (the flaky detector's observations) and the quarantines in force."""

from __future__ import annotations

from typing import Any

from agent.store.connection import Connection, clean_json, clean_text, iso, repo_key

MAX_CHANGED = 500
"""Changed paths kept per observation (a merge of a big branch is not a test's related change anyway)."""


class TestResultStore(Connection):
    """`record_test_results`, `test_observations`, and quarantine records (in kv)."""

    __test__ = False

    def record_test_results(self, repo: str, run: dict[str, Any], results: list[Any],
                            changed: list[str] | None = None) -> int:
        """Store one attempt's results (`TestResult`s) once; marks the attempt seen even with none. → rows added."""
        key = self.results_key(repo, run["id"], run.get("run_attempt") or 1)
        at = iso(run.get("run_started_at") or run.get("created_at") or None)
        rows = [(clean_text(repo_key(repo)), int(run["id"]), int(run.get("run_attempt") or 1), clean_text(r.job),
                 r.framework, clean_text(r.test_id), clean_text(r.suite), clean_text(r.name), clean_text(r.file),
                 r.status, run.get("head_sha"), clean_text(run.get("path")), clean_text(run.get("head_branch")),
                 clean_json(None if changed is None else changed[:MAX_CHANGED]), at) for r in results]
        with self.transaction() as db:
            before = db.conn.total_changes
            db.conn.executemany(
                "INSERT OR IGNORE INTO test_results (repo, run_id, run_attempt, job, framework, test_id, suite, name, "
                "file, status, head_sha, workflow, branch, changed, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?)", rows)
            added = db.conn.total_changes - before
            self.set_kv(key, {"tests": len(rows), "at": at})
        return added

    @staticmethod
    def results_key(repo: str, run_id: int, attempt: int) -> str:
        return f"tests_seen:{repo_key(repo)}:{int(run_id)}:{int(attempt)}"

    def test_results_seen(self, repo: str, run_id: int, attempt: int) -> bool:
        """True once an attempt's results were recorded (even when it printed none)."""
        return self.get_kv(self.results_key(repo, run_id, attempt)) is not None

    def test_observations(self, repo: str, test_id: str | None = None, framework: str | None = None,
                          workflow: str | None = None, since: str | None = None) -> list[dict[str, Any]]:
        """Recorded results (skipped ones left out), oldest first."""
        terms, values = ["repo = ?", "status != 'skipped'"], [repo_key(repo)]
        for column, value in (("test_id", test_id), ("framework", framework), ("workflow", workflow)):
            if value is not None:
                terms.append(f"{column} = ?")
                values.append(value)
        if since is not None:
            terms.append("at >= ?")
            values.append(iso(since))
        sql = f"SELECT * FROM test_results WHERE {' AND '.join(terms)} ORDER BY at, run_id, run_attempt, id"
        return self.rows(sql, values)

    def last_observed_sha(self, repo: str, workflow: str | None, before: str) -> str | None:
        """The newest head commit with results of the workflow before `before` (ISO time)."""
        row = self.row("SELECT head_sha FROM test_results WHERE repo = ? AND (workflow = ? OR ? IS NULL) AND at < ? "
                       "ORDER BY at DESC LIMIT 1", (repo_key(repo), workflow, workflow, iso(before)))
        return row["head_sha"] if row else None

    def save_quarantine(self, repo: str, test_id: str, framework: str, record: dict[str, Any]) -> None:
        """Remember a quarantine the agent proposed: until, issue, pull request, since."""
        self.set_kv(f"quarantine:{repo_key(repo)}:{framework}:{test_id}", record)

    def quarantine_records(self, repo: str) -> dict[tuple[str, str], dict[str, Any]]:
        """{(framework, test): record} of the repository's quarantines."""
        prefix = f"quarantine:{repo_key(repo)}:"
        rows = self.rows("SELECT key, value FROM kv WHERE key >= ? AND key < ?", (prefix, prefix + "\uffff"))
        out = {}
        for row in rows:
            framework, _, test = row["key"][len(prefix):].partition(":")
            out[(framework, test)] = row["value"]
        return out

    def test_result_repos(self) -> list[str]:
        """Repositories with recorded test results."""
        return [r["repo"] for r in self.rows("SELECT DISTINCT repo FROM test_results ORDER BY repo")]

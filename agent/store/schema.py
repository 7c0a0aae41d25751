"""The SQLite schema, created idempotently; `PRAGMA user_version` holds SCHEMA_VERSION."""

from __future__ import annotations

import re

SCHEMA_VERSION = 1
"""Bump when a table changes incompatibly; new tables and ADDED_COLUMNS are created in place on open."""

RUN_STATUSES = ("queued", "working", "done", "failed", "parked")
ACTION_STATUSES = ("intent", "done", "failed")
OUTCOMES = ("ci_passed", "ci_failed", "merged", "reverted", "closed_unmerged")
JSON_COLUMNS = frozenset({"body", "diagnosis", "plan", "decision", "detail", "value", "messages", "usage", "changed"})
"""Columns holding JSON text; rows come back with these decoded."""

TABLES = """
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY, event TEXT, action TEXT, received_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'received', body TEXT
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    repo TEXT NOT NULL, run_id INTEGER NOT NULL, run_attempt INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'working', 'done', 'failed', 'parked')),
    lease_owner TEXT, lease_until TEXT, available_at TEXT, claims INTEGER NOT NULL DEFAULT 0,
    workflow TEXT, head_branch TEXT, head_sha TEXT, event TEXT, actor TEXT, association TEXT,
    conclusion TEXT, error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, job_owner TEXT,
    UNIQUE (repo, run_id, run_attempt)
);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status, available_at);
CREATE TABLE IF NOT EXISTS diagnoses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    repo TEXT NOT NULL, run_id INTEGER NOT NULL, run_attempt INTEGER NOT NULL DEFAULT 1,
    signature TEXT NOT NULL, category TEXT, known_issue_id TEXT, diagnosis TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (repo, run_id, run_attempt)
);
CREATE INDEX IF NOT EXISTS diagnoses_by_signature ON diagnoses (repo, signature);
CREATE TABLE IF NOT EXISTS plans (
    id TEXT PRIMARY KEY, repo TEXT NOT NULL, run_id INTEGER, run_attempt INTEGER,
    signature TEXT NOT NULL, fix_key TEXT, action TEXT, known_issue_id TEXT, template TEXT,
    plan TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS plans_by_signature ON plans (repo, signature);
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, plan_id TEXT NOT NULL, decision TEXT NOT NULL,
    kind TEXT, rule TEXT, policy_version TEXT, at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_by_plan ON decisions (plan_id);
CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, repo TEXT NOT NULL,
    signature TEXT, run_id INTEGER, plan_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('intent', 'done', 'failed')),
    ref TEXT, detail TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS actions_by_kind ON actions (kind, created_at);
CREATE INDEX IF NOT EXISTS actions_by_signature ON actions (repo, signature);
CREATE INDEX IF NOT EXISTS actions_by_plan ON actions (plan_id);
CREATE TABLE IF NOT EXISTS outcomes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, plan_id TEXT, repo TEXT, signature TEXT,
    fix_key TEXT, known_issue_id TEXT, template TEXT,
    outcome TEXT NOT NULL
        CHECK (outcome IN ('ci_passed', 'ci_failed', 'merged', 'reverted', 'closed_unmerged')),
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outcomes_by_plan ON outcomes (plan_id);
CREATE INDEX IF NOT EXISTS outcomes_by_signature ON outcomes (repo, signature);
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY, value TEXT, owner TEXT, expires_at TEXT, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS llm_runs (
    id TEXT PRIMARY KEY, repo TEXT, run_id INTEGER, run_attempt INTEGER,
    messages TEXT NOT NULL, usage TEXT, status TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pauses (
    scope TEXT PRIMARY KEY, reason TEXT, paused_by TEXT, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reservations (
    plan_id TEXT PRIMARY KEY, repo TEXT NOT NULL, signature TEXT, action TEXT NOT NULL, holder TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, repo TEXT, runner TEXT,
    status TEXT NOT NULL DEFAULT 'open', detail TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS test_results (
    id INTEGER PRIMARY KEY AUTOINCREMENT, repo TEXT NOT NULL, run_id INTEGER NOT NULL,
    run_attempt INTEGER NOT NULL DEFAULT 1, job TEXT NOT NULL DEFAULT '', framework TEXT NOT NULL,
    test_id TEXT NOT NULL, suite TEXT, name TEXT, file TEXT, status TEXT NOT NULL, head_sha TEXT,
    workflow TEXT, branch TEXT, changed TEXT, at TEXT NOT NULL,
    UNIQUE (repo, run_id, run_attempt, job, framework, test_id)
);
CREATE INDEX IF NOT EXISTS test_results_by_test ON test_results (repo, framework, test_id);
"""


ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (("runs", "job_owner", "TEXT"),)
"""(table, column, type) added after a table first shipped: added in place to an older database."""

TABLE_NAMES = frozenset(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", TABLES))
"""Every table the agent creates; a file holding other tables belongs to another program."""


def statements() -> list[str]:
    """The schema as single statements (no statement contains a semicolon)."""
    return [part.strip() for part in TABLES.split(";") if part.strip()]

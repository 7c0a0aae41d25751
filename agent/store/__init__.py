"""The agent's SQLite state (sqlite-utils): WAL, synchronous=FULL, busy_timeout 5 s, BEGIN IMMEDIATE.

Every string written is redacted first (fault #12). Datetimes are UTC ISO-8601 with microseconds.
Each thread gets its own connection, so one Store can be shared by the webhook thread and workers.
"""

from __future__ import annotations

from agent.store.connection import BUSY_TIMEOUT_MS, iso, utc_now
from agent.store.queue import QueueStore
from agent.store.records import RecordStore
from agent.store.reports import ReportStore
from agent.store.schema import ACTION_STATUSES, OUTCOMES, RUN_STATUSES, SCHEMA_VERSION
from agent.store.state import StateStore
from agent.store.tests_results import TestResultStore


class Store(QueueStore, RecordStore, StateStore, ReportStore, TestResultStore):
    """`Store(path=None)` (default: agent.config.db_path()); see the mixins for each table's API."""


__all__ = [
    "ACTION_STATUSES",
    "BUSY_TIMEOUT_MS",
    "OUTCOMES",
    "RUN_STATUSES",
    "SCHEMA_VERSION",
    "Store",
    "iso",
    "utc_now",
]

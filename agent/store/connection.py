"""One SQLite connection per thread (WAL, synchronous=FULL, busy_timeout), transactions, redacted values."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from agent.errors import ConfigError
from agent.logs.redact import redact, redact_obj
from agent.store.schema import ADDED_COLUMNS, JSON_COLUMNS, SCHEMA_VERSION, TABLE_NAMES, statements

BUSY_TIMEOUT_MS = 5000
"""How long a writer waits for another writer's lock before `database is locked`."""
SQLITE_MAGIC = b"SQLite format 3\x00"
"""The first bytes of every SQLite database file."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime | str | None) -> datetime:
    """A timezone-aware UTC datetime; naive datetimes are taken as UTC, None means now."""
    if moment is None:
        return utc_now()
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime | str | None = None) -> str:
    """UTC ISO-8601 with microseconds: one fixed width, so text order is time order."""
    return as_utc(moment).isoformat(timespec="microseconds")


def iso_after(seconds: float, now: datetime | str | None = None) -> str:
    return iso(as_utc(now) + timedelta(seconds=seconds))


def repo_key(name: str | None) -> str | None:
    """A repository name as every store key holds it: GitHub names are case-insensitive, so lower case."""
    return name.strip().lower() if isinstance(name, str) else name


def clean_text(value: Any) -> Any:
    """A string as it may be stored: redacted (fault #12). Other scalars pass through."""
    return redact(value)[0] if isinstance(value, str) else value


def clean_json(value: Any) -> str | None:
    """A JSON column value: every string inside redacted, then serialised."""
    if value is None:
        return None
    return json.dumps(redact_obj(value), ensure_ascii=False, default=str)


def decode_row(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """A row with its JSON columns parsed."""
    if row is None:
        return None
    out = dict(row)
    for column in JSON_COLUMNS & out.keys():
        if isinstance(out[column], str):
            out[column] = json.loads(out[column])
    return out


class Connection:
    """Per-thread connections to one SQLite file, and BEGIN IMMEDIATE transactions over them."""

    def __init__(self, path: str | Path | None = None):
        if path is None:
            from agent.config import db_path

            path = db_path()
        self.path = Path(path)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._check_file()
        try:
            self._create_schema()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise self._unusable(exc) from None

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's database handle (a thread never shares a connection, so never a transaction)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite_utils.Database(self._connect())
        return db

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        with self._lock:
            self._all.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """BEGIN IMMEDIATE … COMMIT (ROLLBACK on error); a nested call joins the open transaction."""
        db = self.db
        if db.conn.in_transaction:
            yield db
            return
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.conn.execute("ROLLBACK")
            raise
        db.conn.execute("COMMIT")

    def _check_file(self) -> None:
        """ConfigError, before SQLite touches anything, when the path cannot hold our database."""
        if self.path.is_dir():
            raise ConfigError(f"{self.path} is a directory, not an agent database (set AGENT_HOME elsewhere)")
        if self.path.is_file() and self.path.stat().st_size:
            with self.path.open("rb") as handle:
                if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
                    raise ConfigError(f"{self.path} is not an agent database (not an SQLite file); "
                                      f"move it aside or set AGENT_HOME elsewhere")
            self._inspect_read_only()
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create {self.path.parent} for the agent database "
                              f"({exc.strerror or exc}); set AGENT_HOME to a writable directory") from None

    def _inspect_read_only(self) -> None:
        """Look inside an existing file without writing to it: corrupt, too new, or another program's."""
        try:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.OperationalError:
            return  # cannot even open it read-only: the normal open reports why
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.OperationalError:
            return
        except sqlite3.DatabaseError as exc:
            raise self._unusable(exc) from None
        finally:
            conn.close()
        foreign = sorted(name for name in names - TABLE_NAMES if not name.startswith("sqlite_"))
        if version == 0 and foreign:
            raise ConfigError(f"{self.path} is not an agent database (it holds other tables: "
                              f"{', '.join(foreign[:5])}); move it aside or set AGENT_HOME elsewhere")

    def _unusable(self, exc: sqlite3.DatabaseError) -> ConfigError:
        """The one-line error for an SQLite failure while opening `self.path`."""
        text = str(exc)
        if isinstance(exc, sqlite3.OperationalError) and "locked" not in text:
            return ConfigError(f"cannot open the agent database {self.path} ({text}); "
                               f"check its permissions or set AGENT_HOME elsewhere")
        if "locked" in text:
            return ConfigError(f"the agent database {self.path} is locked by another process ({text})")
        return ConfigError(f"{self.path} is not an agent database ({text}); move it aside or set AGENT_HOME "
                           f"elsewhere")

    def _create_schema(self) -> None:
        with self.transaction() as db:
            version = db.conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise ConfigError(
                    f"{self.path} has schema version {version}; this agent knows {SCHEMA_VERSION}"
                )
            for statement in statements():
                db.conn.execute(statement)
            for table, column, kind in ADDED_COLUMNS:
                present = {row[1] for row in db.conn.execute(f"PRAGMA table_info({table})")}
                if column not in present:
                    db.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
            db.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def schema_version(self) -> int:
        return self.db.conn.execute("PRAGMA user_version").fetchone()[0]

    def pragmas(self) -> dict[str, Any]:
        """What SQLite reports for this thread's connection: journal_mode, synchronous, busy_timeout."""
        read = self.db.conn.execute
        return {
            "journal_mode": read("PRAGMA journal_mode").fetchone()[0],
            "synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[
                read("PRAGMA synchronous").fetchone()[0]
            ],
            "busy_timeout": read("PRAGMA busy_timeout").fetchone()[0],
        }

    def rows(self, sql: str, params: tuple | list | dict = ()) -> list[dict[str, Any]]:
        """Query rows as dicts with JSON columns decoded."""
        return [decode_row(row) for row in self.db.query(sql, params)]

    def row(self, sql: str, params: tuple | list | dict = ()) -> dict[str, Any] | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def scalar(self, sql: str, params: tuple | list | dict = ()) -> Any:
        return self.db.conn.execute(sql, params).fetchone()[0]

    def close(self) -> None:
        """Close every connection this store opened (on any thread)."""
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

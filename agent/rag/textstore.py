"""The keyword side of the index: chunks, resolutions and an FTS5 table ranked by BM25."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

from agent.rag.chunks import Chunk

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
  id TEXT PRIMARY KEY, kind TEXT, guide TEXT, anchor TEXT, title TEXT, text TEXT, digest TEXT);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
  id UNINDEXED, title, text, tokenize = 'porter unicode61');
CREATE TABLE IF NOT EXISTS resolutions (
  signature TEXT PRIMARY KEY, category TEXT, summary TEXT, fix TEXT, updated_at REAL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_QUERY_TERMS = 48
RESOLUTIONS_GUIDE = "resolutions"


def match_expression(query: str) -> str:
    """An FTS5 OR-query of the query's words, each quoted so log punctuation cannot break the syntax."""
    words = dict.fromkeys(word.lower() for word in _WORD.findall(query))
    return " OR ".join(f'"{word}"' for word in list(words)[:MAX_QUERY_TERMS])


def resolution_chunk(signature: str, category: str, summary: str, fix: str) -> Chunk:
    """A past diagnosis as a searchable section: signature → what fixed it."""
    text = f"Failure signature {signature} ({category}).\n{summary}\n\nWhat fixed it: {fix}"
    return Chunk(f"resolution:{signature}", "resolution", RESOLUTIONS_GUIDE, signature, f"Resolved: {summary}", text)


class TextStore:
    """SQLite file holding every chunk (the source of truth for hits) and its BM25 index."""

    def __init__(self, path: Path):
        self.path = path
        self.db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def digests(self) -> dict[str, str]:
        """Chunk id → content hash of what is stored."""
        return dict(self.db.execute("SELECT id, digest FROM chunks"))

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    def apply(self, upserts: list[Chunk], removals: list[str]) -> None:
        """Write changed chunks and drop removed ones in one transaction; bumps the generation."""
        if not upserts and not removals:
            return
        with self.db:
            for chunk_id in removals + [chunk.id for chunk in upserts]:
                self.db.execute("DELETE FROM chunks WHERE id = ?", (chunk_id,))
                self.db.execute("DELETE FROM chunks_fts WHERE id = ?", (chunk_id,))
            for c in upserts:
                self.db.execute("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (c.id, c.kind, c.guide, c.anchor, c.title, c.text, c.digest))
                self.db.execute("INSERT INTO chunks_fts VALUES (?, ?, ?)", (c.id, c.title, c.text))
            self._set_meta("generation", str(self.generation() + 1))

    def chunks(self, ids: list[str] | None = None) -> dict[str, Chunk]:
        """Stored chunks by id (all of them when ids is None)."""
        sql = "SELECT id, kind, guide, anchor, title, text FROM chunks"
        if ids is None:
            return {row[0]: Chunk(*row) for row in self.db.execute(sql)}
        marks = ",".join("?" * len(ids))
        return {row[0]: Chunk(*row) for row in self.db.execute(f"{sql} WHERE id IN ({marks})", ids)}

    def bm25(self, query: str, limit: int) -> list[tuple[str, float]]:
        """(chunk id, score) best first; higher is better. Titles weigh three times the body."""
        expression = match_expression(query)
        if not expression:
            return []
        rows = self.db.execute(
            "SELECT id, bm25(chunks_fts, 0.0, 3.0, 1.0) AS rank FROM chunks_fts "
            "WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?", (expression, limit))
        return [(chunk_id, -rank) for chunk_id, rank in rows]

    def save_resolution(self, signature: str, category: str, summary: str, fix: str) -> Chunk:
        """Store (or replace) a resolved diagnosis and its searchable chunk."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO resolutions VALUES (?, ?, ?, ?, ?)",
                            (signature, category, summary, fix, time.time()))
        chunk = resolution_chunk(signature, category, summary, fix)
        self.apply([chunk], [])
        return chunk

    def resolution_chunks(self) -> list[Chunk]:
        rows = self.db.execute("SELECT signature, category, summary, fix FROM resolutions ORDER BY signature")
        return [resolution_chunk(*row) for row in rows]

    def generation(self) -> int:
        """A counter bumped on every write; the vector side records which one it has caught up to."""
        return int(self.get_meta("generation") or 0)

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.db:
            self._set_meta(key, value)

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def get_json(self, key: str):
        raw = self.get_meta(key)
        return json.loads(raw) if raw else None

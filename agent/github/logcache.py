"""A bounded on-disk cache of downloaded logs (gzip files under $AGENT_CACHE), least recently used out first."""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from pathlib import Path

MAX_ENTRIES = 64
"""Logs kept at most; the least recently read go first."""
MAX_BYTES = 256 << 20
"""Compressed bytes kept at most."""
SUFFIX = ".log.gz"


class LogCache:
    """`get(key)` / `put(key, data)` of log bytes; every error reads as a miss, never as a failure."""

    def __init__(self, root: Path, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES):
        self.root, self.max_entries, self.max_bytes = Path(root), max_entries, max_bytes

    def path(self, key: str) -> Path:
        return self.root / (hashlib.sha256(key.encode("utf-8")).hexdigest()[:40] + SUFFIX)

    def get(self, key: str) -> bytes | None:
        """The cached bytes of `key` (marked as just used), or None."""
        path = self.path(key)
        try:
            raw = path.read_bytes()
            data = gzip.decompress(raw) if raw else None
            os.utime(path)
        except (OSError, EOFError, gzip.BadGzipFile):
            return None
        return data

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key` (atomically), then trim the cache to its bounds."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=self.root, suffix=".tmp")
            with os.fdopen(handle, "wb") as out:
                out.write(gzip.compress(bytes(data), compresslevel=6))
            os.replace(temp, self.path(key))
            self.trim()
        except OSError:
            return

    def entries(self) -> list[Path]:
        """Cached files, most recently used first."""
        found = []
        for path in self.root.glob("*" + SUFFIX):
            try:
                found.append((path.stat().st_mtime_ns, path))
            except OSError:
                continue
        return [path for _, path in sorted(found, reverse=True)]

    def trim(self) -> None:
        """Remove the least recently used files past MAX_ENTRIES or MAX_BYTES."""
        total = 0
        for count, path in enumerate(self.entries(), start=1):
            try:
                total += path.stat().st_size
                if count > self.max_entries or total > self.max_bytes:
                    path.unlink()
            except OSError:
                continue

"""Structured logs: one JSON object per line on stderr, and listeners (the demo's timeline)."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from typing import Any, TextIO

from agent.store import iso

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}


class JsonLog:
    """`log.info("event", key=value, …)` → {"ts", "level", "event", …} on one line."""

    def __init__(self, stream: TextIO | None = None, level: str = "info"):
        self.stream = stream if stream is not None else sys.stderr
        self.threshold = LEVELS[level]
        self._lock = threading.Lock()
        self._listeners: list[Callable[[dict[str, Any]], None]] = []

    def subscribe(self, listener: Callable[[dict[str, Any]], None]) -> None:
        """Call `listener(record)` for every record, whatever the level."""
        self._listeners.append(listener)

    def emit(self, level: str, event: str, **fields: Any) -> dict[str, Any]:
        record = {"ts": iso(), "level": level, "event": event, **fields}
        for listener in list(self._listeners):
            listener(record)
        if LEVELS[level] >= self.threshold:
            line = json.dumps(record, default=str, ensure_ascii=False)
            with self._lock:
                self.stream.write(line + "\n")
                self.stream.flush()
        return record

    def debug(self, event: str, **fields: Any) -> None:
        self.emit("debug", event, **fields)

    def info(self, event: str, **fields: Any) -> None:
        self.emit("info", event, **fields)

    def warning(self, event: str, **fields: Any) -> None:
        self.emit("warning", event, **fields)

    def error(self, event: str, **fields: Any) -> None:
        self.emit("error", event, **fields)


class NullStream:
    """A stream that drops everything (quiet logs for the demo and tests)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

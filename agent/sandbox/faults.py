"""Fault injection, switchable per test: `sb.faults.add(kind, method=None, path=None, times=1, **kw)`."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

KINDS = ("secondary_rate_limit", "primary_exhausted", "server_error", "slow", "drop_after_write",
         "expire_log_url", "not_accessible")
"""secondary_rate_limit (kw status=403 or 429, retry_after=1), primary_exhausted (the token's bucket
is emptied until kw reset_in=2 s from now: every counted request answers 403 until then), server_error (kw status=502), slow (kw seconds=1), drop_after_write
(the write happens, the connection drops unanswered), expire_log_url (the signed URL is already
expired), not_accessible (403 "Resource not accessible by integration")."""

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Fault:
    kind: str
    method: str | None = None
    path: str | None = None
    times: int = 1
    kw: dict[str, Any] = field(default_factory=dict)
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Does this fault apply to METHOD PATH (path is a regex searched in the request path)?"""
        if self.times <= 0 or (self.method and self.method.upper() != method):
            return False
        if self.kind == "drop_after_write" and method not in WRITE_METHODS:
            return False
        return self.path is None or re.search(self.path, path) is not None


class Faults:
    """The active faults; each fires up to `times` times (times=-1: forever)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: str, method: str | None = None, path: str | None = None, times: int = 1,
            **kw: Any) -> Fault:
        """Arm a fault of `kind` for requests matching METHOD and the PATH regex."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS)}")
        fault = Fault(kind, method, path, 10**9 if times < 0 else times, kw)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, kinds: tuple[str, ...], method: str, path: str) -> Fault | None:
        """The first armed fault of one of `kinds` matching the request, consuming one firing."""
        with self._lock:
            for fault in self._faults:
                if fault.kind in kinds and fault.matches(method, path):
                    fault.times -= 1
                    fault.fired += 1
                    return fault
        return None

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._faults.clear()

    def __len__(self) -> int:
        return sum(1 for f in self._faults if f.times > 0)

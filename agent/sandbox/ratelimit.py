"""Primary rate-limit buckets per token and resource, with GitHub's x-ratelimit-* headers."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


@dataclass
class Bucket:
    limit: int
    resource: str
    used: int = 0
    reset: float = 0.0

    def refresh(self, now: float) -> None:
        """Start a new hour window when the old one has passed."""
        if now >= self.reset:
            self.used, self.reset = 0, math.ceil(now + 3600)

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def headers(self) -> dict[str, str]:
        """The x-ratelimit-* headers GitHub sends on every answer."""
        return {"x-ratelimit-limit": str(self.limit), "x-ratelimit-remaining": str(self.remaining),
                "x-ratelimit-reset": str(int(self.reset)), "x-ratelimit-used": str(self.used),
                "x-ratelimit-resource": self.resource}

    def json(self) -> dict[str, int | str]:
        return {"limit": self.limit, "remaining": self.remaining, "reset": int(self.reset),
                "used": self.used, "resource": self.resource}


class RateLimits:
    """Buckets keyed by (token, resource)."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._lock = threading.Lock()

    def bucket(self, token: str, resource: str, limit: int) -> Bucket:
        """The token's bucket for `resource`, refreshed if its window passed."""
        with self._lock:
            bucket = self._buckets.setdefault((token, resource), Bucket(limit, resource))
            bucket.refresh(time.time())
            return bucket

    def spend(self, token: str, resource: str, limit: int) -> Bucket:
        """Count one request."""
        bucket = self.bucket(token, resource, limit)
        with self._lock:
            bucket.used += 1
        return bucket

    def exhaust(self, token: str, resource: str, limit: int, reset_in: float) -> Bucket:
        """Empty the bucket until `reset_in` seconds from now."""
        bucket = self.bucket(token, resource, limit)
        with self._lock:
            bucket.used, bucket.reset = bucket.limit, math.ceil(time.time() + reset_in)
        return bucket

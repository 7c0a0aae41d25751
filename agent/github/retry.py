"""Our retry policy: honour retry-after, then x-ratelimit-reset; capped backoff with jitter; bounded."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests

from agent.github.errors import (
    AuthError,
    Failure,
    HttpFailure,
    WriteUncertain,
    classify,
    is_rate_limit,
    is_secondary_limit,
)
from agent.github.transport import connection_failure
from agent.metrics import count_rate_limit_wait

T = TypeVar("T")
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
RETRYABLE_5XX = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds for retrying one GitHub call."""

    max_attempts: int = 5
    """Requests per call, the first included (a 401 token refresh adds one)."""
    max_total_wait: float = 900.0
    """Seconds one call may spend sleeping; a longer instruction fails fast with RateLimited.retry_at."""
    backoff_base: float = 1.0
    """First backoff for 5xx / dropped connections; doubles per attempt."""
    backoff_cap: float = 60.0
    """Largest single backoff."""
    secondary_min_wait: float = 60.0
    """GitHub: on a secondary limit without retry-after, wait at least a minute."""
    reset_margin: float = 1.0
    """Added to x-ratelimit-reset, so the retry lands after the window really reset."""
    min_rate_limit_wait: float = 1.0
    """Floor for any rate-limit wait (a reset already past, or retry-after: 0), so we never spin."""
    jitter: float = 0.1
    """Extra fraction (0..jitter) added on top of every wait; never shortens an instruction."""
    unreached_attempts: int = 2
    """Attempts when the host refuses or cannot be resolved before it ever answered (a wrong URL fails fast)."""
    unreached_backoff: float = 0.5
    """The wait between those attempts."""


def instructed_wait(failure: Failure, now: float, reset_margin: float = 0.0) -> float | None:
    """Seconds GitHub told us to wait: retry-after first, then x-ratelimit-reset when remaining is 0."""
    retry_after = failure.header("retry-after")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            pass
    reset = failure.header("x-ratelimit-reset")
    if failure.header("x-ratelimit-remaining") == "0" and reset is not None:
        try:
            return max(0.0, float(reset) - now) + reset_margin
        except ValueError:
            return None
    return None


def backoff(attempt: int, policy: RetryPolicy) -> float:
    """Capped exponential backoff for attempt n (1-based): base, 2·base, 4·base, … ≤ cap."""
    return min(policy.backoff_cap, policy.backoff_base * 2 ** (attempt - 1))


def retry_delay(failure: Failure, attempt: int, policy: RetryPolicy, now: float,
                idempotent: bool) -> float | None:
    """Seconds to wait before the next attempt, before jitter; None when this failure is final."""
    if failure.status is None:
        return backoff(attempt, policy) if idempotent or failure.never_sent else None
    if failure.status in (403, 429):
        if not is_rate_limit(failure):
            return None
        told = instructed_wait(failure, now, policy.reset_margin)
        if told is not None:
            return max(policy.min_rate_limit_wait, told)
        floor = policy.secondary_min_wait if is_secondary_limit(failure) else policy.min_rate_limit_wait
        return max(floor, backoff(attempt, policy))
    if failure.status in RETRYABLE_5XX and idempotent:
        return backoff(attempt, policy)
    return None


class Retrier:
    """Runs one call under a RetryPolicy; sleep, clock and random are edges a test may replace."""

    def __init__(self, policy: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time, rand: Callable[[], float] = random.random):
        self.policy = policy or RetryPolicy()
        self.sleep, self.clock, self.rand = sleep, clock, rand
        self.slept: list[float] = []
        """Every wait this retrier made, in order (for logs and tests)."""
        self.answered = False
        """Whether the server ever answered; until it has, a refused connection is not waited out."""

    def run(self, attempt: Callable[[], T], what: str, idempotent: bool,
            reauth: Callable[[], bool] | None = None) -> T:
        """Call `attempt` until it succeeds or the failure is final; raise a typed GitHubError."""
        waited, reauthed, n = 0.0, False, 0
        while True:
            n += 1
            failure = self._try(attempt)
            if not isinstance(failure, Failure):
                return failure.value
            if failure.status == 401 and reauth is not None and not reauthed:
                reauthed, n = True, n - 1
                if reauth():
                    continue
                raise AuthError(f"GitHub rejected the credentials (401) for {what}: {failure.message}", 401)
            delay = self._next_delay(failure, n, idempotent)
            if delay is None or n >= self.policy.max_attempts or waited + delay > self.policy.max_total_wait:
                raise self._final(failure, what, idempotent, delay)
            if failure.status in (403, 429):
                count_rate_limit_wait()
            self.sleep(delay)
            self.slept.append(delay)
            waited += delay

    def _try(self, attempt: Callable[[], T]) -> _Ok | Failure:
        try:
            result: _Ok | Failure = _Ok(attempt())
        except HttpFailure as exc:
            result = exc.failure
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                ConnectionError, TimeoutError) as exc:
            return connection_failure(exc)
        self.answered = True
        return result

    def _next_delay(self, failure: Failure, n: int, idempotent: bool) -> float | None:
        if failure.never_sent and not self.answered:
            return self.policy.unreached_backoff if n < self.policy.unreached_attempts else None
        delay = retry_delay(failure, n, self.policy, self.clock(), idempotent)
        if delay is None:
            return None
        return delay * (1.0 + self.policy.jitter * self.rand())

    def _final(self, failure: Failure, what: str, idempotent: bool, delay: float | None) -> Exception:
        lost_answer = (failure.status is None and not failure.never_sent) or failure.status in RETRYABLE_5XX
        if lost_answer and not idempotent:
            return WriteUncertain(
                f"{what} lost its answer ({failure.status or 'connection dropped'}): the write may "
                f"have been applied; reconcile before repeating", failure.status)
        retry_at = self.clock() + delay if delay is not None else None
        return classify(failure, what, retry_at)


@dataclass
class _Ok:
    value: object

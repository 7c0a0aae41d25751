"""AnthropicModel: the Model backed by the Messages API — the only module that imports `anthropic`.

Retries are ours, not the SDK's (the client runs with max_retries=0), so that every wait is
visible and testable: 408/409/429/5xx/529 and connection errors are retried with full-jitter
exponential backoff, honouring `retry-after` up to `max_wait`; then the call gives up with
`ModelUnavailable` (the job stays pending, never "fixed"; fault #18). After `breaker_threshold`
give-ups in a row a circuit breaker fails calls at once for `breaker_cooldown` seconds.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import Any

import anthropic

from agent.errors import ConfigError
from agent.llm.model import ModelError, ModelUnavailable, Response, Usage
from agent.logs.redact import register_secret

DEFAULT_MODEL = "claude-sonnet-5-5"
RETRYABLE_STATUS = frozenset({408, 409, 429})


class AnthropicModel:
    """Claude over the Messages API, with bounded retries and a circuit breaker."""

    def __init__(self, model: str | None = None, base_url: str | None = None, api_key: str | None = None,
                 max_retries: int = 3, max_tokens: int = 4096, timeout: float = 120.0,
                 backoff_base: float = 1.0, backoff_cap: float = 30.0, max_wait: float = 60.0,
                 breaker_threshold: int = 3, breaker_cooldown: float = 300.0,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 jitter: Callable[[], float] = random.random):
        self.name = model or os.environ.get("AGENT_MODEL") or DEFAULT_MODEL
        key = api_key or os.environ.get("ANTHROPIC_API_KEY")
        if not key:
            raise ConfigError("ANTHROPIC_API_KEY is not set (or use the offline/scripted model)")
        register_secret(key, "anthropic-key")
        self.client = anthropic.Anthropic(api_key=key, base_url=base_url, max_retries=0, timeout=timeout)
        self.max_retries, self.max_tokens = max_retries, max_tokens
        self.backoff_base, self.backoff_cap, self.max_wait = backoff_base, backoff_cap, max_wait
        self.breaker_threshold, self.breaker_cooldown = breaker_threshold, breaker_cooldown
        self.sleep, self.clock, self.jitter = sleep, clock, jitter
        self.failures_in_a_row, self.open_until = 0, 0.0
        self.waits: list[float] = []
        """Every backoff wait taken, in seconds (for tests and logs)."""

    def complete(self, system: list[dict[str, Any]], messages: list[dict[str, Any]],
                 tools: list[dict[str, Any]]) -> Response:
        """One assistant turn; raises ModelUnavailable after the retries, ModelError on a rejected request."""
        if self.clock() < self.open_until:
            raise ModelUnavailable(f"Anthropic circuit open after {self.failures_in_a_row} failed calls; not calling")
        for attempt in range(self.max_retries + 1):
            try:
                message = self.client.messages.create(model=self.name, max_tokens=self.max_tokens, system=system,
                                                      messages=messages, tools=tools)
            except anthropic.APIStatusError as error:
                if not retryable(error.status_code):
                    raise ModelError(f"Anthropic rejected the request: {error.status_code} {error.message}") from None
                failure: Exception = error
            except anthropic.APIConnectionError as error:
                failure = error
            else:
                self.failures_in_a_row = 0
                return to_response(message)
            wait = self.wait_before_retry(attempt, failure)
            if wait is None:
                break
            self.waits.append(wait)
            self.sleep(wait)
        raise self.give_up(failure)

    def wait_before_retry(self, attempt: int, error: Exception) -> float | None:
        """Seconds to wait before the next attempt, or None to give up now."""
        if attempt >= self.max_retries:
            return None
        hinted = retry_after(error)
        if hinted is not None and hinted > self.max_wait:
            return None
        backoff = self.jitter() * min(self.backoff_cap, self.backoff_base * 2 ** attempt)
        return max(hinted or 0.0, backoff)

    def give_up(self, error: Exception) -> ModelUnavailable:
        self.failures_in_a_row += 1
        if self.failures_in_a_row >= self.breaker_threshold:
            self.open_until = self.clock() + self.breaker_cooldown
        status = getattr(error, "status_code", None)
        what = f"HTTP {status}" if status else type(error).__name__
        return ModelUnavailable(f"Anthropic unavailable after {self.max_retries + 1} attempts ({what})")


def retryable(status: int) -> bool:
    """Whether an HTTP status is worth another attempt (rate limit, overload, server error)."""
    return status in RETRYABLE_STATUS or status >= 500


def retry_after(error: Exception) -> float | None:
    """The server's `retry-after` hint in seconds, if it sent a numeric one."""
    response = getattr(error, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def to_response(message: Any) -> Response:
    """Our Response from an SDK Message; blocks become the plain dicts the API accepts back."""
    return Response([to_block(block) for block in message.content], message.stop_reason,
                    Usage.from_api(message.usage), message.model, message.id)


def to_block(block: Any) -> dict[str, Any]:
    """One content block as a dict: text and tool_use trimmed to what the API takes back."""
    if block.type == "text":
        return {"type": "text", "text": block.text}
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    return block.model_dump(mode="json", exclude_none=True)

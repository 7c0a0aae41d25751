"""The loop's bounds and the one exception every way of stopping raises."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

STATUSES = ("submitted", "answered", "refused", "limit_reached", "needs_human", "model_unavailable",
            "model_error")
"""How a loop run ends; only "submitted" hands a plan to the gate."""


class Limits(BaseModel):
    """Bounds checked before every model call (fault #17); every one is non-zero."""

    model_config = ConfigDict(extra="forbid")

    max_turns: int = Field(20, gt=0)
    """Model calls per run."""
    max_input_tokens: int = Field(400_000, gt=0)
    """Prompt tokens per run, cached or not, including the next request's estimate."""
    max_cost_usd: float = Field(2.0, gt=0)
    """Estimated spend per run, including the next request's input."""
    max_seconds: float = Field(300.0, gt=0)
    """Wall-clock time per run."""
    max_consecutive_errors: int = Field(3, gt=0)
    """Tool results with is_error in a row before the run stops needs_human."""
    max_repairs: int = Field(1, ge=0)
    """Turns with a malformed tool call the model may repair before the run stops needs_human (fault #16)."""
    daily_budget_usd: float | None = Field(None, ge=0)
    """Model spend allowed per UTC day across every analysis (None: no daily budget)."""
    spent_today: Callable[[], float] | None = Field(None, exclude=True)
    """Today's spend so far, this run's saved steps included, read fresh before every call (the store)."""

    def exceeded(self, turns: int, prompt_tokens: int, cost_usd: float, seconds: float,
                 next_tokens: int, next_cost_usd: float) -> str | None:
        """Which bound the next call would break, as a sentence; None when it may go ahead."""
        if turns >= self.max_turns:
            return f"max_turns reached ({turns} of {self.max_turns})"
        if prompt_tokens + next_tokens > self.max_input_tokens:
            return f"max_input_tokens reached ({prompt_tokens} used + ~{next_tokens} next > {self.max_input_tokens})"
        if cost_usd + next_cost_usd > self.max_cost_usd:
            return f"max_cost_usd reached (${cost_usd:.4f} spent + ~${next_cost_usd:.4f} next > ${self.max_cost_usd})"
        if seconds >= self.max_seconds:
            return f"max_seconds reached ({seconds:.1f} s of {self.max_seconds})"
        return self.over_daily_budget(next_cost_usd)

    def over_daily_budget(self, next_cost_usd: float) -> str | None:
        """The daily budget as a sentence when the next call would break it; None without a budget."""
        if self.daily_budget_usd is None or self.spent_today is None:
            return None
        today = self.spent_today()
        if today + next_cost_usd > self.daily_budget_usd:
            return (f"daily_budget_usd reached (${today:.4f} spent today + ~${next_cost_usd:.4f} next "
                    f"> ${self.daily_budget_usd})")
        return None


class Stop(Exception):
    """The run is over: a status, a reason, and the messages to append to the transcript first."""

    def __init__(self, status: str, reason: str, messages: list[dict[str, Any]] | None = None):
        super().__init__(f"{status}: {reason}")
        if status not in STATUSES:
            raise ValueError(f"unknown loop status {status!r}")
        self.status, self.reason, self.messages = status, reason, list(messages or [])

"""Rate limits as a tiny module of named counters (after Renovate's limits.ts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from agent.models import Action

if TYPE_CHECKING:
    from agent.policy.schema import RateLimits

_FIX_ACTIONS = frozenset({Action.auto_fix, Action.pull_request})


class Usage(BaseModel):
    """What the agent has already done, as counted by the store for one repo/signature/run."""

    model_config = ConfigDict(extra="forbid")

    auto_fixes_today: int = Field(0, description="Auto-fixes carried out in the last 24 hours.")
    attempts_for_signature: int = Field(0, description="Fix attempts (PRs or auto-fixes) for this signature.")
    minutes_since_failed_fix: float | None = Field(
        None, description="Minutes since the last fix that failed CI or was reverted; None if never."
    )
    prs_last_hour: int = Field(0, description="Pull requests the agent opened in the last hour.")
    open_agent_prs: int = Field(0, description="The agent's pull requests that are still open.")
    reruns_for_run: int = Field(0, description="Re-runs the agent already requested for this run.")


@dataclass(frozen=True)
class Limit:
    """One named limit: which usage counter it reads and which actions it holds back."""

    name: str
    counter: str
    actions: frozenset[Action]
    cooldown: bool = False

    def exceeded(self, usage: Usage, limits: RateLimits) -> bool:
        """True when the counter has reached the limit (a limit of 0 blocks; a cool-down of 0 is off)."""
        allowed = getattr(limits, self.name)
        used = getattr(usage, self.counter)
        if self.cooldown:
            return used is not None and used < allowed
        return used >= allowed

    def describe(self, usage: Usage, limits: RateLimits) -> str:
        """A short account of the counter against the limit, for a decision's reason."""
        if self.cooldown:
            return f"{self.name}: {getattr(usage, self.counter):.0f} of {getattr(limits, self.name)} minutes"
        return f"{self.name}: {getattr(usage, self.counter)} of {getattr(limits, self.name)}"


LIMITS: tuple[Limit, ...] = (
    Limit("auto_fixes_per_day", "auto_fixes_today", frozenset({Action.auto_fix})),
    Limit("attempts_per_signature", "attempts_for_signature", _FIX_ACTIONS),
    Limit("cooldown_minutes_after_failed_fix", "minutes_since_failed_fix", _FIX_ACTIONS, cooldown=True),
    Limit("prs_per_hour", "prs_last_hour", _FIX_ACTIONS),
    Limit("open_agent_prs", "open_agent_prs", _FIX_ACTIONS),
    Limit("reruns_per_run", "reruns_for_run", frozenset({Action.rerun})),
)
"""Every rate limit, checked in this order; names are the fields of policies.yaml `rate_limits`."""


def first_exceeded(usage: Usage, limits: RateLimits, action: Action) -> Limit | None:
    """The first limit that holds `action` back, or None when every counter is under its limit."""
    for limit in LIMITS:
        if action in limit.actions and limit.exceeded(usage, limits):
            return limit
    return None

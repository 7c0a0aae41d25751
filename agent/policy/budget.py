"""The model's spend budget (policies.yaml `llm`): checked before every model call from the usage the API
returned and the store recorded, for every analysis of every process that shares the store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.llm.limits import Limits
from agent.policy.schema import Policy

EXHAUSTED_KEY = "llm_budget_exhausted"
"""kv key holding the last time the daily budget stopped an analysis (for the dashboard and stats)."""


def spent_today(store: Any, now: datetime | None = None) -> float:
    """Dollars the model cost today (UTC), summed over every saved analysis in the store."""
    day = (now or datetime.now(UTC)).astimezone(UTC).date().isoformat()
    rows = store.rows("SELECT usage FROM llm_runs WHERE substr(updated_at, 1, 10) = ?", (day,))
    return round(sum(float((row.get("usage") or {}).get("cost_usd") or 0.0) for row in rows), 6)


def budget_refusal(policy: Policy, store: Any, now: datetime | None = None) -> str | None:
    """Why no analysis may start now (budget spent or set to 0); None when the model may be called."""
    budget = policy.llm
    if budget.per_analysis_usd <= 0 or budget.daily_budget_usd <= 0:
        return "the LLM budget is 0 in the policy"
    today = spent_today(store, now) if store is not None else 0.0
    if today >= budget.daily_budget_usd:
        return f"the LLM daily budget is spent (${today:.4f} of ${budget.daily_budget_usd})"
    return None


def budget_limits(policy: Policy, store: Any, base: Limits | None = None) -> Limits:
    """The loop's bounds with the policy's per-analysis cap and the store-backed daily budget."""
    base = base or Limits()
    cap = min(base.max_cost_usd, policy.llm.per_analysis_usd)
    reader = (lambda: spent_today(store)) if store is not None and hasattr(store, "rows") else None
    return base.model_copy(update={"max_cost_usd": cap, "daily_budget_usd": policy.llm.daily_budget_usd,
                                   "spent_today": reader})


def note_exhausted(store: Any, reason: str) -> None:
    """Remember that the budget stopped an analysis (shown by the dashboard)."""
    if store is not None and hasattr(store, "set_kv"):
        store.set_kv(EXHAUSTED_KEY, {"at": datetime.now(UTC).isoformat(), "reason": reason})

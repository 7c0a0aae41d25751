"""What a loop run leaves behind: the result the caller gets and the record saved after every step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from agent.llm.model import Usage
from tools.base import PlanDraft

SaveRecord = Callable[[dict[str, Any]], None]
"""Called with the run's record after every step and once at the end."""


@dataclass
class LoopResult:
    """How a run ended, with its transcript, usage and the plan draft it staged."""

    id: str
    status: str
    """One of agent.llm.limits.STATUSES; only "submitted" hands the plan to the gate."""
    reason: str
    messages: list[dict[str, Any]]
    usage: Usage
    cost_usd: float
    turns: int
    plan: PlanDraft
    findings: dict[str, int] = field(default_factory=dict)
    """What the fence stripped or flagged (hidden payloads, injection phrases) for the audit log."""

    @property
    def submitted(self) -> bool:
        return self.status == "submitted"

    def record(self, repo: str = "", run_id: int | None = None, run_attempt: int | None = None,
               model: str = "") -> dict[str, Any]:
        """A JSON-able record of this run (what `agent chat` and the evals read back)."""
        return {"id": self.id, "repo": repo, "run_id": run_id, "run_attempt": run_attempt, "model": model,
                "status": self.status, "reason": self.reason, "turns": self.turns,
                "usage": {**asdict(self.usage), "cost_usd": round(self.cost_usd, 6)},
                "plan": self.plan.model_dump(mode="json"), "findings": dict(self.findings),
                "messages": list(self.messages)}


def store_saver(store: Any) -> SaveRecord:
    """A SaveRecord writing to `agent.store.Store.save_llm_run` (usage, plan and findings in `usage`)."""

    def save(record: dict[str, Any]) -> None:
        details = {**record["usage"], "turns": record["turns"], "reason": record["reason"], "model": record["model"],
                   "plan": record["plan"], "findings": record["findings"]}
        store.save_llm_run(record["id"], record["messages"], usage=details, status=record["status"],
                           repo=record["repo"] or None, run_id=record["run_id"], run_attempt=record["run_attempt"])

    return save

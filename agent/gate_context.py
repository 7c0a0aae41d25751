"""The gate's view of a run: who triggered it, from where, and what the agent already did (usage)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agent.models import Plan
from agent.policy import GateContext

FAILING = frozenset({"failure", "timed_out", "startup_failure"})
"""Run conclusions the agent handles; success, cancelled, skipped… are ignored."""


def association_of(run: dict[str, Any]) -> str | None:
    """The run's author association (top level, else on its actor); None is untrusted (fail closed)."""
    return run.get("author_association") or (run.get("actor") or {}).get("author_association")


def is_fork(full_name: str, run: dict[str, Any]) -> bool:
    """True when the run's head repository is not the repository itself."""
    head = (run.get("head_repository") or {}).get("full_name")
    return bool(head) and head.lower() != full_name.lower()


def created_at(run: dict[str, Any]) -> datetime | None:
    stamp = run.get("created_at")
    if not stamp:
        return None
    return datetime.fromisoformat(str(stamp))


def run_fields(run: dict[str, Any]) -> dict[str, Any]:
    """The columns `store.claim_run` keeps about a run."""
    return {"workflow": run.get("path"), "head_branch": run.get("head_branch"), "head_sha": run.get("head_sha"),
            "event": run.get("event"), "actor": (run.get("actor") or {}).get("login"),
            "association": association_of(run), "conclusion": run.get("conclusion")}


def gate_context(pipeline: Any, full_name: str, run: dict[str, Any], plan: Plan,
                 origin: dict[str, Any] | None = None) -> GateContext:
    """Everything decide() needs besides the plan. `origin` (a stored run row) stands in for the actor
    and event when the agent acts on its own earlier fix (a rollback is made on the original run's behalf)."""
    store, now = pipeline.store, pipeline.now()
    association, event = association_of(run), run.get("event")
    if origin:
        association, event = origin.get("association") or association, origin.get("event") or event
    return GateContext(
        policy=pipeline.policy, actor_association=association, event=event, head_branch=run.get("head_branch"),
        is_fork=is_fork(full_name, run), repo_labels=list((run.get("repository") or {}).get("topics") or []),
        usage=store.usage(full_name, plan.signature, run.get("id"), now=now),
        closed_fix_keys=store.closed_fix_keys(full_name), run_created_at=created_at(run), now=now,
    )

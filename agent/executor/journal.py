"""The executor's write-ahead log over `store.actions`: intent before each side effect, done after."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.models import Plan


@dataclass
class ExecResult:
    """What carrying out a plan came to: a HandleResult status, the actions touched, links to what exists."""

    status: str
    actions: list[dict[str, Any]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    reason: str = ""


class Stop(Exception):
    """The plan cannot go on safely; `status` is the job's end state (needs_human, denied…)."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


class Journal:
    """Actions of one plan; each step looks here first, so a restart reuses what it already did."""

    def __init__(self, store: Any, plan: Plan):
        self.store, self.plan = store, plan
        self.touched: dict[int, dict[str, Any]] = {}

    def last(self, kind: str, **filters: Any) -> dict[str, Any] | None:
        """The newest live (intent or done) action of `kind` for this plan."""
        rows = self.store.actions(kind=kind, repo=self.plan.repo, plan_id=self.plan.id, **filters)
        live = [row for row in rows if row["status"] != "failed"]
        return live[-1] if live else None

    def intent(self, kind: str, existing: dict[str, Any] | None = None, **detail: Any) -> dict[str, Any]:
        """Record the intent to do `kind` (or reuse the open one), BEFORE the side effect."""
        if existing is not None and existing["status"] == "intent":
            return existing
        action_id = self.store.record_action(kind, self.plan.repo, "intent", plan_id=self.plan.id,
                                             signature=self.plan.signature, run_id=self.plan.run_id, detail=detail)
        row = {"id": action_id, "kind": kind, "status": "intent", "ref": None, "detail": detail}
        self.touched[action_id] = row
        return row

    def done(self, row: dict[str, Any], ref: str | None = None, **detail: Any) -> dict[str, Any]:
        """Mark an action done, with what it produced."""
        fields: dict[str, Any] = {"status": "done", "detail": detail or {}}
        if ref is not None:
            fields["ref"] = str(ref)
        self.store.update_action(row["id"], **fields)
        row = {**row, "status": "done", "ref": fields.get("ref", row.get("ref"))}
        self.touched[row["id"]] = row
        return row

    def failed(self, row: dict[str, Any], reason: str) -> None:
        """Mark an action failed (it never happened, or was refused)."""
        self.store.update_action(row["id"], status="failed", detail={"error": reason[:500]})
        self.touched[row["id"]] = {**row, "status": "failed"}

    def record_done(self, kind: str, ref: str | None = None, **detail: Any) -> dict[str, Any]:
        """Intent and done at once, for a write found already made (reconciliation)."""
        return self.done(self.intent(kind, **detail), ref, **detail)

    def summary(self) -> list[dict[str, Any]]:
        """The actions this run touched, oldest first: {id, kind, status, ref}."""
        return [{key: row.get(key) for key in ("id", "kind", "status", "ref")}
                for _, row in sorted(self.touched.items())]

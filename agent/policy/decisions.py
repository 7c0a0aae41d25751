"""The gate's typed answers: Allow, Deny(reason), Downgrade(to, reason)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.models import Action


@dataclass(frozen=True)
class Allow:
    """The plan may be carried out as proposed."""

    action: Action
    rule: str = "allow"
    policy_version: str = ""
    flags: tuple[str, ...] = field(default=())

    kind = "allow"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record for the store and the audit log."""
        return _base(self) | {"action": str(self.action)}


@dataclass(frozen=True)
class Deny:
    """No write at all; the reason says which rule refused."""

    reason: str
    rule: str = "deny"
    policy_version: str = ""
    flags: tuple[str, ...] = field(default=())

    kind = "deny"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record for the store and the audit log."""
        return _base(self) | {"reason": self.reason}


@dataclass(frozen=True)
class Downgrade:
    """Carry out a lesser action than proposed (or the same one, marked for a human)."""

    to: Action
    reason: str
    rule: str = "downgrade"
    policy_version: str = ""
    flags: tuple[str, ...] = field(default=())
    original: Action | None = None
    needs_human: bool = False

    kind = "downgrade"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record for the store and the audit log."""
        original = str(self.original) if self.original is not None else None
        extra = {"to": str(self.to), "from": original, "reason": self.reason, "needs_human": self.needs_human}
        return _base(self) | extra


Decision = Allow | Deny | Downgrade
"""What decide() returns."""


def _base(decision: Decision) -> dict[str, Any]:
    return {
        "decision": decision.kind,
        "rule": decision.rule,
        "policy_version": decision.policy_version,
        "flags": list(decision.flags),
    }


def decision_from_dict(data: dict[str, Any]) -> Decision:
    """Rebuild a decision from its to_dict() record."""
    common = {
        "rule": data.get("rule", ""),
        "policy_version": data.get("policy_version", ""),
        "flags": tuple(data.get("flags") or ()),
    }
    kind = data.get("decision")
    if kind == "allow":
        return Allow(action=Action(data["action"]), **common)
    if kind == "downgrade":
        original = Action(data["from"]) if data.get("from") else None
        return Downgrade(
            to=Action(data["to"]), reason=data.get("reason", ""), original=original,
            needs_human=bool(data.get("needs_human")), **common,
        )
    if kind == "deny":
        return Deny(reason=data.get("reason", ""), **common)
    raise ValueError(f"unknown decision kind: {kind!r}")

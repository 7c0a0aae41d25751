"""Shared builders for the policy tests (no tests here): a benign workflow fix, a trusted push run."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.models import Action, Category, Edit, FixSpec, Plan
from agent.policy import GateContext, Policy, Usage

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
WF = ".github/workflows/CI-Linux.yml"
WORKFLOW = """name: CI-Linux
on:
  push:
    branches: [main]
  pull_request:
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-22.04
    steps:
      - uses: actions/checkout@v4
      - uses: actions/upload-artifact@v3
        with:
          name: logs
          path: build/logs
"""
FIXED = WORKFLOW.replace("upload-artifact@v3", "upload-artifact@v4")
STEP_AT = "      - uses: actions/checkout@v4\n"


def with_step(step: str) -> str:
    """The fixed workflow with one more step (YAML text) after checkout."""
    return FIXED.replace(STEP_AT, STEP_AT + step)


def make_plan(**overrides: Any) -> Plan:
    """A HIGH-confidence template fix moving upload-artifact to v4, with overrides."""
    fields: dict[str, Any] = {
        "id": "plan-1", "repo": "Apra-Labs/ApraPipes", "run_id": 42, "signature": "0123456789abcdef",
        "category": Category.action_deprecated, "action": Action.auto_fix, "confidence": 0.95,
        "fix": FixSpec(template="action_version", params={"action": "actions/upload-artifact", "version": "v4"}),
        "edits": [Edit(path=WF, old=WORKFLOW, new=FIXED)],
        "rationale": "upload-artifact v3 is rejected by GitHub; move to v4",
    }
    return Plan(**(fields | overrides))


def make_policy(**sections: dict[str, Any]) -> Policy:
    """The default policy with some sections' fields overridden."""
    data = Policy().model_dump()
    for name, values in sections.items():
        data[name] = data[name] | values if isinstance(data[name], dict) else values
    return Policy.model_validate(data)


def make_context(policy: Policy | None = None, **overrides: Any) -> GateContext:
    """A trusted member's push to main with no usage so far."""
    fields: dict[str, Any] = {
        "policy": policy or Policy(), "actor_association": "MEMBER", "event": "push", "head_branch": "main",
        "usage": Usage(), "now": NOW, "run_created_at": NOW,
    }
    return GateContext(**(fields | overrides))

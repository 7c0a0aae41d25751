"""The model an eval runs with: none (offline), a ScriptedModel, or Claude; each counted for input tokens."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from agent.errors import BadInput

MODEL_KINDS = ("offline", "scripted", "claude")
SCRIPT_FILE = "script.yaml"
"""A case may ship its own scripted turns; without one, the scripted model submits an escalation."""
ESCALATION = {"rationale": "Scripted eval model: no fix is evident from the quoted root cause; escalating.",
              "recommended_action": "escalate"}


class CountingModel:
    """Wraps a Model and sums the prompt tokens of every response it returns."""

    def __init__(self, inner: Any):
        self.inner, self.name = inner, inner.name
        self.input_tokens = 0
        self.calls = 0

    def complete(self, system: list[dict[str, Any]], messages: list[dict[str, Any]],
                 tools: list[dict[str, Any]]) -> Any:
        response = self.inner.complete(system, messages, tools)
        self.calls += 1
        self.input_tokens += response.usage.prompt_tokens
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def check_model_kind(kind: str) -> None:
    """BadInput (one line) for an unknown kind, or for claude without ANTHROPIC_API_KEY."""
    if kind not in MODEL_KINDS:
        raise BadInput(f"--model must be one of {', '.join(MODEL_KINDS)}, not {kind!r}")
    if kind == "claude" and not os.environ.get("ANTHROPIC_API_KEY"):
        raise BadInput("--model claude needs ANTHROPIC_API_KEY in the environment")


def _turn(raw: Any, where: Path) -> dict[str, Any]:
    """One scripted turn: a Messages-API body, or the shorthand {tool: NAME, input: {...}}."""
    from agent.llm.scripted import tool_use, turn

    if isinstance(raw, dict) and "content" in raw:
        return raw
    if isinstance(raw, dict) and "tool" in raw:
        return turn(tool_use(str(raw["tool"]), raw.get("input") or {}))
    raise BadInput(f"{where}: each turn needs 'content' or 'tool'")


def scripted_turns(case_dir: Path) -> list[dict[str, Any]]:
    """The case's script.yaml turns, or one turn that submits an escalation."""
    from agent.llm.scripted import tool_use, turn

    path = case_dir / SCRIPT_FILE
    if not path.is_file():
        return [turn(tool_use("submit_plan", dict(ESCALATION)))]
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    turns = raw.get("turns") if isinstance(raw, dict) else raw
    if not isinstance(turns, list) or not turns:
        raise BadInput(f"{path}: expected a list of turns (or a mapping with 'turns')")
    return [_turn(t, path) for t in turns]


def make_model(kind: str, case_dir: Path) -> CountingModel | None:
    """A fresh model for one case (None offline)."""
    if kind == "offline":
        return None
    if kind == "scripted":
        from agent.llm.scripted import ScriptedModel

        return CountingModel(ScriptedModel(scripted_turns(case_dir)))
    from agent.llm.anthropic_model import AnthropicModel

    return CountingModel(AnthropicModel())

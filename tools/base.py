"""The tool framework: one tool = one module with an `Input` model, a `run(args, ctx)` and a spec.

A tool module looks like this (see tools/submit_plan.py):

    NAME = "read_file"          # the name the model calls
    WRITES = False              # True: a staging tool; it writes only into ctx.plan, never to GitHub

    class Input(ToolInput):
        path: str = Field(description="Repository-relative path, e.g. .github/workflows/ci.yml")

    def run(args: Input, ctx: ToolContext) -> str | dict:
        '''What the tool does, for the model (this docstring is the tool's description).'''

Tools return raw data (a string, or a JSON-serialisable dict); the registry redacts and fences it
as untrusted text, turns exceptions into `is_error` results, and refuses staging after submission.
The JSON schema the model sees is generated from `Input`; never write one by hand.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent.llm.fence import Fence
from agent.models import Action, Diagnosis, Edit, FixSpec, IssueDraft


class ToolInput(BaseModel):
    """Base of every tool's input model: unknown keys and type coercion are rejected (fault #16)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class PlanDraft(BaseModel):
    """What the staging tools have proposed so far; the planner turns it into a `Plan` for the gate."""

    model_config = ConfigDict(extra="forbid")

    fixes: list[FixSpec] = Field(default_factory=list)
    """Fix templates proposed with their parameters."""
    edits: list[Edit] = Field(default_factory=list)
    """Edits the model composed itself (never above MEDIUM)."""
    issue: IssueDraft | None = None
    """The issue to open (or comment on) for a human."""
    rerun: bool = False
    """Re-run the failed jobs once (transient failures)."""
    recommended_action: Action | None = None
    """The model's advice only; the gate decides."""
    rationale: str = ""
    """The model's explanation, citing evidence."""
    submitted: bool = False
    """Set by submit_plan: the run is over and nothing more may be staged."""


@dataclass
class ToolContext:
    """Everything a tool may need; fields a caller does not have stay None."""

    repo: str = ""
    """The repository's full name, e.g. Apra-Labs/ApraPipes."""
    run_id: int | None = None
    run_attempt: int = 1
    head_sha: str | None = None
    diagnosis: Diagnosis | None = None
    gh: Any = None
    """agent.github.GitHub (reads only: writes go through the gate and the executor)."""
    store: Any = None
    """agent.store.Store."""
    kb: Any = None
    """agent.knowledge KnowledgeBase."""
    index: Any = None
    """agent.rag guides index."""
    policy: Any = None
    """agent.policy Policy (for tools that explain what the gate would allow)."""
    repo_dir: Path | None = None
    """A local checkout, when there is one (offline chat and triage)."""
    plan: PlanDraft = field(default_factory=PlanDraft)
    fence: Fence = field(default_factory=Fence)
    """Fences every tool result; one nonce per run."""


@dataclass(frozen=True)
class ToolResult:
    """What the model gets back for one tool call."""

    content: str
    is_error: bool = False

    def block(self, tool_use_id: str) -> dict[str, Any]:
        """This result as an Anthropic `tool_result` content block."""
        return {"type": "tool_result", "tool_use_id": tool_use_id, "content": self.content,
                "is_error": self.is_error}


RunFunction = Callable[[Any, ToolContext], "str | dict[str, Any]"]


@dataclass(frozen=True)
class Tool:
    """One tool: its name, description, input model, function and whether it stages writes."""

    name: str
    description: str
    input_model: type[ToolInput]
    run: RunFunction
    writes: bool = False

    def input_schema(self) -> dict[str, Any]:
        """The JSON schema of the input, generated from the pydantic model (titles dropped)."""
        return drop_titles(self.input_model.model_json_schema())

    def spec(self) -> dict[str, Any]:
        """The Anthropic `tools=[...]` entry."""
        return {"name": self.name, "description": self.description, "input_schema": self.input_schema()}


def make_tool(name: str, input_model: type[ToolInput], run: RunFunction, writes: bool = False) -> Tool:
    """A Tool whose description is `run`'s docstring."""
    if not issubclass(input_model, ToolInput):
        raise TypeError(f"tool {name}: the input model must subclass tools.base.ToolInput")
    description = inspect.cleandoc(run.__doc__ or "")
    if not description:
        raise TypeError(f"tool {name}: run() needs a docstring (it is the tool's description)")
    return Tool(name=name, description=description, input_model=input_model, run=run, writes=writes)


def tool_from_module(module: ModuleType) -> Tool:
    """The Tool a module defines with NAME, WRITES, Input and run."""
    return make_tool(module.NAME, module.Input, module.run, writes=bool(getattr(module, "WRITES", False)))


def drop_titles(node: Any, field_names: bool = False) -> Any:
    """A schema without pydantic's auto-generated `title` keys (property names are kept)."""
    if isinstance(node, list):
        return [drop_titles(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {key: drop_titles(value, field_names=key in ("properties", "$defs") and not field_names)
            for key, value in node.items()
            if field_names or not (key == "title" and isinstance(value, str))}

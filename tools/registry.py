"""The one tool registry the LLM loop, the MCP server and `agent tools` share."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from tools.base import Tool, ToolContext, ToolInput, ToolResult, tool_from_module

TOOL_MODULES = [
    "tools.get_run",
    "tools.read_log",
    "tools.diff_against_last_green",
    "tools.search_guides",
    "tools.read_file",
    "tools.list_recent_runs",
    "tools.lookup_known_issue",
    "tools.propose_fix_template",
    "tools.propose_edit",
    "tools.propose_issue",
    "tools.propose_rerun",
    "tools.submit_plan",
]
"""Every tool module, explicitly (no scanning). Add a new tool's module here."""

CACHE_CONTROL = {"type": "ephemeral"}


class ToolCallError(Exception):
    """A malformed tool call: unknown tool, input that is not a JSON object, or fails the schema."""


@dataclass(frozen=True)
class BoundCall:
    """A tool call whose input passed validation."""

    tool: Tool
    args: ToolInput


def load_tools(modules: Iterable[str] = TOOL_MODULES) -> list[Tool]:
    """Import the listed tool modules and build their Tools."""
    return [tool_from_module(importlib.import_module(name)) for name in modules]


class Registry:
    """Tools by name: their Anthropic specs, validation and safe execution."""

    def __init__(self, tools: Iterable[Tool] | None = None, writes: bool = True):
        self._tools: dict[str, Tool] = {}
        for tool in load_tools() if tools is None else tools:
            if tool.name in self._tools:
                raise ValueError(f"two tools are named {tool.name!r}")
            if writes or not tool.writes:  # hiding staging tools is a hint; the gate still enforces
                self._tools[tool.name] = tool

    def tools(self) -> list[Tool]:
        """The registered tools, in registration order."""
        return list(self._tools.values())

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def specs(self, cache: bool = False) -> list[dict[str, Any]]:
        """Anthropic `tools=[{name, description, input_schema}]`; `cache` marks the last for prompt caching."""
        specs = [tool.spec() for tool in self._tools.values()]
        if cache and specs:
            specs[-1]["cache_control"] = dict(CACHE_CONTROL)
        return specs

    def parse(self, name: str, raw_input: Any) -> BoundCall:
        """Validate one call strictly; raises ToolCallError saying what is wrong."""
        tool = self._tools.get(name)
        if tool is None:
            raise ToolCallError(f"unknown tool {name!r}; available: {', '.join(self._tools)}")
        if isinstance(raw_input, (str, bytes)):
            try:
                raw_input = json.loads(raw_input)
            except ValueError as error:
                raise ToolCallError(f"tool {name}: input is not valid JSON ({error})") from None
        if not isinstance(raw_input, dict):
            raise ToolCallError(f"tool {name}: input must be a JSON object, got {type(raw_input).__name__}")
        try:
            return BoundCall(tool, tool.input_model.model_validate_json(json.dumps(raw_input)))
        except ValidationError as error:
            raise ToolCallError(f"tool {name}: invalid input: {describe(error)}") from None

    def execute(self, call: BoundCall, ctx: ToolContext) -> ToolResult:
        """Run a validated call; any failure becomes an is_error result. Output is fenced."""
        if call.tool.writes and ctx.plan.submitted:
            return self._fenced(ctx, call.tool.name, "the plan is already submitted; nothing more is staged", True)
        try:
            output = call.tool.run(call.args, ctx)
        except Exception as error:  # noqa: BLE001 - a tool failure is the model's to read, never a crash
            return self._fenced(ctx, call.tool.name, f"{type(error).__name__}: {error}", True)
        text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False, default=str)
        return self._fenced(ctx, call.tool.name, text, False)

    def call(self, name: str, raw_input: Any, ctx: ToolContext) -> ToolResult:
        """Validate and run one call; never raises."""
        try:
            bound = self.parse(name, raw_input)
        except ToolCallError as error:
            return self._fenced(ctx, name, str(error), True)
        return self.execute(bound, ctx)

    @staticmethod
    def _fenced(ctx: ToolContext, name: str, text: str, is_error: bool) -> ToolResult:
        return ToolResult(ctx.fence.wrap(text, source=f"tool:{name}"), is_error=is_error)


def describe(error: ValidationError) -> str:
    """A pydantic error as one short line per problem, without echoing the input values."""
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in item["loc"]) or "input"
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)

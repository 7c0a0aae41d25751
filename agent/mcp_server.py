"""`agent mcp`: the tool registry over MCP (MCPServer), every write through the gate.

Read tools answer freely (redacted and fenced, as for the loop). A staging tool stages one remedy
for one run, turns it into a Plan through the same planner path as the loop, asks the gate, stores
plan and decision, and answers with the plan id and the decision: nothing is written to GitHub.
`execute_plan(plan_id)` asks the gate again at execution time and carries out only what it allows.
Each tool's MCP schema is its pydantic Input plus `run_id` (and `repo`), generated, never written.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool as MCPTool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from pydantic import Field, create_model

from agent.drafts import clean
from agent.llm.handoff import carry_out, decide_plan, diagnose, plan_from_draft, tool_context
from agent.policy import Deny, summary
from tools.base import PlanDraft, Tool, ToolContext, ToolInput, drop_titles
from tools.registry import Registry

SERVER_NAME = "devops-agent"
INSTRUCTIONS = ("Investigate failed GitHub Actions runs (read tools take a run_id). Staging tools propose a "
                "remedy and return the policy gate's decision and a plan id; nothing is written until "
                "execute_plan(plan_id) is called and the gate, asked again, allows it.")
SKIPPED = frozenset({"submit_plan"})
"""Loop-only tools: an MCP client ends nothing; each staging call is its own plan."""


class ExecutePlanInput(ToolInput):
    plan_id: str = Field(min_length=1, max_length=64, description="The plan id a staging tool returned.")


def execute_plan_doc() -> str:
    return ("Carry out a staged plan. The policy gate decides again now (kill switch, rate limits, tiers, "
            "blast radius); only what it allows is done: a pull request, an auto-merge after CI passes, an "
            "issue, or a re-run. Returns the decision and what was done.")


class AgentTools:
    """The registry bound to runs on GitHub: one cached ToolContext per run, one call at a time."""

    def __init__(self, gh: Any, store: Any, policy: Any, kb: Any = None, index: Any = None, repo: str = "",
                 registry: Registry | None = None, verify_timeout: float = 1800.0, poll_interval: float = 10.0):
        self.gh, self.store, self.policy, self.kb, self.index, self.repo = gh, store, policy, kb, index, repo
        self.registry = registry or Registry()
        self.verify_timeout, self.poll_interval = verify_timeout, poll_interval
        self.contexts: dict[tuple[str, int], ToolContext] = {}
        self.lock = threading.Lock()

    def context(self, repo: str | None, run_id: int) -> ToolContext:
        """The run's ToolContext (its logs and files are fetched once)."""
        name = repo or self.repo
        if name.count("/") != 1:
            raise ToolError("give repo as OWNER/NAME (the server was started without --repo)")
        key = (name, int(run_id))
        if key not in self.contexts:
            self.contexts[key] = tool_context(self.gh, name, int(run_id), store=self.store, kb=self.kb,
                                              index=self.index, policy=self.policy)
        return self.contexts[key]

    def call(self, tool: Tool, arguments: dict[str, Any]) -> str:
        """Run one registry tool for a run: a read answers its text, a staging tool the gate's view."""
        run_id, repo = arguments.pop("run_id"), arguments.pop("repo", None)
        with self.lock:
            ctx = self.context(repo, run_id)
            if not tool.writes:
                return self.read(tool, arguments, ctx)
            return json.dumps(self.stage(tool, arguments, ctx), indent=2)

    def read(self, tool: Tool, arguments: dict[str, Any], ctx: ToolContext) -> str:
        result = self.registry.call(tool.name, arguments, ctx)
        if result.is_error:
            raise ToolError(result.content)
        return result.content

    def stage(self, tool: Tool, arguments: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        """Stage into a fresh draft, plan it, decide, store plan and decision; nothing reaches GitHub."""
        ctx.plan = PlanDraft(rationale=f"proposed over MCP with {tool.name}")
        result = self.registry.call(tool.name, arguments, ctx)
        if result.is_error:
            raise ToolError(result.content)
        plan = plan_from_draft(diagnose(ctx), ctx, ctx.plan)
        if plan is None:
            raise ToolError("nothing was staged")
        decision = decide_plan(ctx, plan)
        self.store.save_plan(plan)
        self.store.save_decision(plan.id, decision, self.policy.version)
        return {"plan_id": plan.id, "action": str(plan.action), "source": str(plan.source),
                "confidence": plan.confidence, "decision": decision.to_dict(), "summary": summary(decision),
                "diff": clean(plan.diff), "executed": False,
                "next": "call execute_plan with this plan_id to carry out what the gate allows"}

    def execute(self, plan_id: str) -> str:
        """Decide again now; carry out only what the decision allows."""
        with self.lock:
            plan = self.store.get_plan(plan_id)
            if plan is None:
                raise ToolError(f"no plan {plan_id!r}")
            ctx = self.context(plan.repo, plan.run_id)
            diagnose(ctx)
            decision = decide_plan(ctx, plan)
            if isinstance(decision, Deny):
                self.store.save_decision(plan.id, decision, self.policy.version)
                return json.dumps({"plan_id": plan.id, "executed": False, "decision": decision.to_dict(),
                                   "summary": summary(decision)}, indent=2)
            outcome = carry_out(ctx, plan, decision, self.verify_timeout, self.poll_interval)
            return json.dumps({"plan_id": plan.id, "executed": True, "status": outcome.status, "urls": outcome.urls,
                               "reason": clean(outcome.reason), "decision": decision.to_dict(),
                               "summary": summary(decision)}, indent=2)


def mcp_tool(name: str, description: str, input_model: type[ToolInput], handler, per_run: bool) -> MCPTool:
    """An MCPServer tool whose schema is generated from `input_model` (plus run_id/repo when per run)."""
    extra: dict[str, Any] = {}
    if per_run:
        extra = {"run_id": (int, Field(ge=1, description="The workflow run's id.")),
                 "repo": (str | None, Field(None, description="OWNER/NAME; default: the server's --repo."))}
    model = create_model(f"{name}_arguments", __base__=(input_model, ArgModelBase), **extra)
    return MCPTool(fn=handler, name=name, description=description, parameters=drop_titles(model.model_json_schema()),
                   fn_metadata=FuncMetadata(arg_model=model), is_async=False)


def build_server(tools: AgentTools) -> MCPServer:
    """The MCP server: every registry tool (but submit_plan) per run, and execute_plan."""
    exposed = []
    for tool in tools.registry.tools():
        if tool.name in SKIPPED:
            continue
        exposed.append(mcp_tool(tool.name, tool.description, tool.input_model,
                                lambda _tool=tool, **arguments: tools.call(_tool, arguments), per_run=True))
    exposed.append(mcp_tool("execute_plan", execute_plan_doc(), ExecutePlanInput,
                            lambda plan_id: tools.execute(plan_id), per_run=False))
    return MCPServer(SERVER_NAME, instructions=INSTRUCTIONS, tools=exposed)

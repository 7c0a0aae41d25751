"""`agent mcp`: the tool registry over MCP (MCPServer), every write through the gate.

Read tools answer freely (redacted and fenced, as for the loop). A staging tool stages one remedy
for one run, turns it into a Plan through the same planner path as the loop, asks the gate, stores
plan and decision, and answers with the plan id and the decision: nothing is written to GitHub.
`execute_plan(plan_id)` asks the gate again at execution time and carries out only what it allows.
Each tool's MCP schema is its pydantic Input plus `run_id` (and `repo`), generated, never written;
`run_id` is optional for the tools that need no run (guides, the known-issue DB) and list_recent_runs
takes a `workflow` instead. Expected failures (a run that does not exist, GitHub refusing, bad
input) answer the client one line and are logged as one line, never a traceback.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool as MCPTool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from pydantic import Field, ValidationError, create_model

from agent.drafts import clean
from agent.errors import AgentError
from agent.llm.handoff import carry_out, decide_plan, diagnose, plan_from_draft, tool_context
from agent.policy import Deny, summary
from agent.triage import triage
from tools.base import PlanDraft, Tool, ToolContext, ToolInput, drop_titles
from tools.registry import Registry, describe
from tools.runcache import remember

SERVER_NAME = "devops-agent"
INSTRUCTIONS = ("Investigate failed GitHub Actions runs (read tools about a run take its run_id; search_guides "
                "and lookup_known_issue need none; list_recent_runs takes a run_id or a workflow). triage_log "
                "diagnoses a build log given as a local file path or as text, without GitHub. Staging "
                "tools propose a remedy and return the policy gate's decision and a plan id; nothing is written "
                "until execute_plan(plan_id) is called and the gate, asked again, allows it. Tools act only on "
                "the repositories the server was started with (--repo).")
SKIPPED = frozenset({"submit_plan"})
"""Loop-only tools: an MCP client ends nothing; each staging call is its own plan."""
RUN_OPTIONAL = frozenset({"search_guides", "lookup_known_issue"})
"""Tools that answer without a run (given one, lookup_known_issue reports the entry its diagnosis matched)."""
DIAGNOSED = frozenset({"lookup_known_issue"})
"""Run-optional tools that read the run's diagnosis when given a run."""
WORKFLOW_OR_RUN = frozenset({"list_recent_runs"})
"""Tools about a workflow's history: a run_id, or a workflow (file path, file name or name) instead."""
EXPECTED = (AgentError, LookupError, ValidationError)
"""Failures a client should read as one line: GitHub errors, unknown runs or ids, invalid values."""


NO_REPOSITORY = "no repository is configured: start agent mcp with --repo OWNER/NAME (repeatable)"
TEXT_CAP = 32 << 20
"""Largest pasted log triage_log accepts (characters)."""


class ExecutePlanInput(ToolInput):
    plan_id: str = Field(min_length=1, max_length=64, description="The plan id a staging tool returned.")


class TriageLogInput(ToolInput):
    path: str | None = Field(None, min_length=1, max_length=4096, description=(
        "A local log file or run-log directory: a run-log zip, a job log, `gh run view --log` output, or any "
        "text build log (make, Gradle, a terminal)."))
    text: str | None = Field(None, min_length=1, max_length=TEXT_CAP, description="Instead of path: the log text itself.")
    last_green_path: str | None = Field(None, min_length=1, max_length=4096, description=(
        "Optional: a local log of the last successful run; lines it also has rank down."))


def triage_log_doc() -> str:
    return ("Diagnose a build log without GitHub: give a local file path or the log text (and, optionally, the last "
            "successful run's log, whose lines rank down). Returns the diagnosis as JSON (category, known issue, "
            "proposed action, fix, root-cause lines, redacted excerpt, failed steps).")


def execute_plan_doc() -> str:
    return ("Carry out a staged plan. The policy gate decides again now (kill switch, rate limits, tiers, "
            "blast radius); only what it allows is done: a pull request, an auto-merge after CI passes, an "
            "issue, or a re-run. Returns the decision and what was done.")


class AgentTools:
    """The registry bound to runs on GitHub: one cached ToolContext per run, one call at a time."""

    def __init__(self, gh: Any, store: Any, policy: Any, kb: Any = None, index: Any = None, repo: str = "",
                 registry: Registry | None = None, verify_timeout: float = 1800.0, poll_interval: float = 10.0,
                 repos: Sequence[str] = (), no_github: str = "GitHub is not configured"):
        self.gh, self.store, self.policy, self.kb, self.index, self.repo = gh, store, policy, kb, index, repo
        self.repos = {name.lower() for name in (repo, *repos) if name}
        """The repositories tools may act on (the default `repo` and every other configured one)."""
        self.no_github = no_github
        """The one line a GitHub tool answers when the server has no credentials (gh is None)."""
        self.registry = registry or Registry()
        self.verify_timeout, self.poll_interval = verify_timeout, poll_interval
        self.contexts: dict[tuple[str, int], ToolContext] = {}
        self.lock = threading.Lock()

    def context(self, repo: str | None, run_id: int) -> ToolContext:
        """The run's ToolContext (its logs and files are fetched once)."""
        name = self.repo_name(repo)
        key = (name, int(run_id))
        if key not in self.contexts:
            self.contexts[key] = tool_context(self.github(), name, int(run_id), store=self.store, kb=self.kb,
                                              index=self.index, policy=self.policy)
        return self.contexts[key]

    def github(self) -> Any:
        """The GitHub client, or a ToolError saying which credentials to set."""
        if self.gh is None:
            raise ToolError(self.no_github)
        return self.gh

    def repo_name(self, repo: str | None) -> str:
        """`repo`, or the server's --repo: one of the configured repositories, or a ToolError."""
        name = repo or self.repo
        if not self.repos:
            raise ToolError(NO_REPOSITORY)
        if not name:
            raise ToolError(f"give repo as OWNER/NAME, one of: {', '.join(sorted(self.repos))}")
        if name.lower() not in self.repos:
            raise ToolError(f"repository {name} is not configured for this server "
                            f"(configured: {', '.join(sorted(self.repos))})")
        return name

    def bare_context(self, repo: str | None) -> ToolContext:
        """A context on no run: the guides and the known-issue DB (and the repository, when known)."""
        name = self.repo_name(repo) if repo else self.repo
        return ToolContext(repo=name, gh=self.gh, store=self.store, kb=self.kb, index=self.index,
                           policy=self.policy)

    def workflow_context(self, repo: str | None, workflow: str) -> ToolContext:
        """A context standing for "now" on a workflow: its newest run's path, later than every run."""
        name = self.repo_name(repo)
        runs = self.github().list_runs(name)
        found = next((r for r in runs if workflow in (r.get("path"), r.get("name"))
                      or str(r.get("path") or "").endswith("/" + workflow)), None)
        if found is None:
            raise ToolError(f"no runs of workflow {workflow!r} in {name}")
        ctx = self.bare_context(name)
        ctx.run_id = max(int(r["id"]) for r in runs) + 1
        remember(ctx, "run", lambda: {"id": ctx.run_id, "path": found.get("path"), "name": found.get("name")})
        return ctx

    def context_for(self, tool: Tool, arguments: dict[str, Any]) -> ToolContext:
        """The context a call names: its run, its workflow, or (for run-free tools) none."""
        run_id, repo, workflow = arguments.pop("run_id", None), arguments.pop("repo", None), arguments.pop("workflow", None)
        if run_id is not None:
            ctx = self.context(repo, run_id)
            if tool.name in DIAGNOSED:
                diagnose(ctx)
            return ctx
        if workflow:
            return self.workflow_context(repo, workflow)
        if tool.name in RUN_OPTIONAL:
            return self.bare_context(repo)
        raise ToolError(f"{tool.name} needs a run_id or workflow" if tool.name in WORKFLOW_OR_RUN
                        else f"{tool.name} needs a run_id")

    def call(self, tool: Tool, arguments: dict[str, Any]) -> str:
        """Run one registry tool: a read answers its text, a staging tool the gate's view."""
        with self.lock:
            ctx = self.context_for(tool, arguments)
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
            self.github()
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


    def triage_log(self, path: str | None = None, text: str | None = None, last_green_path: str | None = None) -> str:
        """The diagnosis of a local log file or pasted log text, as redacted JSON; no GitHub needed."""
        if (path is None) == (text is None):
            raise ToolError("give either path (a local log file) or text (the log itself)")
        if "-" in (str(path).strip(), str(last_green_path).strip()):
            raise ToolError("path '-' (stdin) is the server's own channel: give a file path or text")
        source = Path(path).expanduser() if path is not None else text.encode("utf-8")
        green = Path(last_green_path).expanduser() if last_green_path else None
        diagnosis = triage(source, kb=self.kb, last_green=green)
        return clean(json.dumps(diagnosis.model_dump(mode="json"), indent=2))


def one_line(error: Exception) -> str:
    """An expected failure as the one line a client reads."""
    if isinstance(error, ValidationError):
        return f"invalid value: {describe(error)}"
    text = str(error.args[0]) if isinstance(error, LookupError) and error.args else str(error)
    return " ".join(text.split()) or type(error).__name__


def answering(handler):
    """`handler` with expected failures turned into a ToolError of one line (the server logs one line)."""
    def answer(**arguments: Any) -> str:
        try:
            return handler(**arguments)
        except EXPECTED as error:
            raise ToolError(one_line(error)) from None
    return answer


def run_fields(name: str) -> dict[str, Any]:
    """The extra schema fields naming the run (or workflow) a tool works on."""
    required = name not in RUN_OPTIONAL and name not in WORKFLOW_OR_RUN
    run_id = (int, Field(ge=1, description="The workflow run's id.")) if required else \
        (int | None, Field(None, ge=1, description="The workflow run's id (optional for this tool)."))
    fields = {"run_id": run_id,
              "repo": (str | None, Field(None, description="OWNER/NAME; default: the server's --repo."))}
    if name in WORKFLOW_OR_RUN:
        fields["workflow"] = (str | None, Field(None, min_length=1, max_length=200, description=(
            "Instead of run_id: the workflow's file path, file name or name, e.g. CI-Linux.yml.")))
    return fields


def mcp_tool(name: str, description: str, input_model: type[ToolInput], handler, per_run: bool) -> MCPTool:
    """An MCPServer tool whose schema is generated from `input_model` (plus run_id/repo when per run)."""
    extra = run_fields(name) if per_run else {}
    model = create_model(f"{name}_arguments", __base__=(input_model, ArgModelBase), **extra)
    return MCPTool(fn=answering(handler), name=name, description=description,
                   parameters=drop_titles(model.model_json_schema()), fn_metadata=FuncMetadata(arg_model=model),
                   is_async=False)


def build_server(tools: AgentTools) -> MCPServer:
    """The MCP server: every registry tool (but submit_plan), with its run where it needs one, and execute_plan."""
    exposed = []
    for tool in tools.registry.tools():
        if tool.name in SKIPPED:
            continue
        exposed.append(mcp_tool(tool.name, tool.description, tool.input_model,
                                lambda _tool=tool, **arguments: tools.call(_tool, arguments), per_run=True))
    exposed.append(mcp_tool("execute_plan", execute_plan_doc(), ExecutePlanInput,
                            lambda plan_id: tools.execute(plan_id), per_run=False))
    exposed.append(mcp_tool("triage_log", triage_log_doc(), TriageLogInput, tools.triage_log, per_run=False))
    return MCPServer(SERVER_NAME, instructions=INSTRUCTIONS, tools=exposed)

"""The MCP server in memory through mcp.Client: the same registry, staging returns the gate's decision."""

from __future__ import annotations

import json

import anyio
import pytest
from mcp import Client
from test_tools_world import REPO, TOKEN, WORKFLOW, make_world

from agent.github import GitHub
from agent.mcp_server import AgentTools, build_server
from agent.policy import Policy
from agent.store import Store
from tools.registry import Registry

EDIT = {"path": WORKFLOW, "old": "timeout-minutes: 60", "new": "timeout-minutes: 90"}

pytest_plugins = ("test_tools_world",)


@pytest.fixture
def served(sandbox, tmp_path, bm25_guides, knowledge, monkeypatch):
    monkeypatch.setenv("AGENT_HOME", str(tmp_path / "home"))
    _, failed = make_world(sandbox)
    store = Store(tmp_path / "agent.db")

    def server(policy: Policy):
        tools = AgentTools(GitHub(base_url=sandbox.url, token=sandbox.token), store, policy, kb=knowledge,
                           index=bm25_guides, repo=REPO, verify_timeout=0.2, poll_interval=0.05)
        return build_server(tools)

    return sandbox, failed, store, server


def run(coroutine_function):
    return anyio.run(coroutine_function)


def text_of(result) -> str:
    return "\n".join(block.text for block in result.content)


def test_the_server_lists_every_registry_tool_but_submit_plan_and_adds_execute_plan_and_triage_log(served):
    _, _, _, server = served

    async def main():
        async with Client(server(Policy())) as client:
            return (await client.list_tools()).tools

    tools = {tool.name: tool for tool in run(main)}
    expected = {tool.name for tool in Registry().tools()} - {"submit_plan"} | {"execute_plan", "triage_log"}
    assert set(tools) == expected
    schema = tools["read_log"].input_schema
    assert "run_id" in schema["required"] and schema["additionalProperties"] is False
    assert schema["properties"]["grep"]["description"].startswith("Only lines matching")


def test_a_read_tool_answers_redacted_and_fenced(served):
    _, failed, _, server = served

    async def main():
        async with Client(server(Policy())) as client:
            return await client.call_tool("read_log", {"run_id": failed, "grep": "widgets"})

    result = run(main)
    assert not result.is_error
    assert "widgets.v3" in text_of(result) and "<untrusted-" in text_of(result) and TOKEN not in text_of(result)


def test_bad_arguments_are_an_error_result_not_a_crash(served):
    _, failed, _, server = served

    async def main():
        async with Client(server(Policy())) as client:
            return await client.call_tool("read_log", {"run_id": failed, "shell": "curl x | sh"})

    assert run(main).is_error


def test_a_staging_tool_returns_the_decision_and_a_stored_plan_id_and_writes_nothing(served):
    sb, failed, store, server = served

    async def main():
        async with Client(server(Policy())) as client:
            return await client.call_tool("propose_edit", {"run_id": failed, **EDIT})

    answer = json.loads(text_of(run(main)))
    assert answer["executed"] is False and answer["action"] == "pull_request" and answer["source"] == "llm"
    assert answer["decision"]["decision"] == "downgrade" and answer["decision"]["to"] == "pull_request"
    assert store.get_plan(answer["plan_id"]).edits[0].path == WORKFLOW
    assert store.decisions(answer["plan_id"])
    assert not [r for r in sb.requests if r.method in ("POST", "PUT", "PATCH", "DELETE")]


def test_execute_plan_is_denied_when_the_policy_denies_at_execution_time(served):
    sb, failed, _store, server = served

    async def stage():
        async with Client(server(Policy())) as client:
            return json.loads(text_of(await client.call_tool("propose_edit", {"run_id": failed, **EDIT})))

    plan_id = run(stage)["plan_id"]

    async def execute():
        async with Client(server(Policy(dry_run=True))) as client:
            return json.loads(text_of(await client.call_tool("execute_plan", {"plan_id": plan_id})))

    answer = run(execute)
    assert answer["executed"] is False and answer["decision"]["decision"] == "deny"
    assert answer["decision"]["rule"] == "dry_run"
    assert not [r for r in sb.requests if r.method in ("POST", "PUT", "PATCH", "DELETE")]


def test_execute_plan_carries_out_what_the_gate_allows(served):
    sb, failed, _, server = served

    async def main():
        async with Client(server(Policy())) as client:
            staged = json.loads(text_of(await client.call_tool("propose_edit", {"run_id": failed, **EDIT})))
            return json.loads(text_of(await client.call_tool("execute_plan", {"plan_id": staged["plan_id"]})))

    answer = run(main)
    assert answer["executed"] is True and answer["status"] == "pr_open"
    assert any(r.method == "POST" and r.path.endswith("/pulls") for r in sb.requests)
    assert not [r for r in sb.requests if r.method == "PUT" and r.path.endswith("/merge")]


def test_execute_plan_of_an_unknown_id_is_an_error(served):
    _, _, _, server = served

    async def main():
        async with Client(server(Policy())) as client:
            return await client.call_tool("execute_plan", {"plan_id": "nope"})

    assert run(main).is_error

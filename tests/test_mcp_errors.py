"""The MCP server's edges in memory: agent errors answer one line, run-free tools need no run_id."""

from __future__ import annotations

import json
import logging

import anyio
import pytest
from mcp import Client
from test_tools_world import REPO, WORKFLOW, make_world

from agent.github import GitHub
from agent.mcp_server import AgentTools, build_server
from agent.policy import Policy
from agent.store import Store

pytest_plugins = ("test_tools_world",)
MISSING_RUN = 987654


@pytest.fixture
def client_call(sandbox, tmp_path, bm25_guides, knowledge, monkeypatch):
    """call(tool, arguments) → the CallToolResult from a fresh in-memory client (no arguments: every
    tool's input schema); also the run ids."""
    monkeypatch.setenv("AGENT_HOME", str(tmp_path / "home"))
    green, failed = make_world(sandbox)
    tools = AgentTools(GitHub(base_url=sandbox.url, token=sandbox.token), Store(tmp_path / "agent.db"), Policy(),
                       kb=knowledge, index=bm25_guides, repo=REPO, verify_timeout=0.2, poll_interval=0.05)
    server = build_server(tools)

    def call(name: str, arguments: dict | None = None):
        async def main():
            async with Client(server) as client:
                if arguments is None:
                    return {tool.name: tool.input_schema for tool in (await client.list_tools()).tools}
                return await client.call_tool(name, arguments)

        return anyio.run(main)

    return call, green, failed


def text_of(result) -> str:
    return "\n".join(block.text for block in result.content)


@pytest.mark.parametrize(("tool", "arguments"), [
    ("get_run", {"run_id": MISSING_RUN}),
    ("read_log", {"run_id": MISSING_RUN, "grep": "error"}),
    ("propose_rerun", {"run_id": MISSING_RUN, "reason": "flaky"}),
])
def test_a_run_that_does_not_exist_answers_the_reason_in_one_line_without_a_traceback(client_call, caplog, tool,
                                                                                       arguments):
    call, _, _ = client_call
    with caplog.at_level(logging.INFO):
        result = call(tool, arguments)
    assert result.is_error
    text = text_of(result)
    assert "not found" in text.lower() and str(MISSING_RUN) in text and "\n" not in text
    assert not [record for record in caplog.records if record.exc_info]
    assert any("not found" in record.getMessage().lower() for record in caplog.records)


def test_execute_plan_of_an_unknown_plan_names_the_plan(client_call):
    call, _, _ = client_call
    result = call("execute_plan", {"plan_id": "nope"})
    assert result.is_error and "no plan 'nope'" in text_of(result)


def test_search_guides_answers_without_a_run_id(client_call):
    call, _, _ = client_call
    result = call("search_guides", {"query": "GLIBC_2.28 not found"})
    assert not result.is_error, text_of(result)
    assert "results" in text_of(result) and ".md#" in text_of(result)


def test_lookup_known_issue_by_line_answers_without_a_run_id(client_call):
    call, _, _ = client_call
    result = call("lookup_known_issue", {"line": "version `GLIBC_2.28' not found (required by node)"})
    assert not result.is_error, text_of(result)
    assert "glibc" in text_of(result).lower()


def test_lookup_known_issue_with_a_run_id_reports_that_runs_diagnosis(client_call):
    call, _, failed = client_call
    result = call("lookup_known_issue", {"run_id": failed})
    assert not result.is_error, text_of(result)
    assert "the diagnosis matched no known issue" in text_of(result)


def test_list_recent_runs_takes_a_workflow_instead_of_a_run(client_call):
    call, green, failed = client_call
    result = call("list_recent_runs", {"workflow": "CI-Linux.yml"})
    assert not result.is_error, text_of(result)
    answer = json.loads(text_of(result).split("\n", 1)[1].rsplit("\n", 1)[0])
    assert answer["workflow"] == WORKFLOW and answer["failure_streak"] == 1
    assert [run["id"] for run in answer["runs"]] == [failed, green] and answer["last_green"]["id"] == green


def test_list_recent_runs_without_a_run_or_a_workflow_says_what_to_give(client_call):
    call, _, _ = client_call
    result = call("list_recent_runs", {})
    assert result.is_error and "run_id or workflow" in text_of(result)


def test_list_recent_runs_of_an_unknown_workflow_is_a_one_line_error(client_call):
    call, _, _ = client_call
    result = call("list_recent_runs", {"workflow": "nope.yml"})
    assert result.is_error and "no runs of workflow 'nope.yml'" in text_of(result)


@pytest.mark.parametrize(("tool", "requires_run"), [
    ("get_run", True), ("read_log", True), ("propose_edit", True),
    ("search_guides", False), ("lookup_known_issue", False), ("list_recent_runs", False),
])
def test_the_schemas_require_run_id_only_where_a_run_is_needed(client_call, tool, requires_run):
    call, _, _ = client_call
    schema = call(tool)[tool]
    assert ("run_id" in schema.get("required", [])) is requires_run
    assert "run_id" in schema["properties"] and schema["additionalProperties"] is False

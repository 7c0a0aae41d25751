"""`agent chat` and the MCP server diagnose a run against the last green run of its workflow, like the pipeline."""

from __future__ import annotations

import io
import json

import anyio
import pytest
from mcp import Client
from test_lastgreen_pipeline import add_green, failing_logs, plain_causes
from test_tools_world import FILES, REPO, WORKFLOW

from agent.chat import ChatSession
from agent.github import GitHub
from agent.llm.handoff import tool_context
from agent.mcp_server import AgentTools, build_server
from agent.policy import Policy
from agent.store import Store

pytest_plugins = ("test_tools_world",)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AGENT_CACHE", str(tmp_path / "cache"))
    return tmp_path


def seed(sandbox, green: bool) -> int:
    sandbox.add_repo(REPO, files=FILES)
    if green:
        add_green(sandbox)
    return sandbox.add_failed_run(REPO, WORKFLOW, name="CI-Linux", logs=failing_logs())


def first_cause(rendered: str) -> str:
    return next(line for line in rendered.splitlines() if line.strip().startswith("|"))


def chat_opening(sandbox, tmp_path, knowledge, failed: int) -> str:
    gh = GitHub(base_url=sandbox.url, token=sandbox.token)
    ctx = tool_context(gh, REPO, failed, store=Store(tmp_path / "agent.db"), kb=knowledge, policy=Policy())
    out = io.StringIO()
    ChatSession(ctx, None, inp=io.StringIO("quit\n"), out=out).start()
    return out.getvalue()


def test_chat_opens_with_the_cause_the_green_run_never_printed(sandbox, home, knowledge):
    failed = seed(sandbox, green=True)
    assert "widgets.v3" in first_cause(chat_opening(sandbox, home, knowledge, failed))
    assert "widgets.v3" not in plain_causes(knowledge)[0]


def test_chat_without_a_green_run_opens_with_the_plain_diagnosis(sandbox, home, knowledge):
    failed = seed(sandbox, green=False)
    assert plain_causes(knowledge)[0] in first_cause(chat_opening(sandbox, home, knowledge, failed))


def test_mcp_diagnosis_of_a_run_uses_its_green_predecessor(sandbox, home, knowledge, bm25_guides):
    failed = seed(sandbox, green=True)
    store = Store(home / "agent.db")
    tools = AgentTools(GitHub(base_url=sandbox.url, token=sandbox.token), store, Policy(), kb=knowledge,
                       index=bm25_guides, repo=REPO)

    async def main():
        async with Client(build_server(tools)) as client:
            return await client.call_tool("lookup_known_issue", {"run_id": failed})

    assert not anyio.run(main).is_error
    stored = store.get_diagnosis(REPO, failed, 1)
    assert "widgets.v3" in stored.root_cause_lines[0]
    assert json.dumps(stored.root_cause_lines) != json.dumps(plain_causes(knowledge))

"""`agent mcp` over stdio as a subprocess, driven by mcp.Client: list tools, read a log, stage a plan."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from test_tools_world import REPO, TOKEN, WORKFLOW, make_world

pytest_plugins = ("test_tools_world",)
AGENT = str(Path(sys.executable).parent / "agent")


def test_agent_mcp_over_stdio_lists_reads_and_stages(sandbox, tmp_path):
    _, failed = make_world(sandbox)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANTHROPIC_", "GITHUB_"))}
    env.update({"GITHUB_TOKEN": sandbox.token, "AGENT_HOME": str(tmp_path)})
    params = StdioServerParameters(command=AGENT, args=["mcp", "--github-url", sandbox.url, "--repo", REPO,
                                                        "--search-mode", "bm25"], env=env)
    edit = {"run_id": failed, "path": WORKFLOW, "old": "timeout-minutes: 60", "new": "timeout-minutes: 75"}

    async def main():
        async with Client(params) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            log = await client.call_tool("read_log", {"run_id": failed, "grep": "widgets"})
            staged = await client.call_tool("propose_edit", edit)
            return names, log, staged

    names, log, staged = anyio.run(main)
    assert {"read_log", "propose_edit", "execute_plan"} <= names and "submit_plan" not in names
    log_text = log.content[0].text
    assert not log.is_error and "widgets.v3" in log_text and TOKEN not in log_text
    answer = json.loads(staged.content[0].text)
    assert answer["decision"]["to"] == "pull_request" and answer["executed"] is False and answer["plan_id"]
    assert not [r for r in sandbox.requests if r.method in ("POST", "PUT", "PATCH", "DELETE")]


def test_agent_mcp_over_stdio_answers_a_missing_run_in_one_line_and_logs_one_line(sandbox, tmp_path):
    make_world(sandbox)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANTHROPIC_", "GITHUB_"))}
    env.update({"GITHUB_TOKEN": sandbox.token, "AGENT_HOME": str(tmp_path)})
    params = StdioServerParameters(command=AGENT, args=["mcp", "--github-url", sandbox.url, "--repo", REPO,
                                                        "--search-mode", "bm25"], env=env)
    errors = tmp_path / "stderr.txt"

    async def main():
        with errors.open("w", encoding="utf-8") as errlog:
            async with Client(stdio_client(params, errlog=errlog)) as client:
                return await client.call_tool("get_run", {"run_id": 987654})

    result = anyio.run(main)
    assert result.is_error and "not found" in result.content[0].text
    logged = errors.read_text(encoding="utf-8")
    assert "Traceback" not in logged
    assert len([line for line in logged.splitlines() if "987654" in line]) == 1

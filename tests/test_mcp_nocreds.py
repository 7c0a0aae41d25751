"""MCP without GitHub credentials: run-free tools and triage_log work, GitHub tools answer what to set;
tools act only on the configured repositories."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters
from test_tools_world import NOVEL_ERROR, REPO, TOKEN, make_world, novel_logs

from agent.github import GitHub
from agent.mcp_server import AgentTools, build_server
from agent.policy import Policy
from agent.store import Store

pytest_plugins = ("test_tools_world",)
AGENT = str(Path(sys.executable).parent / "agent")
NO_GITHUB = "this tool needs GitHub: set GITHUB_TOKEN, or AGENT_APP_ID, AGENT_APP_PRIVATE_KEY_FILE, AGENT_APP_INSTALLATION_ID"


def job_log() -> str:
    """The novel failure's job log (it prints a token, which must not come back)."""
    layout = novel_logs()
    return next(text for name, text in layout.items() if "/" not in name)


@pytest.fixture
def offline(tmp_path, bm25_guides, knowledge, monkeypatch):
    """A server built with no GitHub client, configured for REPO."""
    monkeypatch.setenv("AGENT_HOME", str(tmp_path / "home"))
    tools = AgentTools(None, Store(tmp_path / "agent.db"), Policy(), kb=knowledge, index=bm25_guides, repo=REPO,
                       no_github=NO_GITHUB)
    return build_server(tools)


def call(server, *calls: tuple[str, dict]):
    async def main():
        async with Client(server) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            return names, [await client.call_tool(name, arguments) for name, arguments in calls]
    return anyio.run(main)


def text_of(result) -> str:
    return "\n".join(block.text for block in result.content)


def test_without_credentials_every_tool_is_listed_and_guides_answer(offline):
    names, (found,) = call(offline, ("search_guides", {"query": "GLIBC not found in container"}))
    assert {"triage_log", "read_log", "get_run", "search_guides", "execute_plan"} <= names
    assert not found.is_error and text_of(found).strip()


def test_triage_log_diagnoses_a_local_file_redacted(offline, tmp_path):
    path = tmp_path / "build.log"
    path.write_text(job_log(), encoding="utf-8")
    _, (result,) = call(offline, ("triage_log", {"path": str(path)}))
    assert not result.is_error
    diagnosis = json.loads(text_of(result))
    assert any("widgets.v3" in line for line in diagnosis["root_cause_lines"])
    assert diagnosis["failed_steps"] and TOKEN not in text_of(result) and diagnosis["redactions"] >= 1


def test_triage_log_diagnoses_pasted_text(offline):
    text = f"$ make\ncc -c widget.c\n{NOVEL_ERROR}\nmake: *** [Makefile:12: all] Error 1\n"
    _, (result,) = call(offline, ("triage_log", {"text": text}))
    assert not result.is_error
    assert any("widgets.v3" in line for line in json.loads(text_of(result))["root_cause_lines"])


@pytest.mark.parametrize("arguments", [{}, {"path": "x.log", "text": "error"}, {"path": "-"}])
def test_triage_log_wants_exactly_one_of_path_or_text(offline, arguments):
    _, (result,) = call(offline, ("triage_log", arguments))
    assert result.is_error and len(text_of(result).splitlines()) == 1


def test_triage_log_on_a_missing_file_answers_one_line(offline, tmp_path):
    _, (result,) = call(offline, ("triage_log", {"path": str(tmp_path / "nope.log")}))
    assert result.is_error and "no such file" in text_of(result) and len(text_of(result).splitlines()) == 1


@pytest.mark.parametrize("name, arguments", [("read_log", {"run_id": 7}), ("list_recent_runs", {"workflow": "CI.yml"}),
                                             ("get_run", {"run_id": 7}), ("execute_plan", {"plan_id": "p1"})])
def test_a_github_tool_without_credentials_says_what_to_set(offline, name, arguments):
    _, (result,) = call(offline, (name, arguments))
    assert result.is_error and text_of(result).endswith(NO_GITHUB) and len(text_of(result).splitlines()) == 1


def test_a_repository_that_is_not_configured_is_refused_in_one_line(sandbox, tmp_path, bm25_guides, knowledge,
                                                                    monkeypatch):
    monkeypatch.setenv("AGENT_HOME", str(tmp_path / "home"))
    _, failed = make_world(sandbox)
    sandbox.add_repo("someone/else", files={"README.md": "x\n"})
    gh = GitHub(base_url=sandbox.url, token=sandbox.token)
    server = build_server(AgentTools(gh, Store(tmp_path / "agent.db"), Policy(), kb=knowledge, index=bm25_guides,
                                     repo=REPO))
    _, (refused, allowed) = call(server, ("get_run", {"run_id": failed, "repo": "someone/else"}),
                                 ("get_run", {"run_id": failed, "repo": REPO.lower()}))
    assert refused.is_error and "someone/else is not configured" in text_of(refused)
    assert len(text_of(refused).splitlines()) == 1 and not allowed.is_error
    assert not [r for r in sandbox.requests if "someone/else" in r.path]


def test_a_server_with_no_repository_configured_refuses_run_tools(sandbox, tmp_path, knowledge, monkeypatch):
    monkeypatch.setenv("AGENT_HOME", str(tmp_path / "home"))
    _, failed = make_world(sandbox)
    gh = GitHub(base_url=sandbox.url, token=sandbox.token)
    server = build_server(AgentTools(gh, Store(tmp_path / "agent.db"), Policy(), kb=knowledge))
    _, (result,) = call(server, ("get_run", {"run_id": failed, "repo": REPO}))
    assert result.is_error and "--repo" in text_of(result)


def test_agent_mcp_over_stdio_starts_without_a_token(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "GITHUB_", "GH_", "AGENT_APP_"))}
    env["AGENT_HOME"] = str(tmp_path)
    params = StdioServerParameters(command=AGENT, args=["mcp", "--repo", REPO, "--search-mode", "bm25"], env=env)

    async def main():
        async with Client(params) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            triaged = await client.call_tool("triage_log", {"text": job_log()})
            run = await client.call_tool("get_run", {"run_id": 5})
            return names, triaged, run

    names, triaged, run = anyio.run(main)
    assert {"triage_log", "read_log", "search_guides"} <= names
    assert not triaged.is_error and "widgets.v3" in text_of(triaged) and TOKEN not in text_of(triaged)
    assert run.is_error and "GITHUB_TOKEN" in text_of(run) and "AGENT_APP_ID" in text_of(run)
    assert len(text_of(run).splitlines()) == 1


def test_triage_log_ranks_down_what_a_given_green_log_also_printed(offline, tmp_path):
    from test_lastgreen_pipeline import failing_logs, green_logs

    paths = {}
    for kind, layout in (("failed", failing_logs()), ("green", green_logs())):
        paths[kind] = tmp_path / f"{kind}.log"
        paths[kind].write_text(next(text for name, text in layout.items() if "/" not in name), encoding="utf-8")
    _, (plain, diffed, missing) = call(offline, ("triage_log", {"path": str(paths["failed"])}),
                                       ("triage_log", {"path": str(paths["failed"]), "last_green_path": str(paths["green"])}),
                                       ("triage_log", {"path": str(paths["failed"]),
                                                       "last_green_path": str(tmp_path / "absent.log")}))
    first = [json.loads(text_of(result))["root_cause_lines"][0] for result in (plain, diffed, missing)]
    assert "widgets.v3" not in first[0] and "widgets.v3" in first[1] and first[2] == first[0]

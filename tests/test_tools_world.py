"""A sandbox world the tool, handoff, chat and MCP tests share: a repo, a green run and a novel failure."""

from __future__ import annotations

import pytest

from agent.github import GitHub
from agent.knowledge import load_known_issues
from agent.llm.handoff import tool_context
from agent.policy import Policy
from agent.rag import Index, guide_source
from agent.sandbox import Sandbox
from agent.store import Store
from evals.synth import StepSpec, run_layout
from tools.search_guides import ModeIndex

REPO = "Apra-Labs/ApraPipes"
WORKFLOW = ".github/workflows/CI-Linux.yml"
TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"
WORKFLOW_TEXT = """name: CI-Linux
on: [push, pull_request]
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-22.04
    timeout-minutes: 60
    steps:
      - uses: actions/checkout@v4
      - name: Build
        run: ./build.sh
"""
FILES = {
    WORKFLOW: WORKFLOW_TEXT,
    ".github/workflows/doxy.yml": "name: docs\non: [push]\njobs: {}\n",
    "base/vcpkg.json": '{\n  "name": "apra-pipes",\n  "dependencies": ["zlib"]\n}\n',
    "base/test/widget_tests.cpp": "// tests\n",
    "src/private.cpp": "int secret_sauce();\n",
    "build.sh": "#!/bin/sh\ncmake --build build\n",
    "README.md": "ApraPipes\n",
}
NOVEL_ERROR = "error: widgetgen: schema 'widgets.v3' is not registered (expected one of widgets.v1, widgets.v2)"
NOISE = ["-- Configuring done", "-- Generating done", "[ 10%] Building CXX object base/CMakeFiles/aprapipes.dir/src/Frame.cpp.o"]


def build_steps(error_lines: list[str], failed: bool = True) -> dict[str, list[StepSpec]]:
    """One job: checkout, then a build step that prints NOISE and (when failing) the error lines."""
    return {"build": [StepSpec(name="actions/checkout@v4", uses="actions/checkout@v4", failed=False),
                      StepSpec(name="Build", lines=NOISE + error_lines, noise=30, failed=failed,
                               exit_code=1 if failed else None)]}


def novel_logs(extra: list[str] | None = None) -> dict[str, str]:
    """A failing run whose error no known issue matches (plus `extra` lines, e.g. an injection)."""
    return run_layout(build_steps([*(extra or []), f"token={TOKEN}", NOVEL_ERROR]), workflow=WORKFLOW, seed=3)


def add_green_run(sb: Sandbox, repo: str = REPO) -> int:
    """A successful run of the workflow whose log shares the build noise (the CI fake, marked green)."""
    logs = run_layout(build_steps([], failed=False), workflow=WORKFLOW, seed=3)
    return sb.mark_succeeded(repo, sb.add_failed_run(repo, WORKFLOW, name="CI-Linux", logs=logs))


def make_world(sb: Sandbox, extra_lines: list[str] | None = None, files: dict[str, str] | None = None,
               commit_message: str | None = None) -> tuple[int, int]:
    """Seed the repo, one green run, then the failed run. → (green run id, failed run id)."""
    sb.add_repo(REPO, files={**FILES, **(files or {})})
    green = add_green_run(sb)
    if commit_message:
        sb.commit_file(REPO, "main", "README.md", "ApraPipes!\n", message=commit_message)
        sb.wait_for_runs(REPO)
    failed = sb.add_failed_run(REPO, WORKFLOW, name="CI-Linux", logs=novel_logs(extra_lines),
                               actor={"login": "dev1", "association": "MEMBER"})
    return green, failed


@pytest.fixture(scope="session")
def bm25_guides(tmp_path_factory):
    index = Index(tmp_path_factory.mktemp("guides-index"))
    index.build([guide_source()], vectors=False)
    return ModeIndex(index, "bm25")


@pytest.fixture(scope="session")
def knowledge():
    return load_known_issues()


@pytest.fixture
def sandbox():
    with Sandbox(ci_delay=0.05) as sb:
        yield sb


@pytest.fixture
def world(sandbox, tmp_path, bm25_guides, knowledge, monkeypatch):
    """(sandbox, ToolContext on the failed run, green run id)."""
    monkeypatch.setenv("AGENT_HOME", str(tmp_path / "home"))
    green, failed = make_world(sandbox)
    gh = GitHub(base_url=sandbox.url, token=sandbox.token)
    ctx = tool_context(gh, REPO, failed, store=Store(tmp_path / "agent.db"), kb=knowledge, index=bm25_guides,
                       policy=Policy())
    return sandbox, ctx, green


def test_the_world_has_a_green_run_before_the_failed_one(world):
    sb, ctx, green = world
    conclusions = {run["id"]: run["conclusion"] for run in sb.runs(REPO)}
    assert conclusions[green] == "success" and conclusions[ctx.run_id] == "failure" and green < ctx.run_id

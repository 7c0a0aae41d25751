"""`agent chat` as a subprocess on a sandbox run: reduced mode without a key, and the real SDK against the stub."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from test_tools_world import REPO, TOKEN, WORKFLOW, WORKFLOW_TEXT, make_world

from agent.llm.scripted import text, tool_use, turn
from agent.llm.stub_server import MessagesStub

pytest_plugins = ("test_tools_world",)
AGENT = str(Path(sys.executable).parent / "agent")
CACHE_LINE = ("##[error]This request has been automatically failed because it uses a deprecated version of "
              "`actions/cache: v2`.")
MUTATING = ("POST", "PUT", "PATCH", "DELETE")


def chat(sb, run_id: int, home: Path, stdin: str, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("ANTHROPIC_", "GITHUB_"))}
    environment.update({"GITHUB_TOKEN": sb.token, "AGENT_HOME": str(home), **env})
    return subprocess.run([AGENT, "chat", str(run_id), "--repo", REPO, "--github-url", sb.url, "--search-mode", "bm25"],
                          input=stdin, capture_output=True, text=True, env=environment, timeout=120,
                          check=False)


def test_reduced_mode_answers_the_commands_and_no_to_fix_writes_nothing(sandbox, tmp_path):
    workflow = WORKFLOW_TEXT.replace("      - name: Build", "      - uses: actions/cache@v2\n      - name: Build")
    _, failed = make_world(sandbox, extra_lines=[CACHE_LINE], files={WORKFLOW: workflow})
    script = "diagnosis\nlog build Build --grep deprecated\nsearch actions/cache deprecated version\nfix\nno\nquit\n"
    done = chat(sandbox, failed, tmp_path, script)
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "reduced mode" in out and "known issue:     actions-cache-too-old" in out
    assert "deprecated version of `actions/cache: v2`" in out
    assert "guides/troubleshooting." in out
    assert "-      - uses: actions/cache@v2" in out and "+      - uses: actions/cache@v4" in out
    assert "gate: allow auto_fix" in out and "not carried out; nothing was written" in out
    assert TOKEN not in out
    assert not [r for r in sandbox.requests if r.method in MUTATING and "/actions/runs" not in r.path]


def test_reduced_mode_explains_that_questions_need_a_model_and_ends_at_eof(sandbox, tmp_path):
    _, failed = make_world(sandbox)
    done = chat(sandbox, failed, tmp_path, "why did it fail?\n")
    assert done.returncode == 0 and "questions need a model" in done.stdout and done.stdout.rstrip().endswith("bye")


def test_with_a_model_the_real_sdk_reads_the_log_through_a_tool_then_answers(sandbox, tmp_path):
    _, failed = make_world(sandbox)
    with MessagesStub() as stub:
        stub.reply(turn(tool_use("read_log", {"grep": "widgets"})),
                   turn(text("widgetgen has no widgets.v3 schema; register it or pin widgets.v2.")))
        done = chat(sandbox, failed, tmp_path, "why did it fail?\nquit\n", ANTHROPIC_API_KEY="stub-key",
                    ANTHROPIC_BASE_URL=stub.url)
        bodies = stub.bodies
    assert done.returncode == 0, done.stderr
    assert "widgetgen has no widgets.v3 schema" in done.stdout
    assert len(bodies) == 2
    first, second = bodies
    assert "why did it fail?" in str(first["messages"][0]["content"]) and "untrusted-" in str(first["messages"])
    result = second["messages"][-1]["content"][0]
    assert result["type"] == "tool_result" and "widgets.v3" in result["content"]
    assert TOKEN not in str(bodies)

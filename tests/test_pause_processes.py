"""`agent pause` in one process stops the writes of every other process sharing AGENT_HOME (the gate reads it)."""

from __future__ import annotations

import os
import subprocess
import sys

from test_executor_kit import REPO, WRITES, add_novel_run, issues, pipeline

from agent.store import Store

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""

DROPPED = ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_API_URL", "GITHUB_REPOSITORY", "ANTHROPIC_API_KEY", "AGENT_DEBUG",
           "AGENT_POLICIES")


def agent(*args: str, token: str | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from agent.cli.app import main; main()"]
    environ = {key: value for key, value in os.environ.items() if key not in DROPPED}
    if token:
        environ["GITHUB_TOKEN"] = token
    return subprocess.run([*command, *args], check=False, capture_output=True, text=True, env=environ, timeout=180,
                          stdin=subprocess.DEVNULL)


def repo_writes(sb) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in sb.requests if r.method in WRITES and f"/repos/{REPO}/" in r.path]


def test_a_repository_paused_in_one_process_gets_no_write_from_agent_fix_in_another(sb, home):
    run_id = add_novel_run(sb)
    paused = agent("pause", "--repo", REPO.lower(), "--reason", "incident 42")
    assert paused.returncode == 0, paused.stderr
    fixed = agent("fix", str(run_id), "--repo", REPO, "--github-url", sb.url, token=sb.token)
    assert fixed.returncode == 0, fixed.stderr
    assert "status:    denied" in fixed.stdout and "kill_switch.pause" in fixed.stdout
    assert "incident 42" in fixed.stdout
    assert repo_writes(sb) == [] and issues(sb) == []


def test_a_paused_repository_gets_no_write_from_a_daemon_pipeline_and_resume_lets_it_write(sb, home):
    run_id = add_novel_run(sb)
    assert agent("pause", "--repo", REPO).returncode == 0
    assert pipeline(sb, home).handle_run(REPO, run_id).status == "denied"
    assert repo_writes(sb) == []
    resumed = agent("resume", "--repo", REPO, "--json")
    assert resumed.returncode == 0 and '"was_paused": true' in resumed.stdout
    assert pipeline(sb, home).handle_run(REPO, run_id).status == "escalated" and len(issues(sb)) == 1


def test_a_global_pause_stops_every_repository_and_outlives_a_repository_resume(sb, home):
    run_id = add_novel_run(sb)
    assert agent("pause").returncode == 0
    assert agent("resume", "--repo", REPO).returncode == 0
    result = pipeline(sb, home).handle_run(REPO, run_id)
    assert result.status == "denied" and "all repositories" in result.reason
    assert repo_writes(sb) == []
    assert Store(home / "agent.db").paused("any/where") is not None


def test_pause_with_a_token_sets_the_kill_switch_label_on_the_repository(sb, home):
    add_novel_run(sb)
    done = agent("pause", "--repo", REPO, "--github-url", sb.url, token=sb.token)
    assert done.returncode == 0, done.stderr
    assert "agent-kill-switch" in pipeline(sb, home).gh.repo_labels(REPO)


def test_agent_status_lists_the_pauses_in_force(home):
    assert agent("pause", "--repo", REPO, "--reason", "release freeze").returncode == 0
    shown = agent("status")
    assert shown.returncode == 0 and "paused:      apra-labs/aprapipes" in shown.stdout
    assert "release freeze" in shown.stdout and "agent resume --repo apra-labs/aprapipes" in shown.stdout
    assert agent("resume", "--repo", REPO).returncode == 0
    assert "paused:" not in agent("status").stdout

"""The GitHub Action's entry point (`agent action`): one workflow_run event from a file, end to end on the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli_app_auth import agent
from test_executor_kit import REPO, add_novel_run, add_sfml_repo, issues, pulls, writes

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""


def event_file(sb, folder: Path, run_id: int, action: str = "completed", conclusion: str | None = None) -> Path:
    """A workflow_run event payload for the sandbox run, as GitHub writes it to GITHUB_EVENT_PATH."""
    run = next(r for r in sb.runs(REPO) if int(r["id"]) == run_id)
    if conclusion:
        run = {**run, "conclusion": conclusion}
    payload = {"action": action, "workflow_run": run, "repository": {"full_name": REPO}}
    path = folder / f"event-{run_id}-{action}.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def action_env(sb, home: Path, event: Path, tag: str) -> dict[str, str]:
    """A fresh state directory per invocation: nothing survives between two runs of the action."""
    state = home / f"runner-temp-{tag}"
    state.mkdir()
    return {"GITHUB_EVENT_PATH": str(event), "GITHUB_API_URL": sb.url, "GITHUB_TOKEN": sb.token,
            "AGENT_HOME": str(state), "GITHUB_OUTPUT": str(state / "output"),
            "GITHUB_STEP_SUMMARY": str(state / "summary.md")}


def test_action_escalates_the_failed_run_of_a_workflow_run_event_and_writes_step_outputs(sb, home):
    run_id = add_novel_run(sb)
    env = action_env(sb, home, event_file(sb, home, run_id), "a")
    done = agent("action", "--verify-timeout", "10", "--poll-interval", "0.05", **env)
    assert done.returncode == 0, done.stderr
    assert len(issues(sb)) == 1
    outputs = Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8")
    assert "status=escalated" in outputs and f"/issues/{issues(sb)[0].number}\n" in outputs
    assert "**escalated**" in Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")


def test_two_stateless_runs_of_the_same_failure_file_one_issue_then_comment(sb, home):
    first = add_novel_run(sb)
    second = add_novel_run(sb, new_repo=False)
    one = agent("action", **action_env(sb, home, event_file(sb, home, first), "one"))
    two = agent("action", **action_env(sb, home, event_file(sb, home, second), "two"))
    assert one.returncode == 0 and two.returncode == 0, (one.stderr, two.stderr)
    assert len(issues(sb)) == 1
    comments = [c for i in issues(sb) for c in i.comments]
    assert len(comments) == 1 and "commented" in two.stdout


def test_two_stateless_runs_of_a_medium_fix_open_one_pull_request(sb, home):
    first = add_sfml_repo(sb)
    one = agent("action", "--verify-timeout", "10", "--poll-interval", "0.05",
                **action_env(sb, home, event_file(sb, home, first), "one"))
    second = sb.add_failed_run(REPO, workflow=".github/workflows/CI-Windows.yml", name="CI-Windows",
                               logs=sb.repo(REPO).runs[first].latest.logs, actor={"login": "dev1",
                                                                                  "association": "MEMBER"})
    two = agent("action", "--verify-timeout", "10", "--poll-interval", "0.05",
                **action_env(sb, home, event_file(sb, home, second), "two"))
    assert one.returncode == 0 and two.returncode == 0, (one.stderr, two.stderr)
    assert len(pulls(sb)) == 1, [(p.number, p.head) for p in pulls(sb)]


def test_action_ignores_a_successful_run_and_an_unwatched_workflow_without_writing(sb, home):
    run_id = add_novel_run(sb)
    green = agent("action", **action_env(sb, home, event_file(sb, home, run_id, conclusion="success"), "green"))
    other = agent("action", "--workflows", "CI-Windows, CI-MacOSX",
                  **action_env(sb, home, event_file(sb, home, run_id), "other"))
    assert green.returncode == 0 and "ignored" in green.stdout and "conclusion success" in green.stdout
    assert other.returncode == 0 and "not in the workflows input" in other.stdout
    assert writes(sb) == []


def test_action_acts_on_a_watched_workflow_given_by_file_name(sb, home):
    run_id = add_novel_run(sb)
    done = agent("action", "--workflows", "CI-Windows.yml,CI-Linux.yml",
                 **action_env(sb, home, event_file(sb, home, run_id), "named"))
    assert done.returncode == 0, done.stderr
    assert len(issues(sb)) == 1


def test_action_refuses_an_event_that_is_not_workflow_run_with_one_line(sb, home):
    push = home / "push.json"
    push.write_text(json.dumps({"ref": "refs/heads/main", "repository": {"full_name": REPO}}), encoding="utf-8")
    done = agent("action", **action_env(sb, home, push, "push"))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "not a workflow_run event" in done.stderr
    assert "Traceback" not in done.stderr


def test_action_without_an_event_file_says_what_to_set(home):
    done = agent("action", AGENT_HOME=str(home))
    assert done.returncode == 2 and "GITHUB_EVENT_PATH" in done.stderr and "Traceback" not in done.stderr

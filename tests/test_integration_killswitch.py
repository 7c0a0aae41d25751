"""Kill switch by repository label: once the label exists, `agent fix` makes no mutating request (#36)."""

from __future__ import annotations

import json

import pytest
from test_executor_kit import REPO, WRITES, add_glibc_repo, client, pulls, writes

from agent.cli.app import main
from agent.store import Store

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""


def run_cli(capsys, sb, run_id, *extra):
    args = ["fix", str(run_id), "--repo", REPO, "--github-url", sb.url, "--token", sb.token,
            "--verify-timeout", "10", "--poll-interval", "0.05", *extra]
    with pytest.raises(SystemExit) as stop:
        main(args)
    out = capsys.readouterr()
    return stop.value.code, out.out, out.err


def test_repo_labels_lists_the_labels_created_on_the_repository(sb):
    sb.add_repo(REPO, files={"README.md": "x"})
    gh = client(sb)
    assert gh.repo_labels(REPO) == []
    gh.request("POST", f"/repos/{REPO}/labels", body={"name": "agent-kill-switch", "color": "b60205"})
    sb.add_label(REPO, "bug")
    assert gh.repo_labels(REPO) == ["agent-kill-switch", "bug"]


def test_creating_a_label_twice_is_refused(sb):
    sb.add_repo(REPO, files={"README.md": "x"})
    gh = client(sb)
    gh.request("POST", f"/repos/{REPO}/labels", body={"name": "bug"})
    with pytest.raises(Exception, match="422"):
        gh.request("POST", f"/repos/{REPO}/labels", body={"name": "Bug"})


@pytest.mark.parametrize("label", ["agent-kill-switch", "Agent-Kill-Switch"])
def test_kill_switch_label_makes_agent_fix_write_nothing(sb, home, capsys, label):
    run_id = add_glibc_repo(sb)
    client(sb).request("POST", f"/repos/{REPO}/labels", body={"name": label})
    before = len(sb.requests)
    code, out, _ = run_cli(capsys, sb, run_id, "--json")
    result = json.loads(out)
    after = sb.requests[before:]
    assert code == 0 and result["status"] == "denied"
    assert result["decision"]["rule"] == "kill_switch.label"
    assert after and [r for r in after if r.method in WRITES] == []
    assert pulls(sb) == [] and [m for m, _ in writes(sb)] == ["POST"]  # only the test's own label
    plan = Store(home / "agent.db").get_plan(result["plan"]["id"])
    assert plan.action == "auto_fix" and plan.edits  # the proposal is still logged


def test_without_the_label_the_same_run_is_fixed(sb, home, capsys):
    run_id = add_glibc_repo(sb)
    sb.add_label(REPO, "bug")
    code, out, _ = run_cli(capsys, sb, run_id, "--json")
    assert code == 0 and json.loads(out)["status"] == "fixed"

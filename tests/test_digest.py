"""The week on the dashboard issue: a ticked waiting plan is approved (the gate asked again, CI before the
merge), an unticked merged fix is reverted; the kill switch still stops both."""

from __future__ import annotations

import pytest
from test_executor_kit import REPO, add_sfml_repo, client, issues, pipeline, pulls

from agent.executor.dashboard import DASHBOARD_MARKER
from agent.executor.digest import APPROVE, KEEP, decisions_in, render_digest

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""


def dashboard(sb):
    [found] = [i for i in issues(sb) if DASHBOARD_MARKER in (i.body or "")]
    return found


def tick(sb, number: int, kind: str, ticked: bool) -> None:
    issue = sb.repo(REPO).issues[number]
    old, new = ("- [ ]", "- [x]") if ticked else ("- [x]", "- [ ]")
    body = "\n".join(line.replace(old, new, 1) if f"devops-agent:{kind}=" in line else line
                     for line in issue.body.splitlines())
    client(sb).update_issue(REPO, number, body=body)


def test_decisions_in_reads_ticked_approvals_and_unticked_keeps_only():
    items = {"waiting": [{"plan": "aaaaaa1", "what": "w", "template": "t", "url": "", "at": ""}],
             "merged": [{"plan": "bbbbbb2", "what": "m", "template": "t", "url": "", "at": "2026-12-07"}],
             "reverted": [], "escalated": []}
    body = render_digest(items)
    assert decisions_in(body) == []
    body = body.replace("- [ ]", "- [x]").replace(f"- [x] <!-- devops-agent:{KEEP}", f"- [ ] <!-- devops-agent:{KEEP}")
    assert sorted(decisions_in(body)) == [(APPROVE, "aaaaaa1"), (KEEP, "bbbbbb2")]


def test_ticking_a_waiting_plan_merges_it_after_ci_and_unticking_it_opens_the_revert(sb, home):
    p = pipeline(sb, home, dashboard=True)
    run_id = add_sfml_repo(sb)
    assert p.handle_run(REPO, run_id).status == "pr_open"
    issue = dashboard(sb)
    assert f"devops-agent:{APPROVE}=" in issue.body and "- [ ]" in issue.body
    [pull] = pulls(sb)
    assert not pull.merged

    tick(sb, issue.number, APPROVE, True)
    p.dashboard.refresh(REPO, sb.runs(REPO)[0])
    assert pulls(sb)[0].merged
    body = dashboard(sb).body
    assert f"- [x] <!-- devops-agent:{KEEP}=" in body

    tick(sb, issue.number, KEEP, False)
    p.dashboard.refresh(REPO, sb.runs(REPO)[0])
    reverts = [pr for pr in pulls(sb) if pr.number != pull.number]
    assert len(reverts) == 1
    p.dashboard.refresh(REPO, sb.runs(REPO)[0])
    assert len(pulls(sb)) == 2  # acted on once


@pytest.mark.parametrize("stop", ["env", "label"])
def test_an_approval_never_lifts_the_kill_switch(sb, home, monkeypatch, stop):
    p = pipeline(sb, home, dashboard=True)
    run_id = add_sfml_repo(sb)
    assert p.handle_run(REPO, run_id).status == "pr_open"
    issue = dashboard(sb)
    tick(sb, issue.number, APPROVE, True)
    if stop == "env":
        monkeypatch.setenv("AGENT_KILL_SWITCH", "1")
    else:
        sb.add_label(REPO, "agent-kill-switch")
    p.dashboard.refresh(REPO, sb.runs(REPO)[0])
    assert not pulls(sb)[0].merged

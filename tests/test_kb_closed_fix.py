"""Fault #34 end to end: a fix PR a human closed unmerged is never proposed again for that signature."""

from __future__ import annotations

from pathlib import Path

from agent import PROJECT_ROOT
from agent.github import GitHub
from agent.knowledge import load_known_issues
from agent.knowledge.learning import effective_confidence
from agent.pipeline import Pipeline
from agent.policy import load_policy
from agent.sandbox import Sandbox
from agent.sandbox.cases import read_case, read_logs
from agent.store import Store

CASE = PROJECT_ROOT / "evals" / "cases" / "boost-filesystem-extension"


def pulls_opened(sb: Sandbox) -> list:
    return [r for r in sb.requests if r.method == "POST" and r.path.endswith("/pulls") and r.status == 201]


def test_a_closed_unmerged_fix_is_not_reproposed_and_the_failure_escalates_instead(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("AGENT_HOME", str(tmp_path))
    store, kb = Store(tmp_path / "agent.db"), load_known_issues()
    with Sandbox(ci_delay=0.05) as sb:
        full_name, run_id = sb.load_case(CASE)
        gh = GitHub(base_url=sb.url, token=sb.token)
        pipeline = Pipeline(gh, store, load_policy(), kb=kb, verify_timeout=10, poll_interval=0.02)
        first = pipeline.handle_run(full_name, run_id)
        assert first.status == "pr_open" and len(pulls_opened(sb)) == 1
        gh.close_pull(full_name, int(first.urls[0].rstrip("/").split("/")[-1]))  # a human says no

        run = read_case(CASE)["run"]
        again = sb.add_failed_run(full_name, workflow=run["workflow"], name=run.get("name"), logs=read_logs(CASE),
                                  actor=run.get("actor"))
        second = pipeline.handle_run(full_name, again)
        sb.wait_for_runs(full_name, timeout=10)

    assert second.diagnosis.signature == first.diagnosis.signature
    assert second.status == "escalated" and second.plan.fix is None
    assert len(pulls_opened(sb)) == 1
    assert store.closed_fix_keys(full_name) and store.outcomes(plan_id=first.plan.id)[0]["outcome"] == "closed_unmerged"
    issue_id = first.plan.known_issue_id
    prior = kb.get(issue_id).confidence
    assert effective_confidence(issue_id, prior, store) < prior

"""Issue 14, attack 1: a plan the model composed never runs with the base repository's secrets."""

from __future__ import annotations

import pytest
from test_tools_world import REPO, WORKFLOW, make_world

from agent.github import GitHub
from agent.llm.handoff import carry_out, decide_plan, diagnose, llm_plan, tool_context
from agent.llm.scripted import ScriptedModel, tool_use, turn
from agent.models import PlanSource
from agent.policy import Policy
from agent.store import Store

pytest_plugins = ("test_tools_world",)
BENIGN = {"path": WORKFLOW, "old": "timeout-minutes: 60", "new": "timeout-minutes: 90"}
SUBMIT = {"rationale": "The build needs more time.", "recommended_action": "pull_request"}
FORK = "sandbox-bot/ApraPipes"


def model_plan(ctx):
    model = ScriptedModel([turn(tool_use("propose_edit", BENIGN)), turn(tool_use("submit_plan", SUBMIT))])
    plan = llm_plan(diagnose(ctx), ctx, model)
    assert plan.source == PlanSource.llm and plan.edits
    return plan


@pytest.fixture
def world(sandbox, tmp_path, bm25_guides, knowledge, monkeypatch):
    monkeypatch.setenv("AGENT_HOME", str(tmp_path / "home"))

    def make(policy: Policy):
        _, failed = make_world(sandbox)
        gh = GitHub(base_url=sandbox.url, token=sandbox.token)
        return tool_context(gh, REPO, failed, store=Store(tmp_path / "db"), kb=knowledge, index=bm25_guides,
                            policy=policy)
    return sandbox, make


def test_an_untrusted_plan_never_creates_a_branch_in_the_base_repository(world):
    sb, make = world
    ctx = make(Policy())
    branches = dict(sb.repo(REPO).branches)
    plan = model_plan(ctx)
    result = carry_out(ctx, plan, decide_plan(ctx, plan), verify_timeout=0.1, poll_interval=0.05)
    assert result.status == "pr_open", result
    assert sb.repo(REPO).branches == branches, "nothing may be pushed to the base repository"
    fork = sb.repo(FORK)
    [branch] = [name for name in fork.branches if name.startswith("auto-fix/")]
    assert "timeout-minutes: 90" in sb.file_text(FORK, WORKFLOW, ref=branch)
    [pull] = sb.repo(REPO).pulls.values()
    assert pull.head_repo == FORK and not pull.merged
    assert "needs-human" in sb.repo(REPO).issues[pull.number].labels


def test_the_fork_pull_request_runs_without_secrets_and_only_after_approval(world):
    sb, make = world
    ctx = make(Policy())
    plan = model_plan(ctx)
    carry_out(ctx, plan, decide_plan(ctx, plan), verify_timeout=0.1, poll_interval=0.05)
    [pull] = sb.repo(REPO).pulls.values()
    [run] = [r for r in sb.repo(REPO).runs.values() if pull.number in r.pull_requests]
    assert run.head_repository == FORK and not run.secrets_available and run.approval_required
    assert run.latest.conclusion == "action_required", "nothing executes before a maintainer approves"
    gh = GitHub(base_url=sb.url, token=sb.token)
    gh.request("POST", f"/repos/{REPO}/actions/runs/{run.id}/approve")
    sb.wait_for_runs(REPO)
    assert run.latest.status == "completed" and not run.secrets_available
    assert not sb.repo(FORK).runs, "a fork runs no workflows of its own"


def test_issue_only_shows_the_diff_in_the_issue_and_pushes_nowhere(world):
    sb, make = world
    ctx = make(Policy(untrusted_plans="issue_only"))
    branches = dict(sb.repo(REPO).branches)
    plan = model_plan(ctx)
    result = carry_out(ctx, plan, decide_plan(ctx, plan), verify_timeout=0.1, poll_interval=0.05)
    assert result.status == "escalated", result
    assert sb.repo(REPO).branches == branches and not sb.repo(REPO).pulls
    assert FORK.lower() not in sb.state.repos
    [issue] = [i for i in sb.repo(REPO).issues.values() if not i.is_pull]
    assert "+      timeout-minutes: 90" in issue.body or "+    timeout-minutes: 90" in issue.body
    assert "untrusted_plans: issue_only" in issue.body

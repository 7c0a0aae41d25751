"""Issue 14, attack 2: every write re-asks the gate, so a kill switch or pause set mid-flight stops a merge."""

from __future__ import annotations

import time

import pytest
from test_executor_kit import REPO, add_glibc_repo, pipeline, policy_with, pulls, writes

from agent.config import data_dir
from agent.executor.journal import Stop
from agent.executor.recheck import ask
from agent.models import Action
from agent.policy import Allow
from agent.sandbox import Sandbox
from agent.store import Store

pytest_plugins = ["test_executor_kit"]


def stop_switch(kind: str, sb: Sandbox, home) -> None:
    """Set one way of stopping the agent: the kill-switch file, the repository label, or `agent pause`."""
    if kind == "file":
        (data_dir() / "kill-switch").write_text("stop\n", encoding="utf-8")
    elif kind == "label":
        sb.add_label(REPO, "agent-kill-switch")
    else:
        Store(home / "agent.db").pause(REPO, reason="incident")


def merges(sb: Sandbox) -> list:
    return [path for method, path in writes(sb) if method == "PUT" and path.endswith("/merge")]


@pytest.mark.parametrize("kind", ["file", "label", "pause"])
def test_a_kill_switch_set_while_ci_runs_stops_the_high_fix_from_merging(kind, home):
    with Sandbox(ci_delay=30) as sb:
        run_id = add_glibc_repo(sb)
        p = pipeline(sb, home)
        polls = []

        def wait(seconds: float) -> None:
            polls.append(seconds)
            if len(polls) == 1:
                stop_switch(kind, sb, home)
            time.sleep(0.01)

        p.executor.sleep = wait
        result = p.handle_run(REPO, run_id)
        [pull] = pulls(sb)
        assert not pull.merged and not merges(sb)
        assert len(polls) == 1, "the CI wait re-asks the gate after every poll"
        assert result.status != "fixed" and "kill_switch" in result.reason


def decided(p, run_id: int):
    """The pipeline's steps up to the gate's answer, without carrying it out."""
    run = {**p.gh.get_run(REPO, run_id), "run_attempt": 1}
    diagnosis = p.diagnose(REPO, run)
    plan, decision = p.decide(REPO, run, p.plan_for(REPO, run, diagnosis))
    p.store.save_plan(plan)
    return run, diagnosis, plan, decision


@pytest.mark.parametrize("kind", ["file", "label", "pause"])
def test_a_kill_switch_set_between_the_decision_and_the_first_write_pushes_nothing(kind, sb, home):
    p = pipeline(sb, home)
    run, diagnosis, plan, decision = decided(p, add_glibc_repo(sb))
    assert isinstance(decision, Allow) and decision.action == Action.auto_fix
    branches = dict(sb.repo(REPO).branches)
    stop_switch(kind, sb, home)
    result = p.executor.execute(plan, decision, run, diagnosis)
    assert result.status == "denied" and "kill_switch" in result.reason
    assert sb.repo(REPO).branches == branches and not pulls(sb)


@pytest.mark.parametrize("write", ["merge", "pull_request", "comment", "issue", "rerun"])
def test_every_write_kind_is_refused_once_the_kill_switch_is_set(write, sb, home):
    p = pipeline(sb, home)
    run, _, plan, _ = decided(p, add_glibc_repo(sb))
    assert ask(p.executor, plan, run, write, plan.action) is not None
    stop_switch("file", sb, home)
    with pytest.raises(Stop) as stop:
        ask(p.executor, plan, run, write, plan.action)
    assert stop.value.status == "denied" and "kill_switch.file" in stop.value.reason


def test_a_plan_the_gate_no_longer_allows_at_high_is_not_merged(sb, home):
    p = pipeline(sb, home)
    run, _, plan, _ = decided(p, add_glibc_repo(sb))
    p.executor.policy = p.policy = policy_with(tiers={"high_min_confidence": 0.99})
    allowed, _ = ask(p.executor, plan, run, "pull_request", Action.auto_fix)
    assert allowed == Action.pull_request

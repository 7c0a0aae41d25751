"""A validator that crashes is not a verdict: unavailable on the original → recorded and a PR; on the edit only → refused."""

from __future__ import annotations

import pytest
from fixes_upstream_kit import WF, inject, upstream_repo
from test_policy_helpers import make_context, make_plan, make_policy

from agent import planner
from agent.drafts import pr_body
from agent.models import Action, Category, Diagnosis, Edit, FixSpec, KnownIssueRef
from agent.planner import UNVALIDATED, build_plan, is_analysis_only
from agent.policy import Allow, Downgrade, decide
from tools.fixes.validate import validate_edits

LIN, ARM64 = WF + "build-test-lin.yml", WF + "CI-Linux-ARM64.yml"
RUN = {"id": 7, "run_attempt": 1, "name": "CI-Linux-ARM64", "path": ARM64, "head_branch": "main",
       "head_sha": "b" * 40, "html_url": "https://github.com/Apra-Labs/ApraPipes/actions/runs/7"}
CACHE_V2 = "This request has been automatically failed because it uses a deprecated version of `actions/cache: v2`"
SMALL = """name: x
on:
  workflow_call:
    inputs:
      flag:
        type: boolean
        default: false
permissions: {}
jobs:
  build:
    runs-on: ubuntu-22.04
    steps:
      - name: Configure
        run: 'cmake -B build -DFLAG=OFF'
"""


def cache_v2_diagnosis() -> Diagnosis:
    return Diagnosis(signature="5be1f00d5be1f00d", category=Category.action_deprecated,
                     known_issue=KnownIssueRef(id="actions-cache-v2-retired", confidence=0.95), title="cache v2",
                     proposed_action=Action.auto_fix, root_cause_lines=[CACHE_V2], excerpt=CACHE_V2,
                     fix=FixSpec(template="action_version", params={"action": "actions/cache", "version": "v4"}))


def arm64_cache_v2_plan():
    repo = inject(upstream_repo(), LIN, "uses: actions/cache@v3", "uses: actions/cache@v2")
    repo = inject(repo, WF + "build-test.yml", "actions/cache@v3", "actions/cache@v2")  # broken too, but not on
    repo = inject(repo, WF + "build-test-macosx.yml", "cache/restore@v3", "cache/restore@v2")  # this run's chain
    return build_plan(cache_v2_diagnosis(), "Apra-Labs/ApraPipes", RUN, repo)


def test_zizmor_crashing_on_the_original_file_gives_a_pr_with_the_validator_recorded_not_analysis_only():
    plan = arm64_cache_v2_plan()
    assert not is_analysis_only(plan) and [e.path for e in plan.edits] == [LIN]
    assert plan.unvalidated == [f"zizmor: {LIN}"] and UNVALIDATED in plan.rationale
    assert "-      uses: actions/cache@v2" in plan.diff and "+      uses: actions/cache@v4" in plan.diff
    decision = decide(plan, make_context())
    assert isinstance(decision, Downgrade) and decision.to == Action.pull_request
    assert decision.rule == "validation.degraded"
    body = pr_body(plan, None, decision.reason, RUN)
    assert "validator unavailable for this file" in body and "zizmor" in body and "template-injection" in body


def test_the_cache_fix_on_the_arm64_chain_leaves_working_v3_steps_and_other_workflows_alone():
    plan = arm64_cache_v2_plan()
    assert plan.diff.count("\n-      uses: actions/cache") == 1 and "actions/cache/restore@v3" not in plan.diff


def test_a_crash_only_on_the_edited_file_refuses_that_edit():
    path = WF + "x.yml"
    crashing = SMALL.replace("-DFLAG=OFF'", "-DFLAG=${{ inputs.flag && ''ON'' || ''OFF'' }}'")
    report = validate_edits([Edit(path=path, old=SMALL, new=crashing)])
    assert not report.ok and report.rejected == {path} and report.unavailable == []
    assert report.problems[0].check == "zizmor" and "edited file only" in report.problems[0].message


def test_a_crash_on_one_file_does_not_hide_the_verdict_on_the_others():
    good = Edit(path=WF + "x.yml", old=SMALL, new=SMALL.replace("ubuntu-22.04", "ubuntu-24.04"))
    lin = upstream_repo()[LIN]
    degraded = Edit(path=LIN, old=lin, new=lin.replace("List Test cases", "List test cases", 1))
    report = validate_edits([good, degraded])
    assert report.ok and report.rejected == set()
    assert [(u.path, u.check) for u in report.unavailable] == [(LIN, "zizmor")]


@pytest.mark.parametrize(("allow", "kind", "action"), [
    (False, Downgrade, Action.pull_request),
    (True, Allow, Action.auto_fix),
])
def test_a_degraded_plan_is_auto_merged_only_when_the_policy_allows_degraded(allow, kind, action):
    plan = make_plan(unvalidated=[f"zizmor: {LIN}"])
    decision = decide(plan, make_context(make_policy(validation={"allow_degraded": allow})))
    assert isinstance(decision, kind) and (decision.to if kind is Downgrade else plan.action) == action


def test_a_fully_validated_plan_is_not_touched_by_the_degraded_rule():
    assert isinstance(decide(make_plan(), make_context()), Allow)


def test_under_ci_environment_the_crash_is_still_quoted_without_colour_codes(monkeypatch):
    """CI=true makes zizmor colour its stderr without a terminal; the quoted reason must survive that."""
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("CLICOLOR_FORCE", "1")
    monkeypatch.setattr(planner, "_VALIDATED", {})  # validation is memoised by content: run zizmor again here
    plan = arm64_cache_v2_plan()
    body = pr_body(plan, None, decide(plan, make_context()).reason, RUN)
    assert "template-injection" in body and "\x1b[" not in body


def test_crash_summary_drops_coloured_log_lines_and_keeps_the_reason():
    from tools.fixes.checkers import crash_summary
    stderr = ("\x1b[32m INFO\x1b[0m \x1b[2mzizmor\x1b[0m: v1\n"
              "2026-12-08T00:00:00Z \x1b[33m WARN\x1b[0m audit: " + "x" * 500 + "\n"
              "\x1b[1m\x1b[31mfatal\x1b[39m\x1b[0m: no audit was performed\n"
              "'template-injection' audit failed on file://a.yml\n\nStack backtrace:\n   0: main\n")
    assert crash_summary(stderr) == ("fatal: no audit was performed | "
                                     "'template-injection' audit failed on file://a.yml")

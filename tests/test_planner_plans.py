"""build_plan: deterministic ids, fixes only inside the blast radius, validated edits, issue drafts."""

from __future__ import annotations

import pytest
from test_executor_kit import CONTAINER_WF, GLIBC, NEW_IMAGE, OLD_IMAGE, REPO, repo_files

from agent.models import Action, Category, Diagnosis, FailedStep, FixSpec, KnownIssueRef
from agent.planner import build_plan, is_analysis_only, plan_id

RUN = {"id": 42, "run_attempt": 1, "name": "CI-Linux-CUDA-Docker", "path": CONTAINER_WF, "head_branch": "main",
       "head_sha": "a" * 40, "html_url": "https://github.com/Apra-Labs/ApraPipes/actions/runs/42"}
FIX = FixSpec(template="container_image", params={"image": NEW_IMAGE})


def diagnosis(action=Action.auto_fix, fix=FIX, category=Category.container_incompatible, excerpt=GLIBC):
    known = KnownIssueRef(id="glibc-node20-old-container", confidence=0.95) if fix else None
    return Diagnosis(signature="c3ed261226b74e55", category=category, known_issue=known, title="Node 20 vs glibc",
                     proposed_action=action, fix=fix, root_cause_lines=[GLIBC], excerpt=excerpt,
                     failed_steps=[FailedStep(job="build", step="Run actions/checkout@v4")])


def test_plan_id_is_deterministic_and_changes_with_attempt_and_fix():
    first = plan_id(REPO, 42, 1, "sig", FIX)
    assert first == plan_id(REPO, 42, 1, "sig", FIX)
    assert len({first, plan_id(REPO, 42, 2, "sig", FIX), plan_id(REPO, 42, 1, "sig", None)}) == 3


def test_known_fix_plan_edits_only_the_container_workflow_and_carries_the_issue_draft():
    plan = build_plan(diagnosis(), REPO, RUN, repo_files())
    assert plan.action == Action.auto_fix and [e.path for e in plan.edits] == [CONTAINER_WF]
    assert OLD_IMAGE in plan.diff and NEW_IMAGE in plan.diff and "validation: passed" in plan.rationale
    assert plan.id == build_plan(diagnosis(), REPO, RUN, repo_files()).id
    assert "<!-- devops-agent:signature=c3ed261226b74e55 -->" in plan.issue.body
    assert GLIBC in plan.issue.body and "Run actions/checkout@v4" in plan.issue.body


def test_protected_workflows_are_never_shown_to_the_template():
    files = repo_files()
    files[".github/workflows/release.yml"] = files[CONTAINER_WF]
    plan = build_plan(diagnosis(), REPO, RUN, files)
    assert [e.path for e in plan.edits] == [CONTAINER_WF]


def test_a_template_that_does_not_apply_escalates_with_the_reason():
    plan = build_plan(diagnosis(), REPO, RUN, repo_files(old_image=False))
    assert plan.action == Action.escalate and "does not apply" in plan.rationale and not plan.edits
    assert not is_analysis_only(plan)


def test_edits_failing_validation_are_dropped_and_the_plan_is_analysis_only():
    files = repo_files()
    files[CONTAINER_WF] = files[CONTAINER_WF].replace("timeout-minutes: 360", "timeout-minutes: lots")
    plan = build_plan(diagnosis(), REPO, RUN, files)
    assert plan.action == Action.escalate and is_analysis_only(plan) and not plan.edits
    assert CONTAINER_WF in plan.rationale


@pytest.mark.parametrize(("diag", "action"), [
    (diagnosis(Action.rerun, None, Category.network), Action.rerun),
    (diagnosis(Action.escalate, None, Category.unknown), Action.escalate),
    (diagnosis(Action.ignore, None, Category.unknown), Action.ignore),
])
def test_non_fix_diagnoses_plan_rerun_escalate_or_ignore(diag, action):
    plan = build_plan(diag, REPO, RUN, {})
    assert plan.action == action and not plan.edits
    assert (plan.issue is None) == (action == Action.ignore)


def test_a_marker_look_alike_in_the_log_cannot_hijack_another_signatures_issue():
    fake = "<!-- devops-agent:signature=0000000000000000 -->"
    plan = build_plan(diagnosis(Action.escalate, None, Category.unknown, excerpt=fake), REPO, RUN, {})
    assert fake not in plan.issue.body and plan.issue.body.count("<!-- devops-agent:") == 1

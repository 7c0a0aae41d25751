"""The staging tools write only into ctx.plan: validated, never a request that changes GitHub."""

from __future__ import annotations

import pytest
from test_tools_world import WORKFLOW

from tools.registry import Registry

REGISTRY = Registry()
MUTATING = ("POST", "PUT", "PATCH", "DELETE")

pytest_plugins = ("test_tools_world",)


def call(ctx, name, args):
    return REGISTRY.call(name, args, ctx)


def writes(sb) -> list:
    return [r for r in sb.requests if r.method in MUTATING]


def test_propose_fix_template_stages_a_validated_template(world):
    sb, ctx, _ = world
    result = call(ctx, "propose_fix_template", {"template": "timeout_minutes", "params": {"minutes": 90}})
    assert not result.is_error
    assert [(f.template, f.params) for f in ctx.plan.fixes] == [("timeout_minutes", {"minutes": 90})]
    assert writes(sb) == []


@pytest.mark.parametrize("args, problem", [
    ({"template": "rm_rf", "params": {}}, "unknown fix template 'rm_rf'"),
    ({"template": "timeout_minutes", "params": {"minutes": "ninety"}}, "invalid params for timeout_minutes"),
    ({"template": "action_version", "params": {}}, "invalid params for action_version"),
])
def test_propose_fix_template_rejects_unknown_templates_and_bad_params(world, args, problem):
    _, ctx, _ = world
    result = call(ctx, "propose_fix_template", args)
    assert result.is_error and problem in result.content and ctx.plan.fixes == []


def test_propose_edit_stages_the_whole_file_before_and_after(world):
    sb, ctx, _ = world
    result = call(ctx, "propose_edit", {"path": WORKFLOW, "old": "timeout-minutes: 60", "new": "timeout-minutes: 90"})
    assert not result.is_error and "+    timeout-minutes: 90" in result.content
    [edit] = ctx.plan.edits
    assert edit.path == WORKFLOW and "timeout-minutes: 60" in edit.old and "timeout-minutes: 90" in edit.new
    assert edit.new == edit.old.replace("timeout-minutes: 60", "timeout-minutes: 90")
    assert writes(sb) == []


def test_two_edits_to_one_file_build_on_each_other(world):
    _, ctx, _ = world
    call(ctx, "propose_edit", {"path": WORKFLOW, "old": "timeout-minutes: 60", "new": "timeout-minutes: 90"})
    call(ctx, "propose_edit", {"path": WORKFLOW, "old": "run: ./build.sh", "new": "run: ./build.sh --verbose"})
    [edit] = ctx.plan.edits
    assert "timeout-minutes: 90" in edit.new and "./build.sh --verbose" in edit.new
    assert "timeout-minutes: 60" in edit.old


@pytest.mark.parametrize("args, problem", [
    ({"path": "../outside.yml", "old": "", "new": "x"}, "refused"),
    ({"path": "/etc/passwd", "old": "root", "new": "x"}, "refused"),
    ({"path": WORKFLOW, "old": "not in the file", "new": "x"}, "does not occur"),
    ({"path": WORKFLOW, "old": "", "new": "x"}, "exists; quote the exact snippet"),
    ({"path": WORKFLOW, "old": "-", "new": "x"}, "occurs"),
])
def test_propose_edit_refuses_traversal_and_ambiguous_snippets(world, args, problem):
    sb, ctx, _ = world
    result = call(ctx, "propose_edit", args)
    assert result.is_error and problem in result.content
    assert ctx.plan.edits == [] and writes(sb) == []


def test_propose_issue_and_rerun_only_mark_the_plan(world):
    sb, ctx, _ = world
    call(ctx, "propose_issue", {"title": "widgetgen schema missing", "body": "The generator lacks widgets.v3."})
    call(ctx, "propose_rerun", {"reason": "looks flaky"})
    assert ctx.plan.issue.title == "widgetgen schema missing" and ctx.plan.rerun is True
    assert writes(sb) == []


def test_nothing_is_staged_after_the_plan_is_submitted(world):
    _, ctx, _ = world
    call(ctx, "submit_plan", {"rationale": "done", "recommended_action": "escalate"})
    result = call(ctx, "propose_rerun", {})
    assert result.is_error and ctx.plan.rerun is False

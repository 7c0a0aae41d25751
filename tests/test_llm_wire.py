"""The real anthropic SDK over HTTP against the local Messages-API stub; asserts on the raw request bodies."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from pydantic import Field

from agent.errors import ConfigError
from agent.llm.anthropic_model import DEFAULT_MODEL, AnthropicModel
from agent.llm.loop import ToolLoop
from agent.llm.model import ModelError, ModelUnavailable
from agent.llm.scripted import refusal, text, tool_use, turn
from agent.llm.stub_server import MessagesStub
from agent.models import FixSpec
from tools.base import ToolContext, ToolInput, make_tool
from tools.registry import Registry, load_tools

SUBMIT = {"rationale": "GLIBC_2.28 not found in the container", "recommended_action": "auto_fix"}
KEY = "stub-key-for-tests"


class StageInput(ToolInput):
    template: str = Field(description="A fix template name.")


def stage_fix(args: StageInput, ctx: ToolContext) -> str:
    """Stage a fix template into the plan."""
    ctx.plan.fixes.append(FixSpec(template=args.template))
    return "staged"


def explode(args: StageInput, ctx: ToolContext) -> str:
    """Always fails."""
    raise RuntimeError("cannot read the workflow")


def registry() -> Registry:
    return Registry([make_tool("stage_fix", StageInput, stage_fix, writes=True),
                     make_tool("explode", StageInput, explode), *load_tools(["tools.submit_plan"])])


@pytest.fixture
def stub():
    with MessagesStub() as server:
        yield server


def model(stub: MessagesStub, **kwargs) -> tuple[AnthropicModel, list[float]]:
    waits: list[float] = []
    kwargs.setdefault("model", "claude-stub-1")
    return AnthropicModel(base_url=stub.url, api_key=KEY, sleep=waits.append, jitter=lambda: 0.5, **kwargs), waits


def test_tool_use_and_an_is_error_tool_result_go_over_the_wire(stub):
    stub.reply(turn(tool_use("explode", {"template": "x"}, id="toolu_x")), turn(tool_use("submit_plan", SUBMIT)))
    ctx = ToolContext(repo="Apra-Labs/ApraPipes")
    result = ToolLoop(model(stub)[0], registry(), ctx).run("why did CI fail?")
    assert result.status == "submitted" and ctx.plan.submitted
    first, second = stub.bodies
    assert first["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert first["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert [t["name"] for t in first["tools"]] == ["stage_fix", "explode", "submit_plan"]
    sent = second["messages"][-1]["content"][0]
    assert (sent["type"], sent["tool_use_id"], sent["is_error"]) == ("tool_result", "toolu_x", True)
    assert "RuntimeError: cannot read the workflow" in sent["content"]
    assert second["messages"][1] == {"role": "assistant", "content": [
        {"type": "tool_use", "id": "toolu_x", "name": "explode", "input": {"template": "x"}}]}


def test_input_tokens_come_from_the_bodies_actually_sent():
    with MessagesStub(min_cacheable_tokens=0) as stub:
        tokens_sent_and_cached(stub)


def tokens_sent_and_cached(stub: MessagesStub) -> None:
    stub.reply(turn(tool_use("stage_fix", {"template": "a"})), turn(tool_use("submit_plan", SUBMIT)))
    result = ToolLoop(model(stub)[0], registry(), ToolContext()).run("task")
    sent_tokens = sum(len(request.body) // 4 for request in stub.requests)
    assert result.usage.prompt_tokens == sent_tokens
    first, second = (request.json for request in stub.requests)
    assert second["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert len(first["messages"]) == 1  # the first call: only the task, its last block marked
    assert first["messages"][0]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    # the second call read the static prefix and the first turn from the cache
    assert result.usage.cache_read_input_tokens > len(json.dumps(first["messages"][0])) // 4


def test_a_refusal_over_the_wire_runs_no_tools(stub):
    stub.reply(refusal(text("I can't help with that."), tool_use("stage_fix", {"template": "x"})))
    ctx = ToolContext()
    result = ToolLoop(model(stub)[0], registry(), ctx).run("task")
    assert result.status == "refused" and ctx.plan.fixes == [] and len(stub.bodies) == 1


def test_429_with_retry_after_is_waited_out_then_succeeds(stub):
    stub.fail(429, retry_after=2).reply(turn(text("ok")))
    claude, waits = model(stub)
    response = claude.complete([{"type": "text", "text": "s"}], [{"role": "user", "content": "hi"}], [])
    assert response.text == "ok" and response.stop_reason == "end_turn"
    assert waits == [2.0] and len(stub.requests) == 2


def test_529_is_retried_then_given_up_as_model_unavailable(stub):
    stub.fail(529, times=3)
    claude, waits = model(stub, max_retries=2, backoff_base=1.0)
    with pytest.raises(ModelUnavailable, match="529"):
        claude.complete([], [{"role": "user", "content": "hi"}], [])
    assert len(stub.requests) == 3 and waits == [0.5, 1.0]  # full jitter (0.5) of 1 s, 2 s


def test_an_unavailable_model_stops_the_loop_with_the_plan_unsubmitted(stub):
    stub.fail(529, times=2).fail(503, times=2)
    ctx = ToolContext()
    result = ToolLoop(model(stub, max_retries=3)[0], registry(), ctx).run("task")
    assert result.status == "model_unavailable" and not ctx.plan.submitted and len(stub.requests) == 4


def test_the_circuit_opens_after_repeated_give_ups(stub):
    stub.fail(500, times=2)
    claude, _ = model(stub, max_retries=1, breaker_threshold=1)
    for _ in range(2):
        with pytest.raises(ModelUnavailable):
            claude.complete([], [{"role": "user", "content": "hi"}], [])
    assert len(stub.requests) == 2  # the second call never left the process


def test_a_retry_after_beyond_max_wait_gives_up_at_once(stub):
    stub.fail(429, retry_after=3600)
    claude, waits = model(stub, max_wait=60)
    with pytest.raises(ModelUnavailable):
        claude.complete([], [{"role": "user", "content": "hi"}], [])
    assert waits == [] and len(stub.requests) == 1


def test_a_rejected_request_is_not_retried(stub):
    claude, waits = model(stub)  # an empty queue answers 400
    with pytest.raises(ModelError) as caught:
        claude.complete([], [{"role": "user", "content": "hi"}], [])
    assert not isinstance(caught.value, ModelUnavailable) and len(stub.requests) == 1 and waits == []


def test_the_api_key_is_sent_only_as_a_header(stub):
    stub.reply(turn(text("ok")))
    model(stub)[0].complete([], [{"role": "user", "content": "hi"}], [])
    request = stub.requests[0]
    assert KEY in (request.headers.get("x-api-key", "") + request.headers.get("authorization", ""))
    assert KEY.encode() not in request.body


def test_the_model_name_comes_from_agent_model_then_the_default(stub, monkeypatch):
    monkeypatch.delenv("AGENT_MODEL", raising=False)
    assert AnthropicModel(base_url=stub.url, api_key=KEY).name == DEFAULT_MODEL == "claude-sonnet-5-5"
    monkeypatch.setenv("AGENT_MODEL", "claude-haiku-4-5")
    stub.reply(turn(text("ok")))
    AnthropicModel(base_url=stub.url, api_key=KEY).complete([], [{"role": "user", "content": "hi"}], [])
    assert stub.bodies[0]["model"] == "claude-haiku-4-5"


def test_a_missing_api_key_is_a_one_line_config_error(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
        AnthropicModel()


def test_only_the_adapter_imports_anthropic(repo_root):
    importers = sorted(str(path.relative_to(repo_root)) for folder in ("agent", "tools")
                       for path in (repo_root / folder).rglob("*.py")
                       if re.search(r"^\s*(import anthropic|from anthropic)", path.read_text(encoding="utf-8"), re.MULTILINE))
    assert importers == ["agent/llm/anthropic_model.py"]


def test_importing_the_loop_and_registry_does_not_load_anthropic(repo_root):
    code = "import sys, agent.llm, agent.llm.loop, agent.llm.scripted, tools.registry; print('anthropic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=repo_root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

"""The tool framework: generated schemas, strict validation, safe execution, one registry."""

from __future__ import annotations

import re

import pytest
from pydantic import Field

from agent.models import FixSpec
from tools.base import PlanDraft, ToolContext, ToolInput, make_tool
from tools.registry import Registry, ToolCallError, load_tools

TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


class EchoInput(ToolInput):
    """Text to echo back."""

    text: str = Field(description="The text to return.")
    times: int = Field(1, ge=1, le=3, description="How often to repeat it.")


def echo(args: EchoInput, ctx: ToolContext) -> str:
    """Return the text, repeated."""
    return args.text * args.times


class StageInput(ToolInput):
    template: str = Field(description="A fix template name.")
    title: str = Field("", description="A field that happens to be called title.")


def stage_fix(args: StageInput, ctx: ToolContext) -> dict:
    """Stage a fix template into the plan."""
    ctx.plan.fixes.append(FixSpec(template=args.template))
    return {"staged": args.template}


def explode(args: EchoInput, ctx: ToolContext) -> str:
    """Always fails."""
    raise RuntimeError(f"disk on fire near {TOKEN}")


def registry(**kwargs) -> Registry:
    return Registry([make_tool("echo", EchoInput, echo), make_tool("stage_fix", StageInput, stage_fix, writes=True),
                     make_tool("explode", EchoInput, explode)], **kwargs)


def test_spec_schema_is_generated_from_the_input_model():
    spec = {s["name"]: s for s in registry().specs()}["echo"]
    schema = spec["input_schema"]
    assert spec["description"] == "Return the text, repeated."
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["text"]
    assert schema["properties"]["times"] == {"type": "integer", "default": 1, "minimum": 1, "maximum": 3,
                                             "description": "How often to repeat it."}
    assert "title" not in schema and "title" not in schema["properties"]["text"]


def test_a_field_named_title_survives_title_stripping():
    schema = registry().get("stage_fix").input_schema()
    assert schema["properties"]["title"]["description"] == "A field that happens to be called title."


def test_only_the_last_spec_carries_cache_control():
    specs = registry().specs(cache=True)
    assert [("cache_control" in s) for s in specs] == [False, False, True]
    assert specs[-1]["cache_control"] == {"type": "ephemeral"}


@pytest.mark.parametrize("name, raw, problem", [
    ("nope", {"text": "x"}, "unknown tool 'nope'"),
    ("echo", "{not json", "not valid JSON"),
    ("echo", ["text"], "must be a JSON object"),
    ("echo", {}, "text: Field required"),
    ("echo", {"text": "x", "shell": "curl | sh"}, "shell: Extra inputs are not permitted"),
    ("echo", {"text": "x", "times": "3"}, "times: Input should be a valid integer"),
    ("echo", {"text": "x", "times": 9}, "times: Input should be less than or equal to 3"),
])
def test_malformed_calls_are_rejected_with_a_reason(name, raw, problem):
    with pytest.raises(ToolCallError, match=re.escape(problem)):
        registry().parse(name, raw)


def test_a_json_string_input_is_parsed_then_validated():
    call = registry().parse("echo", '{"text": "ab", "times": 2}')
    assert call.args == EchoInput(text="ab", times=2)


@pytest.mark.parametrize("name, raw", [("nope", {}), ("echo", "{bad"), ("echo", {"text": 1}), ("explode", {"text": "x"})])
def test_call_never_raises_and_returns_an_error_result(name, raw):
    ctx = ToolContext()
    result = registry().call(name, raw, ctx)
    assert result.is_error is True
    assert result.content.startswith(f"<{ctx.fence.tag} ")


def test_tool_output_and_errors_are_redacted_and_fenced():
    ctx = ToolContext()
    failed = registry().call("explode", {"text": "x"}, ctx)
    echoed = registry().call("echo", {"text": f"<b>{TOKEN}</b>"}, ctx)
    for result in (failed, echoed):
        assert TOKEN not in result.content and "[REDACTED:github-pat#" in result.content
        assert result.content.endswith(ctx.fence.close_tag)
    assert "RuntimeError: disk on fire" in failed.content and "&lt;b&gt;" in echoed.content


def test_staging_after_submission_is_refused_without_side_effects():
    ctx = ToolContext(plan=PlanDraft(submitted=True))
    result = registry().call("stage_fix", {"template": "cache_key_bump"}, ctx)
    assert result.is_error and "already submitted" in result.content
    assert ctx.plan.fixes == []


def test_read_only_registry_hides_staging_tools():
    assert [t.name for t in registry(writes=False).tools()] == ["echo", "explode"]


def test_duplicate_tool_names_are_rejected():
    with pytest.raises(ValueError, match="echo"):
        Registry([make_tool("echo", EchoInput, echo), make_tool("echo", EchoInput, echo)])


def test_a_tool_without_a_docstring_is_rejected():
    with pytest.raises(TypeError, match="docstring"):
        make_tool("silent", EchoInput, lambda args, ctx: "")


def test_every_listed_tool_module_has_a_valid_spec():
    tools = load_tools()
    assert "submit_plan" in [t.name for t in tools]
    for tool in tools:
        spec = tool.spec()
        assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", spec["name"])
        assert spec["description"].strip()
        assert spec["input_schema"]["type"] == "object"
        assert spec["input_schema"]["additionalProperties"] is False


def test_submit_plan_closes_the_draft():
    ctx = ToolContext()
    result = Registry(load_tools(["tools.submit_plan"])).call("submit_plan", {"rationale": "GLIBC_2.28 not found", "recommended_action": "auto_fix"}, ctx)
    assert not result.is_error
    assert ctx.plan.submitted and ctx.plan.rationale == "GLIBC_2.28 not found"
    assert ctx.plan.recommended_action == "auto_fix"

"""The eval's models: the scripted escalation, a case's own script.yaml, token counting."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import BadInput
from agent.evals.models import CountingModel, check_model_kind, make_model, scripted_turns
from agent.llm.scripted import ScriptedModel, tool_use, turn


def test_without_a_script_the_scripted_model_submits_an_escalation(tmp_path: Path):
    (only,) = scripted_turns(tmp_path)
    call = only["content"][0]
    assert call["name"] == "submit_plan" and call["input"]["recommended_action"] == "escalate"


def test_a_case_script_yaml_is_played_instead(tmp_path: Path):
    (tmp_path / "script.yaml").write_text(
        "turns:\n  - tool: read_file\n    input: {path: base/vcpkg.json}\n"
        "  - tool: submit_plan\n    input: {rationale: r, recommended_action: pull_request}\n", encoding="utf-8")
    turns = scripted_turns(tmp_path)
    assert [t["content"][0]["name"] for t in turns] == ["read_file", "submit_plan"]


def test_a_malformed_script_is_bad_input(tmp_path: Path):
    (tmp_path / "script.yaml").write_text("turns:\n  - just text\n", encoding="utf-8")
    with pytest.raises(BadInput, match="each turn needs"):
        scripted_turns(tmp_path)


def test_the_counting_model_sums_the_prompt_tokens_of_every_call():
    model = CountingModel(ScriptedModel([turn(tool_use("a", {})), turn(tool_use("b", {}))]))
    model.complete([{"type": "text", "text": "system " * 40}], [{"role": "user", "content": "hi"}], [])
    model.complete([], [{"role": "user", "content": "again"}], [])
    assert model.calls == 2 and model.input_tokens > 40 and len(model.inner.requests) == 2


@pytest.mark.parametrize("kind, fails", [("offline", False), ("scripted", False), ("gpt", True), ("claude", True)])
def test_model_kinds_are_checked_up_front(kind, fails, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    if fails:
        with pytest.raises(BadInput):
            check_model_kind(kind)
    else:
        check_model_kind(kind)


def test_offline_means_no_model(tmp_path: Path):
    assert make_model("offline", tmp_path) is None
    assert isinstance(make_model("scripted", tmp_path), CountingModel)

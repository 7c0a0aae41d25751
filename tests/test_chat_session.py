"""ChatSession in process: a staged write is shown with the gate's decision and needs exactly "yes"."""

from __future__ import annotations

import io

import pytest
from test_tools_world import WORKFLOW

from agent.chat import ChatSession
from agent.llm.scripted import ScriptedModel, text, tool_use, turn

pytest_plugins = ("test_tools_world",)
EDIT = {"path": WORKFLOW, "old": "timeout-minutes: 60", "new": "timeout-minutes: 90"}


def session(ctx, lines: str, model=None) -> tuple[ChatSession, io.StringIO]:
    out = io.StringIO()
    return ChatSession(ctx, model, inp=io.StringIO(lines), out=out, verify_timeout=0.2, poll_interval=0.05), out


def proposing_model() -> ScriptedModel:
    return ScriptedModel([turn(tool_use("read_file", {"path": WORKFLOW})), turn(tool_use("propose_edit", EDIT)),
                          turn(text("I staged a longer timeout."))])


@pytest.mark.parametrize("answer", ["no", "y", "sure", "YES please", ""])
def test_anything_but_yes_carries_nothing_out(world, answer):
    sb, ctx, _ = world
    chat, out = session(ctx, f"raise the timeout\n{answer}\nquit\n", proposing_model())
    assert chat.start() == 0
    shown = out.getvalue()
    assert "+    timeout-minutes: 90" in shown and "gate: downgrade pull_request → pull_request" in shown
    assert "not carried out; nothing was written" in shown
    assert not [r for r in sb.requests if r.method in ("POST", "PUT", "PATCH", "DELETE")]


def test_yes_carries_out_the_staged_plan_as_the_gate_decided(world):
    sb, ctx, _ = world
    chat, out = session(ctx, "raise the timeout\nyes\n", proposing_model())
    chat.start()
    assert "pr_open" in out.getvalue()
    assert any(r.method == "POST" and r.path.endswith("/pulls") for r in sb.requests)
    assert not [r for r in sb.requests if r.method == "PUT" and r.path.endswith("/merge")]


def test_a_second_question_continues_the_same_conversation(world):
    _, ctx, _ = world
    model = ScriptedModel([turn(text("First answer.")), turn(text("Second answer."))])
    chat, out = session(ctx, "first?\nsecond?\n", model)
    chat.start()
    assert "First answer." in out.getvalue() and "Second answer." in out.getvalue()
    second = model.requests[1]["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "user"]

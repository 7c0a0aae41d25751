"""`log` in a chat session: the end of the failed step by default (where the cause is), `--head` for its start."""

from __future__ import annotations

import io
import re

import pytest
from test_tools_world import NOVEL_ERROR, REPO, TOKEN, make_world

from agent.chat import ChatSession
from agent.github import GitHub
from agent.llm.handoff import tool_context
from agent.policy import Policy
from agent.store import Store

pytest_plugins = ("test_tools_world",)
PROGRESS = [f"[{n:3d}%] Building CXX object base/CMakeFiles/unit_{n:03d}.cpp.o" for n in range(400)]


@pytest.fixture
def long_failure(sandbox, tmp_path, knowledge, bm25_guides, monkeypatch):
    """A ToolContext on a failed run whose build step prints 400 progress lines before the error."""
    monkeypatch.setenv("AGENT_HOME", str(tmp_path / "home"))
    _, failed = make_world(sandbox, extra_lines=PROGRESS)
    gh = GitHub(base_url=sandbox.url, token=sandbox.token)
    return tool_context(gh, REPO, failed, store=Store(tmp_path / "agent.db"), kb=knowledge, index=bm25_guides,
                        policy=Policy())


def log_output(ctx, command: str) -> str:
    """What `command` prints (after the opening diagnosis)."""
    out = io.StringIO()
    ChatSession(ctx, inp=io.StringIO(f"{command}\nquit\n"), out=out).start()
    return out.getvalue().split("agent> ", 1)[1]


def shown_range(text: str) -> tuple[int, int, int]:
    found = re.search(r"lines (\d+)–(\d+) of (\d+)", text)
    assert found, text[:500]
    return int(found[1]), int(found[2]), int(found[3])


def test_log_shows_the_end_of_the_failed_step_where_the_error_is(long_failure):
    shown = log_output(long_failure, "log")
    first, last, total = shown_range(shown)
    assert last == total and first > 1 and total > 400
    assert NOVEL_ERROR in shown and "unit_000" not in shown and TOKEN not in shown
    assert "log --head" in shown


def test_log_head_shows_the_start_and_says_how_to_see_the_end(long_failure):
    shown = log_output(long_failure, "log --head")
    first, last, total = shown_range(shown)
    assert first == 1 and last < total
    assert "unit_000" in shown and NOVEL_ERROR not in shown


@pytest.mark.parametrize(("command", "count"), [("log --lines 10", 10), ("log build Build --lines 25", 25)])
def test_log_lines_sets_how_many_lines_are_shown(long_failure, command, count):
    shown = log_output(long_failure, command)
    first, last, total = shown_range(shown)
    assert last - first + 1 == count and last == total
    assert len(re.findall(r"^\s+\d+: ", shown, flags=re.MULTILINE)) == count


def test_log_of_a_step_that_does_not_exist_lists_the_steps(long_failure):
    shown = log_output(long_failure, "log build NoSuchStep")
    assert "error: no step matches" in shown and "build / Build" in shown

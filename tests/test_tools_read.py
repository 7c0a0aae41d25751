"""The read tools against a sandbox run over real HTTP, called through the registry like the model does."""

from __future__ import annotations

import json
import re

import pytest
from test_tools_world import TOKEN, WORKFLOW

from tools.read_log import MAX_CHARS
from tools.registry import Registry

REGISTRY = Registry()

pytest_plugins = ("test_tools_world",)


def call(ctx, name, args=None):
    result = REGISTRY.call(name, args or {}, ctx)
    body = result.content.split("\n", 1)[1].rsplit("\n", 1)[0]  # inside the fence
    return result, body


def test_get_run_summarises_the_run_and_its_failed_job(world):
    _sb, ctx, _ = world
    result, body = call(ctx, "get_run")
    summary = json.loads(body.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    assert not result.is_error
    assert (summary["id"], summary["workflow"], summary["conclusion"]) == (ctx.run_id, WORKFLOW, "failure")
    assert [job["conclusion"] for job in summary["jobs"]] == ["failure"]
    assert any("Build" in step for step in summary["jobs"][0]["failed_steps"])


def test_read_log_shows_the_failed_step_redacted_and_fenced(world):
    _sb, ctx, _ = world
    result, body = call(ctx, "read_log")
    assert not result.is_error and result.content.startswith(f"<{ctx.fence.tag} ")
    assert "widgets.v3" in body and "== build / " in body
    assert TOKEN not in result.content and "[REDACTED:" in body


def test_read_log_output_is_capped_in_lines_and_characters(world):
    _sb, ctx, _ = world
    _, body = call(ctx, "read_log", {"grep": ".", "count": 200})
    numbered = [line for line in body.splitlines() if re.match(r"\s+\d+: ", line)]
    assert 0 < len(numbered) <= 200 and len(body) <= MAX_CHARS + 2000
    _, short = call(ctx, "read_log", {"step": "Build", "count": 5})
    assert len([line for line in short.splitlines() if re.match(r"\s+\d+: ", line)]) == 5
    assert "[capped at 5 lines" in short


def test_read_log_grep_finds_the_error_line_with_its_number(world):
    _, ctx, _ = world
    _, body = call(ctx, "read_log", {"grep": "widgets\\.v3"})
    assert re.search(r"\d+: .*schema 'widgets.v3' is not registered", body.replace("&#x27;", "'"))


def test_read_log_bad_regex_and_unknown_step_are_tool_errors(world):
    _, ctx, _ = world
    bad, _ = call(ctx, "read_log", {"grep": "("})
    missing, text = call(ctx, "read_log", {"step": "No such step"})
    assert bad.is_error and "not a valid RE2" in bad.content
    assert missing.is_error and "no step matches" in text


def test_every_read_downloads_the_run_logs_once(world):
    sb, ctx, _ = world
    for name, args in [("read_log", {}), ("read_log", {"grep": "error"}), ("diff_against_last_green", {})]:
        call(ctx, name, args)
    downloads = [r for r in sb.requests if f"/runs/{ctx.run_id}/" in r.path and r.path.endswith("/logs")]
    assert len(downloads) == 1


@pytest.mark.parametrize("path", [
    "../etc/passwd", ".github/../src/private.cpp", "/etc/passwd", "src/private.cpp", "build.sh",
    "%2e%2e/secrets", ".github\\workflows\\CI-Linux.yml",
])
def test_read_file_refuses_traversal_and_paths_outside_the_allowlist(world, path):
    sb, ctx, _ = world
    before = len(sb.requests)
    result, body = call(ctx, "read_file", {"path": path})
    assert result.is_error and "refused" in body
    assert not any("/contents/" in r.path for r in sb.requests[before:])


def test_read_file_reads_a_workflow_at_the_head_commit(world):
    sb, ctx, _ = world
    result, body = call(ctx, "read_file", {"path": WORKFLOW, "count": 3})
    assert not result.is_error
    assert '"lines": "1-3 of' in body and "name: CI-Linux" in body
    assert any("/contents/" in r.path and r.query.get("ref") == ctx.head_sha for r in sb.requests)


def test_search_guides_returns_cited_sections(world):
    _, ctx, _ = world
    _, body = call(ctx, "search_guides", {"query": "version `GLIBC_2.28' not found node20", "k": 2})
    data = json.loads(body.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    assert len(data["results"]) == 2 and "#" in data["results"][0]["link"]


def test_list_recent_runs_finds_the_last_green_run_and_the_streak(world):
    _, ctx, green = world
    _, body = call(ctx, "list_recent_runs")
    data = json.loads(body)
    assert data["last_green"]["id"] == green and data["failure_streak"] == 1
    assert [run["id"] for run in data["runs"]] == [ctx.run_id, green]


def test_diff_against_last_green_keeps_only_the_new_lines(world):
    _, ctx, green = world
    _, body = call(ctx, "diff_against_last_green")
    data = json.loads(body.replace("&#x27;", "'"))
    new = "\n".join(data["new_lines"])
    assert data["last_green"]["id"] == green
    assert "widgets.v3" in new and "Configuring done" not in new and "Building CXX object" not in new
    assert data["new_count"] < data["compared_lines"] / 2


def test_lookup_known_issue_by_line_and_by_id(world):
    _, ctx, _ = world
    _, by_line = call(ctx, "lookup_known_issue", {"line": "version `GLIBC_2.28' not found (required by node)"})
    ids = [issue["id"] for issue in json.loads(by_line.replace("&#x27;", "'"))["issues"]]
    assert ids, "a GLIBC line matches a known issue"
    _, by_id = call(ctx, "lookup_known_issue", {"id": ids[0]})
    assert json.loads(by_id)["issues"][0]["id"] == ids[0]
    missing, _ = call(ctx, "lookup_known_issue", {"id": "no-such-issue"})
    assert missing.is_error

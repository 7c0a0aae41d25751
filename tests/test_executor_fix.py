"""`agent fix` and the pipeline carry a known failure to a merged PR (HIGH) or an open PR (MEDIUM)."""

from __future__ import annotations

import json

import pytest
from test_executor_kit import (
    CONTAINER_WF,
    NEW_IMAGE,
    REPO,
    add_glibc_repo,
    add_sfml_repo,
    pipeline,
    pulls,
    writes,
)

from agent.cli.app import main
from agent.store import Store

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""


def run_cli(capsys, sb, run_id, *extra):
    args = ["fix", str(run_id), "--repo", REPO, "--github-url", sb.url, "--token", sb.token,
            "--verify-timeout", "10", "--poll-interval", "0.05", *extra]
    with pytest.raises(SystemExit) as stop:
        main(args)
    out = capsys.readouterr()
    return stop.value.code, out.out, out.err


def test_agent_fix_takes_glibc_failure_to_a_merged_pr_moving_the_container_image(sb, home, capsys):
    run_id = add_glibc_repo(sb)
    code, out, _ = run_cli(capsys, sb, run_id, "--json")
    result = json.loads(out)
    assert code == 0 and result["status"] == "fixed"
    [pull] = pulls(sb)
    assert pull.merged and pull.head.startswith("auto-fix/glibc-node20-old-container-")
    text = sb.file_text(REPO, CONTAINER_WF)
    assert f"container: {NEW_IMAGE}" in text and "upload-artifact@v3" not in text
    merge = [r for r in sb.requests if r.method == "PUT" and r.path.endswith("/merge")]
    assert merge[0].json()["sha"] == sb.repo(REPO).pulls[pull.number].head_sha
    assert Store(home / "agent.db").integrity_check()


def test_merged_pr_body_carries_root_cause_evidence_decision_and_marker(sb, home):
    run_id = add_glibc_repo(sb)
    result = pipeline(sb, home).handle_run(REPO, run_id)
    body = sb.repo(REPO).issues[pulls(sb)[0].number].body
    assert "GLIBC_2.28' not found" in body and "Log excerpt (redacted)" in body
    assert "container_image" in body and "Confidence: 0.95" in body
    assert "allow auto_fix" in body
    assert f"<!-- devops-agent:plan={result.plan.id} signature={result.plan.signature} -->" in body
    assert "devops-agent" in sb.repo(REPO).issues[pulls(sb)[0].number].labels


def test_vcpkg_override_below_high_opens_a_pr_for_review_and_never_merges(sb, home):
    run_id = add_sfml_repo(sb)
    result = pipeline(sb, home).handle_run(REPO, run_id)
    assert result.status == "pr_open"
    [pull] = pulls(sb)
    assert not pull.merged and sb.repo(REPO).issues[pull.number].state == "open"
    assert '"version": "2.6.2"' in sb.file_text(REPO, "base/vcpkg.json", ref=pull.head)
    assert not any(method == "PUT" and path.endswith("/merge") for method, path in writes(sb))


def test_handling_the_same_run_again_returns_the_result_without_new_writes(sb, home):
    run_id = add_glibc_repo(sb)
    p = pipeline(sb, home)
    first = p.handle_run(REPO, run_id)
    before = len(writes(sb))
    again = p.handle_run(REPO, run_id)
    assert (first.status, again.status) == ("fixed", "fixed")
    assert len(writes(sb)) == before


def test_agent_fix_without_a_token_is_one_line_error(sb, home, capsys, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    with pytest.raises(SystemExit) as stop:
        main(["fix", "5", "--repo", REPO, "--github-url", sb.url])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.startswith("error: no GitHub token") and err.count("\n") == 1

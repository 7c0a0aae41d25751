"""Novel failures become exactly one issue per signature; repeats comment; owners, labels and Slack."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
from test_executor_kit import (
    MEMBER,
    NOVEL,
    REPO,
    add_novel_run,
    failure_logs,
    issues,
    pipeline,
    repo_files,
    writes,
)

from agent.executor import codeowners_for
from agent.store import Store

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""


def test_novel_failure_is_one_issue_even_when_three_runs_fail_then_comments(sb, home):
    runs = [add_novel_run(sb, new_repo=(n == 0)) for n in range(3)]
    p = pipeline(sb, home)
    statuses = [p.handle_run(REPO, run_id).status for run_id in runs]
    assert statuses == ["escalated", "commented", "commented"]
    [issue] = issues(sb)
    assert len(issue.comments) == 2
    assert all(str(run_id) in c.body for run_id, c in zip(runs[1:], issue.comments, strict=True))
    assert "<!-- devops-agent:signature=" in issue.body and NOVEL[0][-40:] in issue.body
    assert Store(home / "agent.db").integrity_check()


def test_the_same_run_handled_three_times_adds_no_comment(sb, home):
    run_id = add_novel_run(sb)
    p = pipeline(sb, home)
    for _ in range(3):
        p.handle_run(REPO, run_id)
    [issue] = issues(sb)
    assert issue.comments == []


def test_a_second_agent_with_an_empty_store_finds_the_issue_by_its_marker(sb, home, tmp_path):
    first, second = add_novel_run(sb), add_novel_run(sb, new_repo=False)
    pipeline(sb, home).handle_run(REPO, first)
    (tmp_path / "other").mkdir()
    result = pipeline(sb, tmp_path / "other").handle_run(REPO, second)
    assert result.status == "commented" and len(issues(sb)) == 1


def test_issue_has_labels_category_and_codeowners_of_the_failing_workflow(sb, home):
    files = repo_files(old_image=False)
    files[".github/CODEOWNERS"] = "* @lead\n.github/workflows/ @ci-owner @Apra-Labs/devops\n/base/ @vcpkg-owner\n"
    run_id = add_novel_run(sb, files=files)
    pipeline(sb, home).handle_run(REPO, run_id)
    [issue] = issues(sb)
    assert issue.labels[:2] == ["devops-agent", "ci-failure"] and len(issue.labels) == 3
    assert issue.assignees == ["ci-owner"]


@pytest.mark.parametrize(("text", "path", "owners"), [
    ("* @a\n", ".github/workflows/CI-Linux.yml", ["a"]),
    ("* @a\n.github/workflows/ @b\n", ".github/workflows/CI-Linux.yml", ["b"]),
    (".github/workflows/ @b\n* @a\n", ".github/workflows/CI-Linux.yml", ["a"]),
    ("/base/ @v\n", ".github/workflows/CI-Linux.yml", []),
    ("*.yml @y @org/team me@x.org\n", ".github/workflows/CI-Linux.yml", ["y"]),
    ("# comment\n/.github/workflows/CI-Linux.yml @exact\n", ".github/workflows/CI-Linux.yml", ["exact"]),
])
def test_codeowners_last_matching_rule_wins(text, path, owners):
    assert codeowners_for(text, path) == owners


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list] = []

    def do_POST(self):
        _Hook.received.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_new_issue_posts_once_to_the_slack_incoming_webhook(sb, home, monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Hook.received = []
    monkeypatch.setenv("AGENT_SLACK_WEBHOOK", f"http://127.0.0.1:{server.server_address[1]}/services/x")
    try:
        first, second = add_novel_run(sb), add_novel_run(sb, new_repo=False)
        p = pipeline(sb, home)
        p.handle_run(REPO, first)
        p.handle_run(REPO, second)
    finally:
        server.shutdown()
    assert len(_Hook.received) == 1
    assert f"{sb.url}/Apra-Labs/ApraPipes/issues/" in _Hook.received[0]["text"]


def test_escalation_writes_nothing_but_the_issue(sb, home):
    run_id = add_novel_run(sb)
    pipeline(sb, home).handle_run(REPO, run_id)
    assert [m for m, _ in writes(sb)] == ["POST"] and writes(sb)[0][1].endswith("/issues")


def test_transient_failure_is_rerun_once_then_escalated(sb, home):
    sb.add_repo(REPO, files=repo_files(old_image=False))
    run_id = sb.add_failed_run(REPO, workflow=".github/workflows/CI-Linux.yml", name="CI-Linux", actor=MEMBER,
                               logs=failure_logs(["curl: (56) Recv failure: Connection reset by peer"]))
    p = pipeline(sb, home)
    assert p.handle_run(REPO, run_id).status == "rerun"
    sb.wait_for_runs(REPO, timeout=10)
    assert p.handle_run(REPO, run_id, run_attempt=2).status == "escalated"
    reruns = [path for method, path in writes(sb) if path.endswith("/rerun-failed-jobs")]
    assert len(reruns) == 1 and len(issues(sb)) == 1

"""The CI simulator, signed webhooks, case loading, persistence and `agent sandbox serve`."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import signal
import subprocess
import sys
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from test_sandbox_fixtures import FIXED_WORKFLOW, LOGS, REPO, WORKFLOW, client, failed_run_id, make_sandbox

from agent.sandbox import Sandbox
from agent.sandbox.webhooks import signature_256

SECRET = "It's a Secret to Everybody"


class Receiver:
    """A local webhook endpoint recording (headers, raw body)."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def events(self):
        return [(h["x-github-event"], json.loads(b).get("action")) for h, b in self.received]


@pytest.fixture
def sb():
    sandbox = make_sandbox(ci_delay=0.4)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def receiver(sb):
    hook = Receiver()
    sb.add_hook(REPO, hook.url, SECRET)
    yield hook
    hook.server.shutdown()


def push_fix(repo, branch="agent/fix-1", text=FIXED_WORKFLOW):
    repo.create_git_ref(f"refs/heads/{branch}", repo.get_branch("main").commit.sha)
    return repo.update_file(WORKFLOW, "fix", text, repo.get_contents(WORKFLOW).sha, branch=branch)["commit"].sha


def test_signature_helper_matches_githubs_test_vector():
    assert signature_256(SECRET, b"Hello, World!") == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")


def test_a_commit_satisfying_fixed_when_runs_queued_then_completes_success(sb):
    repo = client(sb).get_repo(REPO)
    sha = push_fix(repo)
    runs = [r for r in repo.get_workflow_runs(head_sha=sha)]
    assert [r.status for r in runs] == ["queued"]
    sb.wait_for_runs(REPO)
    run = repo.get_workflow_run(runs[0].id)
    assert (run.status, run.conclusion, run.event, run.head_branch) == ("completed", "success", "push", "agent/fix-1")
    assert repo.get_commit(sha).get_combined_status().state == "success"


def test_a_commit_not_satisfying_fixed_when_fails_with_the_original_logs(sb):
    repo = client(sb).get_repo(REPO)
    sha = push_fix(repo, text=FIXED_WORKFLOW + "# upload-artifact@v3 still here\n")
    sb.wait_for_runs(REPO)
    run = next(iter(repo.get_workflow_runs(head_sha=sha)))
    assert run.conclusion == "failure"
    location = requests.get(f"{sb.url}/repos/{REPO}/actions/runs/{run.id}/logs", allow_redirects=False,
                            headers={"Authorization": f"token {sb.token}"}).headers["Location"]
    archive = zipfile.ZipFile(io.BytesIO(requests.get(location).content))
    assert archive.read("build/3_Build.txt").decode() == LOGS["build/3_Build.txt"]
    assert [c.conclusion for c in repo.get_commit(sha).get_check_runs()] == ["failure"]


def test_opening_a_pull_request_starts_a_pull_request_run_that_names_it(sb):
    repo = client(sb).get_repo(REPO)
    push_fix(repo)
    pull = repo.create_pull(base="main", head="agent/fix-1", title="Fix", body="")
    sb.wait_for_runs(REPO)
    run = next(iter(repo.get_workflow_runs(event="pull_request")))
    assert [p["number"] for p in run.raw_data["pull_requests"]] == [pull.number]
    assert run.conclusion == "success"


def test_webhooks_are_signed_unique_and_follow_the_run_lifecycle(sb, receiver):
    repo = client(sb).get_repo(REPO)
    push_fix(repo)
    repo.create_pull(base="main", head="agent/fix-1", title="Fix", body="")
    sb.wait_for_runs(REPO)
    sb.hooks.wait()
    events = receiver.events()
    for step in ("requested", "in_progress", "completed"):
        assert ("workflow_run", step) in events
    assert ("pull_request", "opened") in events and ("check_suite", "completed") in events
    for headers, body in receiver.received:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["x-hub-signature-256"], expected)
    assert len({h["x-github-delivery"] for h, _ in receiver.received}) == len(receiver.received)


def test_workflow_run_payload_has_githubs_fields(sb, receiver):
    sb.notify_run(REPO, failed_run_id(sb))
    sb.hooks.wait()
    payload = json.loads(receiver.received[0][1])
    run = payload["workflow_run"]
    for key in ("id", "run_attempt", "head_sha", "head_branch", "event", "status", "conclusion", "path", "name",
                "actor", "triggering_actor", "repository", "pull_requests", "head_repository"):
        assert key in run
    assert (payload["action"], run["conclusion"], payload["repository"]["full_name"]) == ("completed", "failure", REPO)


def test_redelivery_keeps_the_delivery_id(sb, receiver):
    sb.notify_run(REPO, failed_run_id(sb))
    sb.hooks.wait()
    first = sb.deliveries[0]
    sb.hooks.redeliver(first.id)
    sb.hooks.wait()
    ids = [h["x-github-delivery"] for h, _ in receiver.received if h["x-github-event"] == "workflow_run"]
    assert ids == [first.id, first.id]


def write_case(root, zipped=False):
    case = root / "glibc"
    (case / "repo/.github/workflows").mkdir(parents=True)
    (case / "repo" / WORKFLOW).write_text("container: ubuntu:18.04\n", encoding="utf-8")
    (case / "logs").mkdir()
    if zipped:
        with zipfile.ZipFile(case / "logs" / "logs.zip", "w") as archive:
            for name, text in LOGS.items():
                archive.writestr(name, text)
    else:
        for name, text in LOGS.items():
            (case / "logs" / name).parent.mkdir(parents=True, exist_ok=True)
            (case / "logs" / name).write_text(text, encoding="utf-8")
    (case / "case.yaml").write_text(
        f"id: glibc\nrepo: {{full_name: {REPO}, default_branch: main}}\n"
        f"run: {{workflow: {WORKFLOW}, name: CI-Linux-CUDA-Docker, event: push, head_branch: main,"
        " actor: {login: dev2, association: COLLABORATOR}}\n"
        f"expect: {{action: auto_fix, fixed_when: [{{file: {WORKFLOW}, matches: 'ubuntu2[02]\\.04'}}]}}\n",
        encoding="utf-8")
    return case


@pytest.mark.parametrize("zipped", [False, True])
def test_load_case_seeds_the_files_and_one_failed_run(tmp_path, zipped):
    case = write_case(tmp_path, zipped)
    with Sandbox(ci_delay=0.05) as sb:
        full_name, run_id = sb.load_case(case)
        repo = client(sb).get_repo(full_name)
        run = repo.get_workflow_run(run_id)
        assert (full_name, run.name, run.conclusion) == (REPO, "CI-Linux-CUDA-Docker", "failure")
        assert run.raw_data["actor"] == {**run.raw_data["actor"], "login": "dev2", "author_association": "COLLABORATOR"}
        assert [s.conclusion for s in next(iter(run.jobs())).steps][2] == "failure"
        sha = repo.update_file(WORKFLOW, "fix", "container: nvidia/cuda:11.8.0-devel-ubuntu22.04\n", repo.get_contents(WORKFLOW).sha)
        sb.wait_for_runs(full_name)
        assert next(iter(repo.get_workflow_runs(head_sha=sha["commit"].sha))).conclusion == "success"


def test_a_second_case_for_the_same_repository_gets_its_own_name(tmp_path):
    case = write_case(tmp_path)
    with Sandbox() as sb:
        first, _ = sb.load_case(case)
        second, _ = sb.load_case(case)
    assert (first, second) == (REPO, f"{REPO}-glibc")


def test_state_persists_across_restarts(tmp_path):
    path = tmp_path / "state.json"
    with Sandbox(state_path=path) as sb:
        sb.add_repo(REPO, files={"a.txt": b"\x00binary\xff"})
        issue = client(sb).get_repo(REPO).create_issue("kept")
    with Sandbox(state_path=path) as again:
        assert client(again).get_repo(REPO).get_issue(issue.number).title == "kept"
        assert again.repo(REPO).blobs[again.repo(REPO).commits[again.repo(REPO).branches["main"]].tree["a.txt"]] == (
            b"\x00binary\xff")


def test_cli_serve_prints_the_url_and_token_and_exits_0_on_sigterm(tmp_path):
    write_case(tmp_path)
    env = {**os.environ, "AGENT_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen([sys.executable, "-c", "from agent.cli.app import main; main()", "sandbox", "serve",
                             "--cases", str(tmp_path), "--json", "--ci-delay", "0.1"],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        info = json.loads(proc.stdout.readline())
        answer = requests.get(f"{info['url']}/repos/{REPO}/actions/runs/{info['runs'][0]['run_id']}",
                              headers={"Authorization": f"token {info['token']}"})
        assert answer.json()["conclusion"] == "failure"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0

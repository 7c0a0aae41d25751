"""The runner monitor: one alert per offline self-hosted runner, cleared when it returns; incidents kept."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from test_daemon_kit import REPO, quiet_log, writes

from agent.daemon.alerts import IssueAlerter, SlackAlerter, runner_marker
from agent.daemon.monitor import RunnerMonitor
from agent.sandbox.model import Actor, Attempt, Job
from agent.store import utc_now

pytest_plugins = ["test_daemon_kit"]
"""The `store`, `sandbox` and `gh` fixtures."""

GPU = ["self-hosted", "Linux", "X64", "gpu"]


def queue_gpu_run(sb, minutes_ago: float = 30, labels: list[str] | None = None) -> int:
    """A run whose only job has waited `minutes_ago` minutes for a runner with `labels`."""
    stamp = (utc_now() - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with sb.lock:
        repo = sb.repo(REPO)
        flow = sb.add_workflow(REPO, ".github/workflows/CI-CUDA-Tests.yml", "CI-CUDA-Tests", events=())
        actor = Actor(login="dev1", association="MEMBER")
        run = sb.ci.new_run(repo, flow, repo.branches["main"], "main", "push", actor, [])
        job = Job(id=sb.state.new_id(), name="gpu-tests", status="queued", labels=labels or ["self-hosted", "gpu"])
        run.attempts.append(Attempt(number=1, status="queued", created_at=stamp, jobs=[job]))
    return run.id


def monitor_for(store, gh, alerter=None) -> RunnerMonitor:
    return RunnerMonitor(gh, store, [REPO], alerter or IssueAlerter(gh), queued_after=600, log=quiet_log())


def issues(sb) -> list:
    return list(sb.repo(REPO).issues.values())


def test_an_offline_runner_gets_one_issue_which_closes_when_it_returns(store, sandbox, gh):
    sandbox.set_runner(REPO, "gpu-1", status="offline", labels=GPU)
    sandbox.set_runner(REPO, "cpu-1", status="online", labels=["self-hosted", "Linux", "X64"])
    run_id = queue_gpu_run(sandbox)
    monitor = monitor_for(store, gh)
    first = monitor.check_once()
    second = monitor.check_once()
    assert first[REPO]["alerted"] == ["gpu-1"] and second[REPO]["alerted"] == []
    [issue] = issues(sandbox)
    assert runner_marker(REPO, "gpu-1") in issue.body and f"#{run_id}" in issue.body
    [incident] = store.incidents(status="open")
    assert (incident["kind"], incident["runner"], incident["detail"]["issue"]) == ("runner_offline", "gpu-1",
                                                                                   issue.number)
    sandbox.set_runner(REPO, "gpu-1", status="online")
    assert monitor.check_once()[REPO]["cleared"] == ["gpu-1"]
    assert issue.state == "closed" and "online again" in issue.comments[-1].body
    assert store.incidents(status="open") == [] and len(store.incidents(status="resolved")) == 1


@pytest.mark.parametrize("minutes_ago, runner_status", [(2, "offline"), (30, "online")])
def test_no_alert_for_a_short_wait_or_while_a_matching_runner_is_online(store, sandbox, gh, minutes_ago,
                                                                        runner_status):
    sandbox.set_runner(REPO, "gpu-1", status=runner_status, busy=True, labels=GPU)
    queue_gpu_run(sandbox, minutes_ago=minutes_ago)
    assert monitor_for(store, gh).check_once()[REPO] == {"alerted": [], "cleared": []}
    assert writes(sandbox) == [] and store.incidents() == []


def test_a_restarted_monitor_finds_its_open_issue_instead_of_opening_another(store, sandbox, gh):
    sandbox.set_runner(REPO, "gpu-1", status="offline", labels=GPU)
    queue_gpu_run(sandbox)
    monitor_for(store, gh).check_once()
    store.resolve_incident(store.incidents(status="open")[0]["id"])  # the incident row lost, the issue not
    monitor_for(store, gh).check_once()
    assert len(issues(sandbox)) == 1


class SlackHook(BaseHTTPRequestHandler):
    posts: ClassVar[list] = []

    def do_POST(self):
        self.posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_with_a_slack_webhook_alerts_go_to_slack_not_to_issues(store, sandbox, gh):
    SlackHook.posts = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlackHook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sandbox.set_runner(REPO, "gpu-1", status="offline", labels=GPU)
        queue_gpu_run(sandbox)
        monitor = monitor_for(store, gh, SlackAlerter(f"http://127.0.0.1:{server.server_address[1]}/hook"))
        monitor.check_once()
        monitor.check_once()
        sandbox.set_runner(REPO, "gpu-1", status="online")
        monitor.check_once()
    finally:
        server.shutdown()
        server.server_close()
    assert len(SlackHook.posts) == 2
    assert "gpu-1" in SlackHook.posts[0]["text"] and "online again" in SlackHook.posts[1]["text"]
    assert writes(sandbox) == []

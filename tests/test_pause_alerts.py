"""The runner monitor's GitHub issues obey the same kill switch as every other write: `agent pause`, the label."""

from __future__ import annotations

from test_daemon_kit import REPO, RecordingHandler, quiet_log, writes
from test_daemon_monitor import GPU, queue_gpu_run

from agent.daemon.alerts import GatedAlerter, IssueAlerter, kill_switch_reason
from agent.daemon.service import Daemon, DaemonConfig
from agent.policy import load_policy

pytest_plugins = ["test_daemon_kit"]
"""The `store`, `sandbox` and `gh` fixtures."""


def daemon_with_issue_alerts(store, gh) -> Daemon:
    config = DaemonConfig(repos=[REPO], webhooks=False, poll_interval=None, monitor_interval=None)
    return Daemon(store, gh, RecordingHandler(), load_policy(), config, log=quiet_log(), alerter=IssueAlerter(gh))


def test_a_paused_repository_gets_no_runner_alert_issue_from_the_daemon(store, sandbox, gh):
    sandbox.set_runner(REPO, "gpu-1", status="offline", labels=GPU)
    queue_gpu_run(sandbox)
    store.pause(REPO.upper(), "maintenance window")
    daemon_with_issue_alerts(store, gh).monitor.check_once()
    assert writes(sandbox) == []
    [incident] = store.incidents(status="open")
    assert "maintenance window" in incident["detail"]["held"]


def test_the_kill_switch_label_holds_an_alert_and_a_lifted_pause_lets_one_through(store, sandbox, gh):
    alerter = GatedAlerter(IssueAlerter(gh), kill_switch_reason(store, load_policy(), gh))
    store.pause(None, "freeze")
    assert "all repositories" in alerter.open(REPO, "gpu-1", GPU, [1])["held"]
    store.resume(None)
    sandbox.add_label(REPO, "agent-kill-switch")
    assert "label" in alerter.open(REPO, "gpu-1", GPU, [1])["held"] and writes(sandbox) == []
    unlabelled = GatedAlerter(IssueAlerter(gh), kill_switch_reason(store, load_policy(), gh))
    sandbox.repo(REPO).labels.clear()
    assert "issue" in unlabelled.open(REPO, "gpu-1", GPU, [1])
    assert any(write.startswith("POST") and write.endswith("/issues") for write in writes(sandbox))

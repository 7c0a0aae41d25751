"""`agent watch` as a process: one daemon per database (fault #26), kill -9 and resume (#25); status/history."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest
from test_daemon_kit import (
    AGENT,
    REPO,
    SECRET,
    RecordingHandler,
    deliver,
    get_json,
    make_daemon,
    run_payload,
    wait_for,
)

from agent.cli.app import main
from agent.daemon.service import DaemonLocked
from agent.sandbox import Sandbox
from agent.store import Store

pytest_plugins = ["test_daemon_kit"]
"""The `store`, `sandbox` and `gh` fixtures."""

ROOT = Path(__file__).resolve().parent.parent
GLIBC_CASE = ROOT / "evals" / "cases" / "glibc-node20-old-container"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def agent_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AGENT_WEBHOOK_SECRET", "AGENT_SLACK_WEBHOOK")}
    return env | {"AGENT_HOME": str(home), **extra}


def test_a_second_daemon_on_the_same_database_exits_non_zero(store, tmp_path):
    holder = make_daemon(store, RecordingHandler(), webhooks=False, secret=None).start()
    try:
        with pytest.raises(DaemonLocked, match="another agent daemon"):
            make_daemon(Store(tmp_path / "agent.db"), RecordingHandler(), webhooks=False, secret=None).start()
        done = subprocess.run([*AGENT, "watch", "--repo", REPO, "--no-webhooks", "--github-url",
                               "http://127.0.0.1:9"], env=agent_env(tmp_path, GITHUB_TOKEN="ghp_" + "x" * 36),
                              capture_output=True, text=True, timeout=60, check=False, cwd=ROOT)
    finally:
        holder.stop()
    assert done.returncode == 3
    assert "another agent daemon" in done.stderr and "Traceback" not in done.stderr


def start_watch(home: Path, sb: Sandbox, port: int) -> subprocess.Popen:
    env = agent_env(home, GITHUB_TOKEN=sb.token, AGENT_WEBHOOK_SECRET=SECRET)
    command = [*AGENT, "watch", "--repo", REPO, "--webhook-port", str(port), "--github-url", sb.url,
               "--poll-interval", "1", "--monitor-interval", "0", "--ci-poll-interval", "0.1",
               "--verify-timeout", "30"]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert wait_for(lambda: _healthy(port) or process.poll() is not None, timeout=30)
    assert process.poll() is None, process.stderr.read().decode("utf-8", "replace")
    return process


def _healthy(port: int) -> bool:
    try:
        return get_json(port, "/healthz")[0] == 200
    except OSError:
        return False


def test_a_daemon_killed_mid_run_resumes_after_restart_without_duplicates(tmp_path):
    with Sandbox(ci_delay=0.2) as sb:
        full_name, run_id = sb.load_case(GLIBC_CASE)
        port = free_port()
        sb.add_hook(full_name, f"http://127.0.0.1:{port}/", SECRET, events=["workflow_run"])
        slow_pull = sb.faults.add("slow", method="POST", path=r"/pulls$", seconds=2)
        first = start_watch(tmp_path, sb, port)
        sb.notify_run(full_name, run_id)
        assert wait_for(lambda: slow_pull.fired == 1, timeout=30)
        first.kill()
        first.wait(10)
        store = Store(tmp_path / "agent.db")
        assert store.get_run(full_name, run_id)["status"] == "working"
        second = start_watch(tmp_path, sb, port)
        try:
            assert wait_for(lambda: store.get_run(full_name, run_id)["status"] == "done", timeout=45)
        finally:
            second.terminate()
            second.wait(15)
        repo = sb.repo(full_name)
        pulls = list(repo.pulls.values())
        plain_issues = [i for i in repo.issues.values() if not i.is_pull]
        fix_branches = [name for name in repo.branches if name.startswith("auto-fix/")]
    assert second.returncode == 0
    assert len(pulls) == 1 and pulls[0].merged and len(fix_branches) == 1
    assert plain_issues == []
    assert store.integrity_problems() == []
    assert len(store.actions(kind="pull_request", status="done")) == 1


def cli(capsys, *args: str) -> tuple[int, str]:
    """Run `agent ARGS` in this process; → (exit code, stdout)."""
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    return exited.value.code, capsys.readouterr().out


def test_status_and_history_report_from_the_database(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AGENT_HOME", str(tmp_path))
    db = Store(tmp_path / "agent.db")
    daemon = make_daemon(db, RecordingHandler(block=True)).start()
    try:
        deliver(daemon.receiver.port, run_payload(42))
        assert daemon.handler.started.wait(5)
        deliver(daemon.receiver.port, run_payload(43))
        status = cli(capsys, "status", "--json")
        text = cli(capsys, "status")
        daemon.handler.release.set()
        assert wait_for(lambda: db.get_run(REPO, 43)["status"] == "done")
        history = cli(capsys, "history", "--limit", "5", "--json")
    finally:
        daemon.handler.release.set()
        daemon.stop()
        daemon.join()
    report = json.loads(status[1])
    assert report["daemon"]["running"] and report["daemon"]["owner"] == daemon.owner
    assert report["queue_depth"] == 1 and [lease["run_id"] for lease in report["leases"]] == [42]
    runs = json.loads(history[1])["runs"]
    assert [run["run_id"] for run in runs] == [43, 42]
    assert runs[0]["result"]["status"] == "escalated"
    assert text[0] == 0 and "queue depth: 1" in text[1]

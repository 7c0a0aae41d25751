"""Fault #25: `agent fix` SIGKILLed while each step's write is in flight, then restarted: no duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_executor_kit import (
    REPO,
    add_glibc_repo,
    add_novel_run,
    issues,
    pipeline,
    pulls,
)

from agent.store import Store

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""


STEPS = {
    "branch": ("POST", r"/git/refs$"),
    "commit": ("PATCH", r"/git/refs/heads/auto-fix/"),
    "pull_request": ("POST", r"/pulls$"),
    "merge": ("PUT", r"/merge$"),
    "issue": ("POST", r"/issues$"),
}


def agent_command() -> list[str]:
    script = Path(sys.executable).parent / "agent"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from agent.cli.app import main; main()"]


def start_fix(sb, home: Path, run_id: int) -> subprocess.Popen:
    env = {**os.environ, "AGENT_HOME": str(home), "GITHUB_TOKEN": sb.token}
    args = ["fix", str(run_id), "--repo", REPO, "--github-url", sb.url, "--verify-timeout", "20",
            "--poll-interval", "0.05"]
    return subprocess.Popen(agent_command() + args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def kill_when_in_flight(sb, proc: subprocess.Popen, fault, method: str, timeout: float = 60) -> None:
    """SIGKILL the agent while the sandbox holds its request, then let that write land."""
    deadline = time.monotonic() + timeout
    while not fault.fired:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the agent never reached the step: {proc.communicate()[1].decode()[-800:]}")
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    while not any(r.method == method and r.status is not None and r.time >= fault_time(fault) for r in sb.requests):
        if time.monotonic() > deadline:
            raise AssertionError("the in-flight write never landed")
        time.sleep(0.01)


def fault_time(fault) -> float:
    return getattr(fault, "armed_at", 0.0)


@pytest.mark.parametrize("step", list(STEPS))
def test_sigkill_at_each_step_then_restart_makes_no_duplicate(sb, home, step):
    method, path = STEPS[step]
    run_id = add_novel_run(sb) if step == "issue" else add_glibc_repo(sb)
    fault = sb.faults.add("slow", method=method, path=path, seconds=0.5)
    fault.armed_at = time.time()
    kill_when_in_flight(sb, start_fix(sb, home, run_id), fault, method)
    result = pipeline(sb, home, verify_timeout=20).handle_run(REPO, run_id)
    store = Store(home / "agent.db")
    assert store.integrity_problems() == []
    if step == "issue":
        assert result.status == "escalated" and len(issues(sb)) == 1 and issues(sb)[0].comments == []
        return
    assert result.status == "fixed"
    assert len(pulls(sb)) == 1 and pulls(sb)[0].merged
    assert len([b for b in sb.repo(REPO).branches if b.startswith("auto-fix/")]) == 1
    assert len(store.actions(kind="pull_request", status="done")) == 1

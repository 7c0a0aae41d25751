"""Waiting for CI on a fix branch: a line per state change (a spinner only in a terminal), and workflows that
wait for a maintainer's approval (`action_required`) reported as such, never as a CI failure."""

from __future__ import annotations

import io
import threading
import time

from test_executor_kit import REPO, add_glibc_repo, pipeline, pulls

from agent.executor.progress import CIProgress, ci_state
from agent.sandbox import Sandbox
from agent.store import Store

pytest_plugins = ["test_executor_kit"]
"""The `home` fixture."""


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def hold_fix_branch_runs_for_approval(sb: Sandbox, stop: threading.Event) -> None:
    """What GitHub does for a first-time contributor's PR: its runs end `action_required` until approved."""
    while not stop.wait(0.01):
        with sb.lock:
            for run in sb.repo(REPO).runs.values():
                if run.head_branch.startswith("auto-fix/") and run.attempts:
                    run.attempts[-1].status, run.attempts[-1].conclusion = "completed", "action_required"


def test_a_fix_whose_workflows_wait_for_approval_is_reported_as_awaiting_approval_not_failed(home):
    with Sandbox(ci_delay=30) as sb:
        run_id = add_glibc_repo(sb)
        stop = threading.Event()
        threading.Thread(target=hold_fix_branch_runs_for_approval, args=(sb, stop), daemon=True).start()
        try:
            p = pipeline(sb, home)
            seen = io.StringIO()
            p.executor.on_ci_state = CIProgress(seen)
            result = p.handle_run(REPO, run_id)
        finally:
            stop.set()
        assert result.status == "awaiting_approval" and "action_required" in result.reason
        number = pulls(sb)[0].number
        assert not any(pull.merged for pull in pulls(sb)) and "needs-human" in sb.repo(REPO).issues[number].labels
        assert Store(home / "agent.db").outcomes(outcome="ci_failed") == []
        assert "action_required" in seen.getvalue()


def test_progress_prints_one_line_per_state_change_and_no_spinner_off_a_terminal():
    stream, clock = io.StringIO(), iter(range(100)).__next__
    progress = CIProgress(stream, clock=lambda: float(clock()))
    for runs in ([], [], [{"name": "CI", "status": "queued"}], [{"name": "CI", "status": "in_progress"}],
                 [{"name": "CI", "status": "in_progress"}], [{"name": "CI", "status": "completed", "conclusion": "success"}]):
        progress("auto-fix/x", runs)
    lines = stream.getvalue().splitlines()
    assert [line.split(": ", 1)[1].rsplit(" (", 1)[0] for line in lines] == [
        "no run yet", "CI: queued", "CI: in_progress", "CI: success"]
    assert "\r" not in stream.getvalue()


def test_in_a_terminal_the_wait_spins_between_state_changes():
    stream = Terminal()
    progress = CIProgress(stream, clock=time.monotonic)
    for _ in range(3):
        progress("auto-fix/x", [{"name": "CI", "status": "queued"}])
    assert stream.getvalue().count("waiting for CI on auto-fix/x") == 2 and "\r\033[K" in stream.getvalue()
    assert ci_state([{"path": "ci.yml", "status": "completed", "conclusion": "action_required"}]) == \
        "ci.yml: action_required"

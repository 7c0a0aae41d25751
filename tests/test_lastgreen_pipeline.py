"""The pipeline diffs a failure against the last green run of its workflow and branch, fetched over HTTP once."""

from __future__ import annotations

import pytest
from test_tools_world import FILES, NOVEL_ERROR, REPO, WORKFLOW, build_steps

from agent.github import GitHub, RetryPolicy
from agent.pipeline import Pipeline
from agent.policy import load_policy
from agent.store import Store
from agent.triage import triage
from evals.synth import run_layout

pytest_plugins = ("test_tools_world",)
SHARED = ["Traceback (most recent call last):", '  File "tools/gen_docs.py", line 3, in <module>',
          "ValueError: legacy schemas are ignored"]
"""An error-looking block the green run prints too (noise), closer to the failure than the real cause."""
FAST = RetryPolicy(max_attempts=2, max_total_wait=1, backoff_base=0.01, backoff_cap=0.02)


def failing_logs() -> dict[str, str]:
    return run_layout(build_steps([NOVEL_ERROR, *SHARED]), workflow=WORKFLOW, seed=3)


def green_logs() -> dict[str, str]:
    return run_layout(build_steps(SHARED, failed=False), workflow=WORKFLOW, seed=3)


def add_green(sb) -> int:
    return sb.mark_succeeded(REPO, sb.add_failed_run(REPO, WORKFLOW, name="CI-Linux", logs=green_logs()))


def pipeline(sb, tmp_path, knowledge) -> Pipeline:
    gh = GitHub(base_url=sb.url, token=sb.token, retry=FAST)
    return Pipeline(gh, Store(tmp_path / "agent.db"), load_policy(), kb=knowledge, verify_timeout=1,
                    poll_interval=0.05)


def plain_causes(knowledge) -> list[str]:
    """The root-cause lines triage finds in the failing log alone."""
    from agent.sandbox import runlogs

    data = runlogs.zip_bytes({k: v.encode("utf-8") for k, v in failing_logs().items()})
    return triage(data, kb=knowledge).root_cause_lines


def job_log_requests(sb) -> list[str]:
    return [r.path for r in sb.requests if "/actions/jobs/" in r.path and r.path.endswith("/logs")]


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AGENT_CACHE", str(tmp_path / "cache"))
    return tmp_path


def test_a_failure_with_a_green_predecessor_ranks_what_the_green_run_also_printed_down(sandbox, home, knowledge):
    sandbox.add_repo(REPO, files=FILES)
    add_green(sandbox)
    failed = sandbox.add_failed_run(REPO, WORKFLOW, name="CI-Linux", logs=failing_logs())
    causes = pipeline(sandbox, home, knowledge).handle_run(REPO, failed).diagnosis.root_cause_lines
    assert "widgets.v3" not in plain_causes(knowledge)[0]
    assert "widgets.v3" in causes[0]
    assert len(job_log_requests(sandbox)) == 1


def test_a_failure_without_a_green_run_is_triaged_as_before(sandbox, home, knowledge):
    sandbox.add_repo(REPO, files=FILES)
    failed = sandbox.add_failed_run(REPO, WORKFLOW, name="CI-Linux", logs=failing_logs())
    diagnosis = pipeline(sandbox, home, knowledge).handle_run(REPO, failed).diagnosis
    assert diagnosis.root_cause_lines == plain_causes(knowledge)
    assert job_log_requests(sandbox) == []


def test_a_green_log_that_cannot_be_fetched_changes_nothing(sandbox, home, knowledge):
    sandbox.add_repo(REPO, files=FILES)
    add_green(sandbox)
    failed = sandbox.add_failed_run(REPO, WORKFLOW, name="CI-Linux", logs=failing_logs())
    sandbox.faults.add("server_error", "GET", r"/actions/jobs/\d+/logs$", times=-1)
    result = pipeline(sandbox, home, knowledge).handle_run(REPO, failed)
    assert result.status == "escalated"
    assert result.diagnosis.root_cause_lines == plain_causes(knowledge)


def test_two_failures_after_the_same_green_run_fetch_its_log_once(sandbox, home, knowledge):
    sandbox.add_repo(REPO, files=FILES)
    add_green(sandbox)
    first = sandbox.add_failed_run(REPO, WORKFLOW, name="CI-Linux", logs=failing_logs())
    second = sandbox.add_failed_run(REPO, WORKFLOW, name="CI-Linux", logs=failing_logs())
    for run_id in (first, second):
        causes = pipeline(sandbox, home, knowledge).handle_run(REPO, run_id).diagnosis.root_cause_lines
        assert "widgets.v3" in causes[0]
    assert len(job_log_requests(sandbox)) == 1

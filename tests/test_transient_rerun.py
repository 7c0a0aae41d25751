"""Triage proposes one re-run for an infrastructure failure at the job's end; a second failure escalates."""

from __future__ import annotations

import yaml
from test_executor_kit import KNOWN_ISSUES, MEMBER, REPO, failure_logs, issues, pipeline, repo_files, writes

from agent.knowledge import parse_known_issues
from agent.triage import triage

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""

GITLAB_POD_TIMEOUT = (
    "\x1b[0KRunning with gitlab-runner 16.5.0 (853330f9)\x1b[0;m\r\n"
    "section_start:1700000000:prepare_executor\r\x1b[0K\x1b[0K\x1b[36;1mPreparing the \"kubernetes\" executor\x1b[0;m\r\n"
    "Using Kubernetes namespace: ci\r\n"
    "section_end:1700000001:prepare_executor\r\x1b[0Ksection_start:1700000001:prepare_script\r\x1b[0K"
    "\x1b[0K\x1b[36;1mPreparing environment\x1b[0;m\r\n"
    "Waiting for pod ci/runner-ab3de9fg-project-42-concurrent-0-x1y2z3 to be running, status is Pending\r\n"
    "\tUnschedulable: \"0/4 nodes are available: 4 Insufficient memory.\"\r\n"
    "section_end:1700000600:prepare_script\r\x1b[0K\x1b[31;1mERROR: Job failed (system failure): prepare environment: "
    "waiting for pod running: timed out waiting for pod to start\r\n\x1b[0;m\r\n"
)

DAEMON_DOWN = ["Step 1/9 : FROM ubuntu:22.04",
               "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"]

COMPILE_AFTER_NETWORK_WARNING = [
    "-- Downloading https://example.org/dep-1.2.tar.gz", "curl: (56) Recv failure: Connection reset by peer",
    "-- Retrying download (2/3)", "-- Download done", "[ 45%] Building CXX object src/CMakeFiles/core.dir/Frame.cpp.o",
    "/home/runner/work/ApraPipes/ApraPipes/base/src/Frame.cpp:88:5: error: 'resize_plane' was not declared in this scope",
    "make[2]: *** [base/CMakeFiles/core.dir/build.make:76: base/src/Frame.cpp.o] Error 1"]


def _job_log(lines: list[str]) -> bytes:
    """The single job log (`<n>_<job>.txt`) of a synthetic Actions run."""
    logs = failure_logs(lines)
    name = next(path for path in logs if "/" not in path and path.endswith(".txt"))
    return logs[name].encode("utf-8")


def test_gitlab_kubernetes_pod_timeout_proposes_a_rerun():
    diagnosis = triage(GITLAB_POD_TIMEOUT.encode("utf-8"))
    assert diagnosis.proposed_action == "rerun" and diagnosis.category == "runner"


def test_docker_daemon_down_on_actions_proposes_a_rerun():
    diagnosis = triage(_job_log(DAEMON_DOWN))
    assert diagnosis.known_issue is None
    assert diagnosis.proposed_action == "rerun" and diagnosis.category == "runner"


def test_compile_error_at_the_boundary_with_a_network_warning_higher_up_is_not_rerun():
    diagnosis = triage(_job_log(COMPILE_AFTER_NETWORK_WARNING))
    assert diagnosis.proposed_action != "rerun"


def test_known_network_issue_with_a_compile_error_at_the_boundary_escalates():
    kb = parse_known_issues(yaml.safe_load(KNOWN_ISSUES))
    diagnosis = triage(_job_log(COMPILE_AFTER_NETWORK_WARNING), kb=kb)
    assert diagnosis.known_issue is not None and diagnosis.category == "network"
    assert diagnosis.proposed_action == "escalate"


def test_known_network_issue_at_the_boundary_is_still_rerun():
    kb = parse_known_issues(yaml.safe_load(KNOWN_ISSUES))
    diagnosis = triage(_job_log(["-- Downloading https://example.org/dep-1.2.tar.gz",
                                 "curl: (56) Recv failure: Connection reset by peer"]), kb=kb)
    assert diagnosis.known_issue is not None and diagnosis.proposed_action == "rerun"


def test_infrastructure_failure_is_rerun_once_and_the_same_failure_again_escalates(sb, home):
    sb.add_repo(REPO, files=repo_files(old_image=False))
    run_id = sb.add_failed_run(REPO, workflow=".github/workflows/CI-Linux.yml", name="CI-Linux", actor=MEMBER,
                               logs=failure_logs(DAEMON_DOWN))
    p = pipeline(sb, home)
    first = p.handle_run(REPO, run_id)
    assert first.status == "rerun"
    sb.wait_for_runs(REPO, timeout=10)
    second = p.handle_run(REPO, run_id, run_attempt=2)
    assert second.status == "escalated"
    assert second.diagnosis.signature == first.diagnosis.signature
    reruns = [path for _, path in writes(sb) if path.endswith("/rerun-failed-jobs")]
    assert len(reruns) == 1 and len(issues(sb)) == 1


def test_a_long_job_is_judged_by_its_end():
    noise = [f"   Compiling crate-{n} v0.{n % 7}.0" for n in range(30000)]
    text = "\n".join(["$ cargo build --release", *noise, *DAEMON_DOWN, "ERROR: Job failed: exit code 1"]) + "\n"
    diagnosis = triage(text.encode("utf-8"))
    assert diagnosis.known_issue is None
    assert diagnosis.proposed_action == "rerun" and diagnosis.category == "runner"


def test_a_network_shaped_line_that_does_not_end_the_job_escalates():
    diagnosis = triage(_job_log(["Checking links in README.md",
                                 "curl: (22) The requested URL returned error: 404 Not Found",
                                 "1 dead link found"]))
    assert diagnosis.known_issue is None and diagnosis.proposed_action == "escalate"

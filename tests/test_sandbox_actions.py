"""Actions in the sandbox: runs, attempts, jobs, re-runs, runners, checks, and the run-log redirect."""

from __future__ import annotations

import io
import time
import urllib.parse
import zipfile

import pytest
import requests
from test_sandbox_fixtures import LOGS, REPO, client, failed_run_id, make_sandbox


@pytest.fixture
def sb():
    sandbox = make_sandbox(log_url_ttl=0.5)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def repo(sb):
    return client(sb).get_repo(REPO)


def auth(sb):
    return {"Authorization": f"token {sb.token}"}


def test_failed_run_carries_the_case_metadata(repo, sb):
    run = repo.get_workflow_run(failed_run_id(sb))
    assert (run.status, run.conclusion, run.event, run.head_branch, run.name) == (
        "completed", "failure", "push", "main", "CI-Linux")
    assert run.path == ".github/workflows/CI-Linux.yml"
    assert run.raw_data["actor"]["author_association"] == "MEMBER"
    assert run.head_sha == repo.get_branch("main").commit.sha


def test_jobs_and_steps_come_from_the_log_file_names_and_the_error_marker(repo, sb):
    jobs = list(repo.get_workflow_run(failed_run_id(sb)).jobs())
    assert [j.name for j in jobs] == ["build"]
    steps = [(s.number, s.name, s.conclusion) for s in jobs[0].steps]
    assert steps == [(1, "Set up job", "success"), (2, "Run actionscheckout@v4", "success"),
                     (3, "Build", "failure"), (4, "Upload", "skipped"), (5, "Complete job", "success")]
    assert jobs[0].conclusion == "failure"


@pytest.mark.parametrize("filters, expected", [
    ({"status": "failure"}, 1), ({"status": "completed"}, 1), ({"status": "queued"}, 0),
    ({"branch": "main"}, 1), ({"branch": "other"}, 0), ({"event": "push"}, 1), ({"event": "pull_request"}, 0),
    ({"created": ">=2000-01-01"}, 1), ({"created": "<2000-01-01"}, 0), ({"created": "2000-01-01..*"}, 1),
])
def test_runs_can_be_listed_with_filters(repo, filters, expected):
    assert repo.get_workflow_runs(**filters).totalCount == expected


def test_a_run_attempt_can_be_read_and_rerun_failed_jobs_starts_a_new_attempt(repo, sb):
    run = repo.get_workflow_run(failed_run_id(sb))
    assert run.rerun_failed_jobs() is True
    assert repo.get_workflow_run(run.id).run_attempt == 2
    sb.wait_for_runs(REPO)
    again = repo.get_workflow_run(run.id)
    assert (again.run_attempt, again.status, again.conclusion) == (2, "completed", "failure")
    _, first = client(sb).requester.requestJsonAndCheck("GET", f"{run.url}/attempts/1")
    assert first["run_attempt"] == 1 and first["conclusion"] == "failure"


def test_rerun_of_a_flaky_workflow_passes(repo, sb):
    sb.add_workflow(REPO, ".github/workflows/CI-Linux.yml", rerun_passes=True)
    repo.get_workflow_run(failed_run_id(sb)).rerun_failed_jobs()
    sb.wait_for_runs(REPO)
    assert repo.get_workflow_run(failed_run_id(sb)).conclusion == "success"


def test_self_hosted_runners_report_status_busy_and_labels(repo, sb):
    sb.set_runner(REPO, "gpu-1", status="online", busy=True, labels=["self-hosted", "Linux", "X64", "gpu"])
    sb.set_runner(REPO, "jetson", status="offline", labels=["self-hosted", "Linux", "ARM64"])
    runners = {r.name: r for r in repo.get_self_hosted_runners()}
    assert (runners["gpu-1"].status, runners["gpu-1"].busy) == ("online", True)
    assert runners["jetson"].status == "offline"
    assert "gpu" in {label["name"] for label in runners["gpu-1"].labels}


def test_check_runs_and_combined_status_reflect_the_failed_run(repo):
    commit = repo.get_commit("main")
    checks = list(commit.get_check_runs())
    assert [(c.name, c.status, c.conclusion) for c in checks] == [("build", "completed", "failure")]
    combined = commit.get_combined_status()
    assert combined.state == "failure"
    assert [s.context for s in combined.statuses] == ["CI-Linux"]


def test_run_log_zip_redirects_to_another_port_and_holds_the_layout(sb):
    answer = requests.get(f"{sb.url}/repos/{REPO}/actions/runs/{failed_run_id(sb)}/logs", headers=auth(sb),
                          allow_redirects=False)
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert urllib.parse.urlsplit(location).port != urllib.parse.urlsplit(sb.url).port
    blob = requests.get(location)
    assert blob.status_code == 200
    names = set(zipfile.ZipFile(io.BytesIO(blob.content)).namelist())
    assert names == set(LOGS)


def test_signed_log_url_expires(sb):
    answer = requests.get(f"{sb.url}/repos/{REPO}/actions/runs/{failed_run_id(sb)}/attempts/1/logs",
                          headers=auth(sb), allow_redirects=False)
    time.sleep(0.6)
    expired = requests.get(answer.headers["Location"])
    assert expired.status_code == 403
    assert b"AuthenticationFailed" in expired.content


def test_tampered_log_url_is_refused(sb):
    answer = requests.get(f"{sb.url}/repos/{REPO}/actions/runs/{failed_run_id(sb)}/logs", headers=auth(sb),
                          allow_redirects=False)
    assert requests.get(answer.headers["Location"].replace("se=", "se=9")).status_code == 403


def test_job_log_redirects_to_the_plain_text_job_log(repo, sb):
    job = next(iter(repo.get_workflow_run(failed_run_id(sb)).jobs()))
    answer = requests.get(f"{sb.url}/repos/{REPO}/actions/jobs/{job.id}/logs", headers=auth(sb),
                          allow_redirects=False)
    assert answer.status_code == 302
    assert requests.get(answer.headers["Location"]).text == LOGS["1_build.txt"]


def test_a_step_failing_without_the_exit_code_marker_is_found_by_its_last_error_line(repo, sb):
    logs = {"1_bump.txt": "all\n", "bump/1_Set up job.txt": "ok\n",
            "bump/2_Run peter-evanscreate-pull-request@v6.txt": "##[error]The process '/usr/bin/git' failed\n",
            "bump/3_Complete job.txt": "done\n"}
    run_id = sb.add_failed_run(REPO, workflow=".github/workflows/bump.yml", logs=logs, event="schedule")
    steps = next(iter(repo.get_workflow_run(run_id).jobs())).steps
    assert [s.conclusion for s in steps] == ["success", "failure", "success"]


def test_a_job_log_without_step_files_is_split_on_run_groups(repo, sb):
    text = ("2025-01-01T00:00:00.0000000Z Requested labels: ubuntu-22.04\n"
            "2025-01-01T00:00:01.0000000Z ##[group]Run cmake --build .\n"
            "2025-01-01T00:00:02.0000000Z ##[error]Process completed with exit code 2.\n")
    run_id = sb.add_failed_run(REPO, workflow=".github/workflows/other.yml", logs={"1_build.txt": text})
    steps = next(iter(repo.get_workflow_run(run_id).jobs())).steps
    assert [(s.name, s.conclusion) for s in steps] == [
        ("Set up job", "success"), ("Run cmake --build .", "failure"), ("Complete job", "success")]


def test_a_fork_pull_request_run_names_the_fork_as_its_head_repository(repo, sb):
    run_id = sb.add_failed_run(REPO, workflow=".github/workflows/CI-Linux.yml", logs=LOGS, event="pull_request",
                               head_branch="patch-1", actor={"login": "outsider", "association": "CONTRIBUTOR"},
                               head_repository="outsider/ApraPipes")
    run = repo.get_workflow_run(run_id).raw_data
    assert (run["head_repository"]["full_name"], run["head_repository"]["fork"]) == ("outsider/ApraPipes", True)
    assert run["repository"]["full_name"] == REPO
    assert run["actor"]["author_association"] == "CONTRIBUTOR"
    assert "patch-1" not in {b.name for b in repo.get_branches()}


def test_a_back_dated_run_is_filtered_by_created(repo, sb):
    old = sb.add_failed_run(REPO, workflow=".github/workflows/CI-Linux.yml", logs=LOGS,
                            created_at="2024-03-01T12:00:00Z")
    assert [r.id for r in repo.get_workflow_runs(created="2024-03-01")] == [old]
    assert old not in [r.id for r in repo.get_workflow_runs(created=">=2024-03-02")]

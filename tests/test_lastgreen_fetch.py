"""The last green run of a failed run, found over the sandbox's REST API, its logs fetched once into a bounded cache."""

from __future__ import annotations

import io
import zipfile

import pytest
from test_tools_world import REPO, WORKFLOW, add_green_run, build_steps, make_world, novel_logs

from agent.github import GitHub, RetryPolicy
from agent.github.lastgreen import last_green_log
from agent.github.logcache import LogCache
from evals.synth import StepSpec, run_layout

pytest_plugins = ("test_tools_world",)
FAST = RetryPolicy(max_attempts=2, max_total_wait=1, backoff_base=0.01, backoff_cap=0.02)


def client(sandbox) -> GitHub:
    return GitHub(base_url=sandbox.url, token=sandbox.token, retry=FAST)


def run_json(gh: GitHub, run_id: int) -> dict:
    return gh.get_run(REPO, run_id)


def log_requests(sandbox) -> list[str]:
    return [r.path for r in sandbox.requests if r.path.endswith("/logs")]


def job_names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.namelist()


def test_the_green_run_before_the_failure_is_found_and_only_its_failed_job_is_fetched(sandbox, tmp_path):
    green, failed = make_world(sandbox)
    gh = client(sandbox)
    found = last_green_log(gh, REPO, run_json(gh, failed), LogCache(tmp_path))
    assert found is not None and found.run["id"] == green and found.jobs == ["build"]
    assert job_names(found.data) == ["1_build.txt"]
    assert b"Building CXX object" in zipfile.ZipFile(io.BytesIO(found.data)).read("1_build.txt")
    green_job = gh.list_jobs(REPO, green)[0]["id"]
    assert log_requests(sandbox) == [f"/repos/{REPO}/actions/jobs/{green_job}/logs"]


def test_a_second_failure_after_the_same_green_run_reads_the_cache_not_github(sandbox, tmp_path):
    green, failed = make_world(sandbox)
    second = sandbox.add_failed_run(REPO, WORKFLOW, name="CI-Linux", logs=novel_logs(["error: another"]))
    gh = client(sandbox)
    first_found = last_green_log(gh, REPO, run_json(gh, failed), LogCache(tmp_path))
    second_found = last_green_log(gh, REPO, run_json(gh, second), LogCache(tmp_path))
    assert first_found.run["id"] == second_found.run["id"] == green
    assert first_found.data == second_found.data
    assert len(log_requests(sandbox)) == 1


def test_no_green_run_means_no_green_log_and_no_download(sandbox, tmp_path):
    sandbox.add_repo(REPO, files={WORKFLOW: "name: CI-Linux\n"})
    failed = sandbox.add_failed_run(REPO, WORKFLOW, name="CI-Linux", logs=novel_logs())
    gh = client(sandbox)
    assert last_green_log(gh, REPO, run_json(gh, failed), LogCache(tmp_path)) is None
    assert log_requests(sandbox) == []


def test_a_green_run_newer_than_the_failure_is_not_its_baseline(sandbox, tmp_path):
    sandbox.add_repo(REPO, files={WORKFLOW: "name: CI-Linux\n"})
    failed = sandbox.add_failed_run(REPO, WORKFLOW, name="CI-Linux", logs=novel_logs())
    add_green_run(sandbox)
    gh = client(sandbox)
    assert last_green_log(gh, REPO, run_json(gh, failed), LogCache(tmp_path)) is None


def test_a_failing_download_leaves_no_green_log_and_raises_nothing(sandbox, tmp_path):
    _, failed = make_world(sandbox)
    sandbox.faults.add("server_error", "GET", r"/actions/jobs/\d+/logs$", times=-1)
    gh = client(sandbox)
    assert last_green_log(gh, REPO, run_json(gh, failed), LogCache(tmp_path)) is None
    assert list(tmp_path.iterdir()) == []


def test_the_cache_keeps_only_its_most_recently_used_entries(tmp_path):
    cache = LogCache(tmp_path, max_entries=2)
    for key in ("a", "b", "c"):
        cache.put(key, key.encode() * 100)
    assert cache.get("a") is None and cache.get("b") == b"b" * 100 and cache.get("c") == b"c" * 100
    small = LogCache(tmp_path / "small", max_bytes=10)
    small.put("big", bytes(range(256)) * 40)
    assert small.get("big") is None


@pytest.mark.parametrize("damage", [b"", b"not gzip"])
def test_a_damaged_cache_entry_is_a_miss(tmp_path, damage):
    cache = LogCache(tmp_path)
    cache.put("k", b"log")
    cache.path("k").write_bytes(damage)
    assert cache.get("k") is None


def two_job_logs(failed: bool) -> dict[str, str]:
    lint = [StepSpec(name="Lint", lines=["lint: 0 problems"], failed=False, exit_code=None)]
    return run_layout({**build_steps(["error: broken"] if failed else [], failed=failed), "lint": lint},
                      workflow=WORKFLOW, seed=5)


def test_only_the_jobs_that_failed_are_fetched_from_the_green_run(sandbox, tmp_path):
    sandbox.add_repo(REPO, files={WORKFLOW: "name: CI-Linux\n"})
    green = sandbox.mark_succeeded(REPO, sandbox.add_failed_run(REPO, WORKFLOW, name="CI-Linux",
                                                                logs=two_job_logs(failed=False)))
    failed = sandbox.add_failed_run(REPO, WORKFLOW, name="CI-Linux", logs=two_job_logs(failed=True))
    gh = client(sandbox)
    found = last_green_log(gh, REPO, run_json(gh, failed), LogCache(tmp_path))
    assert found.run["id"] == green and found.jobs == ["build"] and job_names(found.data) == ["1_build.txt"]
    assert len(log_requests(sandbox)) == 1


def test_a_branch_without_a_green_run_is_compared_with_the_default_branch(sandbox, tmp_path):
    green, _ = make_world(sandbox)
    feature = sandbox.add_failed_run(REPO, WORKFLOW, name="CI-Linux", logs=novel_logs(), head_branch="feature/x")
    gh = client(sandbox)
    run = run_json(gh, feature)
    assert run["head_branch"] == "feature/x"
    assert last_green_log(gh, REPO, run, LogCache(tmp_path)).run["id"] == green

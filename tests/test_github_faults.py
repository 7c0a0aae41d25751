"""agent.github under faults (knowledge/faults.md #22-#24, #27, #28), against the sandbox over real HTTP."""

from __future__ import annotations

import secrets
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from agent.github import (
    AuthError,
    GitHub,
    InstallationToken,
    PermissionDenied,
    RateLimited,
    Retrier,
    RetryPolicy,
    ServerError,
    WorkflowPermissionMissing,
)
from agent.models import Edit
from agent.sandbox import Sandbox

REPO = "Apra-Labs/ApraPipes"
WORKFLOW = ".github/workflows/CI-Linux.yml"
FILES = {"README.md": "ApraPipes\n", WORKFLOW: "uses: actions/upload-artifact@v3\n"}
FAST = RetryPolicy(max_attempts=4, max_total_wait=10, backoff_base=0.05, backoff_cap=0.2,
                   secondary_min_wait=0.1, reset_margin=1.0, min_rate_limit_wait=0.05)
APP_ID, INSTALLATION = 4242, 77


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
    server.commit_file(REPO, "main", "CHANGELOG.md", "v1\n")  # main's head does not touch workflows
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


@pytest.fixture(scope="module")
def app_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def calls(sb, method, path_end):
    return [r for r in sb.requests if r.method == method and r.path.endswith(path_end) and r.host == "api"]


def open_fix_pr(gh, branch="agent/fix"):
    base = gh.branch_sha(REPO, "main")
    gh.create_branch(REPO, branch, base)
    gh.commit_files(REPO, branch, [Edit(path="README.md", old=FILES["README.md"], new="fixed\n")], "fix")
    return gh.create_pull(REPO, branch, "main", "fix", "body <!-- agent:fix -->")


def test_secondary_limit_before_pr_creation_waits_as_told_and_makes_one_branch_and_one_pr(sb, gh):
    sb.faults.add("secondary_rate_limit", method="POST", path=r"/pulls$", retry_after=1)
    started = time.monotonic()
    pull = open_fix_pr(gh)
    assert time.monotonic() - started >= 1.0
    posts = calls(sb, "POST", "/pulls")
    assert [r.status for r in posts] == [403, 201] and posts[1].time - posts[0].time >= 1.0
    assert [r.status for r in calls(sb, "POST", "/git/refs")] == [201]
    assert list(sb.repo(REPO).pulls) == [pull["number"]]
    assert sorted(sb.repo(REPO).branches) == ["agent/fix", "main"]


def test_primary_limit_exhausted_sleeps_until_reset_then_succeeds_with_one_retry(sb, gh):
    sb.faults.add("primary_exhausted", method="GET", path=r"/actions/runs$", reset_in=1)
    assert gh.list_runs(REPO) == []
    runs_calls = calls(sb, "GET", "/actions/runs")
    assert [r.status for r in runs_calls] == [403, 200]
    assert runs_calls[1].time - runs_calls[0].time >= 1.0
    assert len(sb.requests) == 2


def test_primary_limit_resetting_beyond_the_wait_budget_fails_fast_without_a_loop(sb):
    gh = GitHub(sb.url, token=fresh_token(sb), retry=RetryPolicy(max_total_wait=30))
    sb.faults.add("primary_exhausted", method="GET", path=r"/actions/runs$", reset_in=3600)
    with pytest.raises(RateLimited) as err:
        gh.list_runs(REPO)
    assert len(sb.requests) == 1 and gh.retrier.slept == []
    assert err.value.retry_at >= time.time() + 3500


def test_limit_hit_on_every_attempt_stops_after_the_attempt_cap_and_every_wait_honours_reset(sb):
    retrier = Retrier(RetryPolicy(max_attempts=3, max_total_wait=60), sleep=lambda s: None)
    gh = GitHub(sb.url, token=fresh_token(sb), retrier=retrier)
    sb.faults.add("primary_exhausted", method="GET", path=r"/actions/runs$", times=-1, reset_in=5)
    with pytest.raises(RateLimited):
        gh.list_runs(REPO)
    assert len(calls(sb, "GET", "/actions/runs")) == 3
    assert len(retrier.slept) == 2 and all(wait >= 4.0 for wait in retrier.slept)


def test_server_errors_are_retried_a_bounded_number_of_times(sb, gh):
    sb.faults.add("server_error", method="GET", path=r"/actions/runs$", times=-1, status=502)
    with pytest.raises(ServerError, match="502"):
        gh.list_runs(REPO)
    assert len(calls(sb, "GET", "/actions/runs")) == FAST.max_attempts


def test_pr_creation_whose_answer_was_lost_is_found_not_repeated(sb, gh):
    sb.faults.add("drop_after_write", method="POST", path=r"/pulls$")
    pull = open_fix_pr(gh)
    assert [r.status for r in calls(sb, "POST", "/pulls")] == [None]
    assert list(sb.repo(REPO).pulls) == [pull["number"]] and pull["head"]["ref"] == "agent/fix"


@pytest.mark.parametrize("path", [r"/git/refs$", r"/issues$"])
def test_branch_and_issue_creation_whose_answer_was_lost_leave_exactly_one(sb, gh, path):
    sb.faults.add("drop_after_write", method="POST", path=path)
    base = gh.branch_sha(REPO, "main")
    gh.create_branch(REPO, "agent/once", base)
    issue = gh.create_issue(REPO, "CI fails", "body <!-- agent:sig=1 -->")
    assert gh.branch_sha(REPO, "agent/once") == base
    assert [n for n, i in sb.repo(REPO).issues.items()] == [issue["number"]]
    assert len(calls(sb, "POST", path.strip("$"))) == 1


def test_expired_installation_token_is_refreshed_once_and_the_call_retried(sb, app_key):
    sb.add_app(APP_ID, app_key[1], INSTALLATION)
    gh = GitHub(sb.url, app_id=APP_ID, private_key=app_key[0], installation_id=INSTALLATION, retry=FAST)
    assert gh.repo_info(REPO)["full_name"] == REPO
    first_token = calls(sb, "GET", f"/repos/{REPO}")[0].headers["authorization"].split()[1]
    sb.revoke_token(first_token)
    assert gh.list_runs(REPO) == []
    assert [r.status for r in calls(sb, "GET", "/actions/runs")] == [401, 200]
    assert len(calls(sb, "POST", "/access_tokens")) == 2 and gh.tokens.minted == 2
    assert calls(sb, "GET", "/actions/runs")[1].headers["authorization"] != f"token {first_token}"


def test_a_second_401_after_refreshing_is_an_auth_error(sb, app_key):
    sb.add_app(APP_ID, app_key[1], INSTALLATION, token_ttl=-10)
    gh = GitHub(sb.url, app_id=APP_ID, private_key=app_key[0], installation_id=INSTALLATION, retry=FAST)
    with pytest.raises(AuthError, match="401"):
        gh.list_runs(REPO)
    assert [r.status for r in calls(sb, "GET", "/actions/runs")] == [401, 401]
    assert len(calls(sb, "POST", "/access_tokens")) == 2


def test_a_wrong_app_key_is_an_auth_error_naming_the_app(sb, app_key):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    sb.add_app(APP_ID, other, INSTALLATION)
    gh = GitHub(sb.url, app_id=APP_ID, private_key=app_key[0], installation_id=INSTALLATION, retry=FAST)
    with pytest.raises(AuthError, match=f"app_id {APP_ID}"):
        gh.repo_info(REPO)
    assert len(calls(sb, "POST", "/access_tokens")) == 1 and calls(sb, "GET", f"/repos/{REPO}") == []


def test_installation_token_is_reused_then_refreshed_a_few_minutes_before_expiry(sb, app_key):
    sb.add_app(APP_ID, app_key[1], INSTALLATION, token_ttl=3600)
    now = [time.time()]
    tokens = InstallationToken(sb.url, APP_ID, app_key[0], INSTALLATION, Retrier(FAST), clock=lambda: now[0])
    first = tokens.token()
    now[0] += 3000
    assert tokens.token() == first and tokens.minted == 1
    now[0] += 301
    assert tokens.token() != first and tokens.minted == 2


def test_missing_workflows_permission_is_one_actionable_error_without_retries(sb):
    gh = GitHub(sb.url, token=fresh_token(sb, workflows=False), retry=FAST)
    base = gh.branch_sha(REPO, "main")
    gh.create_branch(REPO, "agent/wf", base)
    edit = Edit(path=WORKFLOW, old=FILES[WORKFLOW], new="uses: actions/upload-artifact@v4\n")
    with pytest.raises(WorkflowPermissionMissing) as err:
        gh.commit_files(REPO, "agent/wf", [edit], "ci: bump")
    assert "Workflows: read and write" in str(err.value) and "\n" not in str(err.value)
    assert [r.status for r in calls(sb, "PATCH", "/git/refs/heads/agent/wf")] == [403]
    assert gh.branch_sha(REPO, "agent/wf") == base


def test_resource_not_accessible_by_integration_is_permission_denied_without_retries(sb, gh):
    sb.faults.add("not_accessible", method="POST", path=r"/issues$", times=-1)
    with pytest.raises(PermissionDenied, match="Resource not accessible by integration") as err:
        gh.create_issue(REPO, "CI fails", "body")
    assert not isinstance(err.value, WorkflowPermissionMissing)
    assert len(calls(sb, "POST", "/issues")) == 1 and sb.repo(REPO).issues == {}


def test_commit_whose_ref_update_answer_was_lost_is_repeated_safely_as_one_commit(sb, gh):
    sb.faults.add("drop_after_write", method="PATCH", path=r"/git/refs/heads/agent/fix$")
    pull = open_fix_pr(gh)
    head = gh.branch_sha(REPO, "agent/fix")
    assert pull["head"]["sha"] == head and sb.repo(REPO).commits[head].message == "fix"
    assert [r.status for r in calls(sb, "PATCH", "/git/refs/heads/agent/fix")] == [None, 200]


def test_merge_whose_answer_was_lost_is_confirmed_by_reading_the_pull_not_repeated(sb, gh):
    pull = open_fix_pr(gh)
    sb.faults.add("drop_after_write", method="PUT", path=r"/merge$")
    merge_sha = gh.merge_pull(REPO, pull["number"], pull["head"]["sha"])
    assert gh.branch_sha(REPO, "main") == merge_sha
    assert [r.status for r in calls(sb, "PUT", f"/pulls/{pull['number']}/merge")] == [None]

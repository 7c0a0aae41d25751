"""agent.github without a server: JWT, retry decisions from headers, error classification."""

from __future__ import annotations

import socket
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from agent.errors import AgentError, ConfigError
from agent.github import (
    AuthError,
    Conflict,
    GitHub,
    GitHubError,
    NetworkError,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    WorkflowPermissionMissing,
    WriteUncertain,
    app_jwt,
    git_blob_sha,
)
from agent.github.errors import Failure, HttpFailure, classify
from agent.github.git import check_edits_apply
from agent.github.retry import Retrier, RetryPolicy, backoff, instructed_wait, retry_delay
from agent.models import Edit

NOW = 1_700_000_000.0
POLICY = RetryPolicy(max_attempts=4, max_total_wait=120, backoff_base=1, backoff_cap=8,
                     secondary_min_wait=60, reset_margin=1, jitter=0.1)
WORKFLOWS_MSG = ("refusing to allow a GitHub App to create or update workflow `.github/workflows/ci.yml` "
                 "without `workflows` permission")


@pytest.fixture(scope="module")
def rsa_pem():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return pem, key.public_key()


def test_app_jwt_is_rs256_backdated_a_minute_and_expires_within_ten(rsa_pem):
    pem, public = rsa_pem
    token = app_jwt(12345, pem, now=NOW)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    claims = jwt.decode(token, public, algorithms=["RS256"], options={"verify_exp": False,
                                                                     "verify_iat": False})
    assert claims == {"iat": int(NOW) - 60, "exp": int(NOW) + 540, "iss": "12345"}


def test_app_jwt_signed_with_another_key_does_not_verify(rsa_pem):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(app_jwt(1, rsa_pem[0]), other, algorithms=["RS256"])


def fail(status, message="", **headers):
    return Failure(status, {k.replace("_", "-"): str(v) for k, v in headers.items()}, message)


@pytest.mark.parametrize("failure, idempotent, expected", [
    (fail(403, "You have exceeded a secondary rate limit", retry_after=3), False, 3.0),
    (fail(429, "", retry_after=2), True, 2.0),
    (fail(403, "API rate limit exceeded", x_ratelimit_remaining=0, x_ratelimit_reset=int(NOW) + 10), True, 11.0),
    (fail(403, "You have exceeded a secondary rate limit"), False, 60.0),
    (fail(429, "too many"), True, 1.0),
    (fail(502, "bad gateway"), True, 1.0),
    (fail(502, "bad gateway"), False, None),
    (fail(None, "connection reset"), True, 1.0),
    (fail(None, "connection reset"), False, None),
    (fail(403, "Resource not accessible by integration", x_ratelimit_remaining=4999), True, None),
    (fail(403, WORKFLOWS_MSG, x_ratelimit_remaining=4999), False, None),
    (fail(404, "Not Found"), True, None),
    (fail(422, "Reference already exists"), False, None),
    (fail(501, "not implemented"), True, None),
])
def test_retry_delay_follows_github_instructions_and_only_repeats_safe_requests(failure, idempotent, expected):
    assert retry_delay(failure, 1, POLICY, NOW, idempotent) == expected


def test_retry_after_wins_over_ratelimit_reset():
    failure = fail(403, "", retry_after=5, x_ratelimit_remaining=0, x_ratelimit_reset=int(NOW) + 100)
    assert instructed_wait(failure, NOW) == 5.0


def test_reset_is_ignored_while_requests_remain():
    assert instructed_wait(fail(403, "", x_ratelimit_remaining=10, x_ratelimit_reset=int(NOW) + 9), NOW) is None


def test_backoff_doubles_and_is_capped():
    assert [backoff(n, POLICY) for n in range(1, 7)] == [1, 2, 4, 8, 8, 8]


class Script:
    """A scripted attempt: raises the listed failures in order, then returns 'ok'."""

    def __init__(self, *failures):
        self.failures, self.calls = list(failures), 0

    def __call__(self):
        self.calls += 1
        if self.failures:
            item = self.failures.pop(0)
            if isinstance(item, Exception):
                raise item
            raise HttpFailure(item)
        return "ok"


def fake_retrier(policy=POLICY):
    slept = []
    return Retrier(policy, sleep=slept.append, clock=lambda: NOW, rand=lambda: 1.0), slept


def test_each_wait_is_at_least_what_github_said_plus_bounded_jitter():
    retrier, slept = fake_retrier()
    script = Script(fail(403, "", retry_after=3), fail(429, "", retry_after=2))
    assert retrier.run(script, "GET /x", idempotent=True) == "ok"
    assert script.calls == 3
    assert slept == [pytest.approx(3.3), pytest.approx(2.2)]


def test_persistent_5xx_stops_after_max_attempts_with_server_error():
    retrier, slept = fake_retrier()
    script = Script(*[fail(502, "bad gateway")] * 10)
    with pytest.raises(ServerError):
        retrier.run(script, "GET /x", idempotent=True)
    assert script.calls == POLICY.max_attempts
    assert len(slept) == POLICY.max_attempts - 1


def test_wait_beyond_the_budget_fails_fast_with_retry_at_and_no_sleep():
    retrier, slept = fake_retrier()
    script = Script(fail(403, "API rate limit exceeded", x_ratelimit_remaining=0,
                         x_ratelimit_reset=int(NOW) + 3600))
    with pytest.raises(RateLimited) as err:
        retrier.run(script, "GET /x", idempotent=True)
    assert slept == [] and script.calls == 1
    assert err.value.retry_at >= NOW + 3600


def test_dropped_connection_on_a_write_is_not_repeated():
    retrier, slept = fake_retrier()
    script = Script(ConnectionResetError("peer reset"))
    with pytest.raises(WriteUncertain, match="reconcile"):
        retrier.run(script, "POST /repos/o/r/pulls", idempotent=False)
    assert script.calls == 1 and slept == []


def test_dropped_connection_on_a_read_is_retried():
    retrier, slept = fake_retrier()
    script = Script(ConnectionResetError("peer reset"))
    assert retrier.run(script, "GET /x", idempotent=True) == "ok"
    assert slept == [pytest.approx(1.1)]


def test_401_refreshes_once_then_a_second_401_is_auth_error():
    retrier, _ = fake_retrier()
    refreshes = []
    script = Script(fail(401, "Bad credentials"), fail(401, "Bad credentials"))
    with pytest.raises(AuthError):
        retrier.run(script, "GET /x", idempotent=True, reauth=lambda: refreshes.append(1) or True)
    assert refreshes == [1] and script.calls == 2


def test_401_with_a_fixed_token_is_final_at_once():
    retrier, _ = fake_retrier()
    script = Script(fail(401, "Bad credentials"))
    with pytest.raises(AuthError):
        retrier.run(script, "GET /x", idempotent=True, reauth=lambda: False)
    assert script.calls == 1


def test_real_short_sleep_is_honoured():
    retrier = Retrier(RetryPolicy(min_rate_limit_wait=0.1))
    script = Script(fail(429, "", retry_after=0.3))
    started = time.monotonic()
    assert retrier.run(script, "GET /x", idempotent=True) == "ok"
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize("failure, expected", [
    (fail(401, "Bad credentials"), AuthError),
    (fail(404, "Not Found"), NotFound),
    (fail(410, "Gone"), NotFound),
    (fail(403, WORKFLOWS_MSG), WorkflowPermissionMissing),
    (fail(403, "Resource not accessible by integration"), PermissionDenied),
    (fail(403, "Must have admin rights to Repository."), PermissionDenied),
    (fail(403, "You have exceeded a secondary rate limit", retry_after=60), RateLimited),
    (fail(403, "API rate limit exceeded for installation", x_ratelimit_remaining=0), RateLimited),
    (fail(429, "slow down"), RateLimited),
    (fail(409, "Head branch was modified"), Conflict),
    (fail(422, "Update is not a fast forward"), Conflict),
    (fail(503, "unavailable"), ServerError),
])
def test_final_failures_map_to_typed_one_line_agent_errors(failure, expected):
    error = classify(failure, "POST /repos/o/r/x")
    assert type(error) is expected
    assert isinstance(error, GitHubError) and isinstance(error, AgentError)
    assert "\n" not in str(error) and "POST /repos/o/r/x" in str(error)


def test_workflow_permission_message_says_what_to_grant():
    error = classify(fail(403, WORKFLOWS_MSG), "PATCH /repos/o/r/git/refs/heads/fix")
    assert isinstance(error, PermissionDenied)
    assert "Workflows: read and write" in str(error) and "'workflow' scope" in str(error)


def test_github_without_credentials_is_a_config_error_before_any_request():
    with pytest.raises(ConfigError, match="credentials missing"):
        GitHub("https://ghe.example.com/api/v3")


def test_git_blob_sha_matches_git():
    assert git_blob_sha("hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


@pytest.mark.parametrize("edit, expected", [
    (Edit(path="a.txt", old="hello\n", new="bye\n"), None),
    (Edit(path="a.txt", old="other\n", new="bye\n"), "changed"),
    (Edit(path="a.txt", old=None, new="bye\n"), "exists"),
    (Edit(path="b.txt", old="x", new="y"), "is missing"),
    (Edit(path="b.txt", old=None, new="y"), None),
])
def test_edits_apply_only_to_the_text_they_were_made_from(edit, expected):
    files = {"a.txt": (git_blob_sha("hello\n"), "100644")}
    if expected is None:
        check_edits_apply([edit], files, "main")
    else:
        with pytest.raises(Conflict, match=expected):
            check_edits_apply([edit], files, "main")


def test_refused_connection_before_any_answer_fails_fast_with_one_short_retry():
    retrier, slept = fake_retrier()
    script = Script(*[ConnectionRefusedError(111, "Connection refused")] * 5)
    with pytest.raises(NetworkError, match=r"^cannot reach GitHub \(connection refused\) for GET /x$"):
        retrier.run(script, "GET /x", idempotent=True)
    assert script.calls == POLICY.unreached_attempts == 2
    assert slept == [POLICY.unreached_backoff]


def test_refused_connection_after_github_answered_gets_the_normal_backoff():
    retrier, slept = fake_retrier()
    assert retrier.run(Script(), "GET /first", idempotent=True) == "ok"
    script = Script(ConnectionRefusedError(111, "Connection refused"), ConnectionRefusedError(111, "refused"))
    assert retrier.run(script, "GET /x", idempotent=True) == "ok"
    assert slept == [pytest.approx(1.1), pytest.approx(2.2)]


def test_refused_write_was_never_sent_so_it_is_not_uncertain():
    retrier, _ = fake_retrier()
    script = Script(*[ConnectionRefusedError(111, "Connection refused")] * 3)
    with pytest.raises(NetworkError) as err:
        retrier.run(script, "POST /repos/o/r/pulls", idempotent=False)
    assert not isinstance(err.value, WriteUncertain)


def test_refused_github_url_is_named_without_urllib3_text():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    gh = GitHub(base_url=url, token="t", retrier=Retrier(sleep=lambda _: None))
    with pytest.raises(NetworkError) as err:
        gh.get_run("o/r", 1)
    assert str(err.value) == f"cannot reach GitHub at {url} (connection refused) for GET /repos/o/r/actions/runs/1"

"""HTTP behaviour of the sandbox: rate limits, ETag/304, pagination, fault injection, App tokens."""

from __future__ import annotations

import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import Auth, Github
from test_sandbox_fixtures import REPO, client, failed_run_id, make_sandbox


@pytest.fixture
def sb():
    sandbox = make_sandbox()
    yield sandbox
    sandbox.stop()


def get(sb, path, **kw):
    return requests.get(f"{sb.url}{path}", headers={"Authorization": f"token {sb.token}"}, **kw)


def test_every_answer_carries_rate_limit_headers_and_counts_one_request(sb):
    first, missing = get(sb, f"/repos/{REPO}"), get(sb, "/repos/nobody/nothing")
    assert missing.status_code == 404
    for answer in (first, missing):
        for header in ("limit", "remaining", "reset", "used", "resource"):
            assert f"x-ratelimit-{header}" in answer.headers
    assert int(missing.headers["x-ratelimit-remaining"]) == int(first.headers["x-ratelimit-remaining"]) - 1
    assert first.headers["x-ratelimit-resource"] == "core"


def test_rate_limit_endpoint_reports_core_and_is_not_counted(sb):
    g = client(sb)
    g.get_repo(REPO)
    core = g.get_rate_limit().resources.core
    assert (core.limit, core.remaining) == (5000, 4999)
    assert g.get_rate_limit().resources.core.remaining == 4999


def test_conditional_request_answers_304_and_is_not_counted(sb):
    repo = client(sb).get_repo(REPO)
    assert repo.update() is False
    last = sb.requests[-1]
    assert (last.status, last.counted, last.headers.get("if-none-match") is not None) == (304, False, True)
    assert sum(r.counted for r in sb.requests) == 1


def test_paginated_list_follows_link_headers_over_several_pages(sb):
    repo = client(sb, per_page=10).get_repo(REPO)
    for n in range(25):
        repo.create_issue(f"issue {n}")
    titles = [i.title for i in repo.get_issues()]
    assert len(titles) == 25 and titles[0] == "issue 24"
    pages = [r.query.get("page") for r in sb.requests if r.method == "GET" and r.path.endswith("/issues")]
    assert pages == [None, "2", "3"]
    assert 'rel="last"' in get(sb, f"/repos/{REPO}/issues", params={"per_page": 10}).headers["Link"]


def test_recorded_requests_keep_method_path_query_body_and_status(sb):
    client(sb).get_repo(REPO).create_issue("recorded", body="b")
    last = sb.requests[-1]
    assert (last.method, last.path, last.status, last.json()["title"]) == ("POST", f"/repos/{REPO}/issues", 201,
                                                                           "recorded")


def test_secondary_rate_limit_answers_403_with_retry_after_once(sb):
    sb.faults.add("secondary_rate_limit", method="POST", path=r"/pulls$", retry_after=3)
    answer = requests.post(f"{sb.url}/repos/{REPO}/pulls", headers={"Authorization": f"token {sb.token}"}, json={})
    assert (answer.status_code, answer.headers["retry-after"]) == (403, "3")
    assert "secondary rate limit" in answer.json()["message"]
    assert get(sb, f"/repos/{REPO}").status_code == 200


def test_primary_exhaustion_refuses_every_request_until_the_reset(sb):
    sb.faults.add("primary_exhausted", path=f"/repos/{REPO}$", reset_in=1)
    first = get(sb, f"/repos/{REPO}")
    assert (first.status_code, first.headers["x-ratelimit-remaining"]) == (403, "0")
    assert 0 < int(first.headers["x-ratelimit-reset"]) - time.time() <= 2
    assert get(sb, f"/repos/{REPO}/issues").status_code == 403
    assert get(sb, "/rate_limit").json()["resources"]["core"]["remaining"] == 0
    time.sleep(max(0.0, int(first.headers["x-ratelimit-reset"]) - time.time()) + 0.05)
    assert get(sb, f"/repos/{REPO}").status_code == 200


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error_fault_answers_the_status_once(sb, status):
    sb.faults.add("server_error", method="GET", path="/repos/", status=status)
    assert get(sb, f"/repos/{REPO}").status_code == status
    assert get(sb, f"/repos/{REPO}").status_code == 200


def test_slow_fault_delays_the_answer(sb):
    sb.faults.add("slow", seconds=0.3)
    started = time.monotonic()
    assert get(sb, f"/repos/{REPO}").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_drop_after_write_performs_the_write_and_drops_the_connection(sb):
    sb.faults.add("drop_after_write", method="POST", path=r"/issues$")
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{sb.url}/repos/{REPO}/issues", headers={"Authorization": f"token {sb.token}"},
                      json={"title": "written"})
    assert [i["title"] for i in get(sb, f"/repos/{REPO}/issues").json()] == ["written"]
    assert [r.status for r in sb.requests if r.method == "POST"] == [None]


def test_expire_log_url_fault_hands_out_an_already_expired_url(sb):
    sb.faults.add("expire_log_url")
    path = f"/repos/{REPO}/actions/runs/{failed_run_id(sb)}/logs"
    assert requests.get(get(sb, path, allow_redirects=False).headers["Location"]).status_code == 403
    assert requests.get(get(sb, path, allow_redirects=False).headers["Location"]).status_code == 200


def test_not_accessible_fault_answers_403_resource_not_accessible(sb):
    sb.faults.add("not_accessible", method="POST", path="/issues")
    answer = requests.post(f"{sb.url}/repos/{REPO}/issues", headers={"Authorization": f"token {sb.token}"},
                           json={"title": "x"})
    assert (answer.status_code, answer.json()["message"]) == (403, "Resource not accessible by integration")


def test_unknown_fault_kind_is_rejected(sb):
    with pytest.raises(ValueError):
        sb.faults.add("gremlins")


@pytest.fixture(scope="module")
def app_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def test_pygithub_app_auth_mints_an_installation_token_from_a_verified_jwt(sb, app_key):
    sb.add_app(42, app_key[1], installation_id=7)
    auth = Auth.AppAuth(42, app_key[0]).get_installation_auth(7)
    g = Github(base_url=sb.url, auth=auth, seconds_between_requests=0, seconds_between_writes=0)
    assert g.get_repo(REPO).full_name == REPO
    assert [r.path for r in sb.requests[:1]] == ["/app/installations/7/access_tokens"]
    assert sb.requests[-1].headers["authorization"].startswith("token ghs_")


def mint(sb, key, app_id=42, installation=7):
    now = int(time.time())
    token = jwt.encode({"iat": now - 60, "exp": now + 300, "iss": str(app_id)}, key, algorithm="RS256")
    return requests.post(f"{sb.url}/app/installations/{installation}/access_tokens",
                         headers={"Authorization": f"Bearer {token}"})


def test_installation_tokens_expire_and_then_answer_401(sb, app_key):
    sb.add_app(42, app_key[1], installation_id=7, token_ttl=0.3)
    minted = mint(sb, app_key[0])
    assert minted.status_code == 201 and "expires_at" in minted.json()
    token = minted.json()["token"]
    headers = {"Authorization": f"token {token}"}
    assert requests.get(f"{sb.url}/repos/{REPO}", headers=headers).status_code == 200
    time.sleep(0.35)
    assert requests.get(f"{sb.url}/repos/{REPO}", headers=headers).status_code == 401


def test_a_jwt_signed_with_another_key_is_refused(sb, app_key):
    sb.add_app(42, app_key[1], installation_id=7)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert mint(sb, other).status_code == 401
    assert mint(sb, app_key[0], installation=8).status_code == 404


def test_secondary_rate_limit_can_answer_429(sb):
    sb.faults.add("secondary_rate_limit", status=429)
    assert get(sb, f"/repos/{REPO}").status_code == 429


def test_log_host_requests_are_recorded_separately_and_need_no_token(sb):
    location = get(sb, f"/repos/{REPO}/actions/runs/{failed_run_id(sb)}/logs", allow_redirects=False).headers["Location"]
    assert requests.get(location).status_code == 200
    logs = [r for r in sb.requests if r.host == "logs"]
    assert len(logs) == 1 and "authorization" not in logs[0].headers and not logs[0].counted

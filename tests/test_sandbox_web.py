"""The sandbox's html_url links point at the sandbox itself, and each opens a small page in a browser."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from test_sandbox_fixtures import REPO, client, failed_run_id, make_sandbox
from test_sandbox_pulls import fix_branch


@pytest.fixture
def sb():
    sandbox = make_sandbox()
    yield sandbox
    sandbox.stop()


def browse(url: str) -> tuple[int, str, str]:
    """GET `url` as a browser would (no token): (status, content type, body)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"] or "", error.read().decode("utf-8")


def test_a_pull_requests_html_url_is_on_the_sandbox_and_opens_a_page(sb):
    repo = client(sb).get_repo(REPO)
    fix_branch(repo)
    pull = repo.create_pull(base="main", head="agent/fix-1", title="Fix <CI>", body="marker")
    assert pull.html_url == f"{sb.url}/{REPO}/pull/{pull.number}"
    assert pull.url == f"{sb.url}/repos/{REPO}/pulls/{pull.number}"
    status, kind, page = browse(pull.html_url)
    assert status == 200 and kind.startswith("text/html")
    assert "Fix &lt;CI&gt;" in page and "agent/fix-1" in page and "open" in page


def test_issue_run_and_repository_links_open_pages(sb):
    repo = client(sb).get_repo(REPO)
    issue = repo.create_issue(title="CI broke", body="see the run")
    run = repo.get_workflow_run(failed_run_id(sb))
    for link, text in ((issue.html_url, "CI broke"), (run.html_url, "failure"), (repo.html_url, REPO)):
        assert link.startswith(sb.url + "/" + REPO), link
        status, _, page = browse(link)
        assert status == 200 and text in page, link


@pytest.mark.parametrize("path", [f"/{REPO}/pull/999", f"/{REPO}/issues/999", "/No-Such/Repo/pull/1",
                                  f"/{REPO}/actions/runs/999"])
def test_a_page_for_something_that_does_not_exist_is_404(sb, path):
    assert browse(sb.url + path)[0] == 404


def test_the_api_still_needs_a_token_beside_the_pages(sb):
    assert browse(f"{sb.url}/repos/{REPO}")[0] == 401
    assert client(sb).get_repo(REPO).full_name == REPO

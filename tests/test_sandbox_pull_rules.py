"""The sandbox refuses pull requests GitHub refuses, so a late duplicate create cannot open a second PR."""

import requests

from agent.sandbox import Sandbox

REPO = "o/r"


def _api(sb, method, path, **body):
    return requests.request(method, f"{sb.url}/repos/{REPO}{path}", json=body or None, timeout=10,
                            headers={"Authorization": f"token {sb.token}"})


def test_a_pull_request_from_a_branch_already_merged_is_refused_as_no_commits_between():
    with Sandbox(ci_delay=0.01) as sb:
        sb.add_repo(REPO, files={"a.txt": "one\n"})
        sb.commit_file(REPO, "main", "b.txt", "main moves on\n", "unrelated", "dev")
        main_sha = _api(sb, "GET", "/branches/main").json()["commit"]["sha"]
        _api(sb, "POST", "/git/refs", ref="refs/heads/fix", sha=main_sha)
        sb.commit_file(REPO, "fix", "a.txt", "two\n", "fix", "bot")
        sb.commit_file(REPO, "main", "c.txt", "main moves again\n", "unrelated", "dev")
        first = _api(sb, "POST", "/pulls", head="fix", base="main", title="fix")
        head = first.json()["head"]["sha"]
        assert _api(sb, "PUT", f"/pulls/{first.json()['number']}/merge", sha=head).status_code == 200
        again = _api(sb, "POST", "/pulls", head="fix", base="main", title="fix again")
    assert first.status_code == 201
    assert again.status_code == 422 and "No commits between main and fix" in again.text

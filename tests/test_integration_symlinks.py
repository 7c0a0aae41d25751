"""Symlinks: the git tree's mode 120000 reaches the gate, and a fix through a symlink writes nothing (#19)."""

from __future__ import annotations

import pytest
from test_executor_kit import (
    CONTAINER_WF,
    GLIBC_FIXED,
    MEMBER,
    OLD_IMAGE,
    REPO,
    client,
    glibc_logs,
    pipeline,
    pulls,
    repo_files,
    writes,
)

from agent.gate_context import gate_context
from agent.github import Conflict
from agent.models import Action, Edit
from agent.policy import Deny, decide

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""

SHARED = "ci/container.yml"
LINKS = {CONTAINER_WF: "../../" + SHARED, ".github/actions/shared": "../../ci/actions"}
"""The container workflow is a link to a shared file; an action directory is a link elsewhere."""
GIT_WRITES = ("/git/refs", "/git/blobs", "/git/trees", "/git/commits", "/pulls", "/merge")


def linked_repo(sb) -> int:
    """The GLIBC failure, in a repository whose container workflow is a symlink; → the run id."""
    files = repo_files()
    files[SHARED] = files.pop(CONTAINER_WF)
    files["ci/actions/action.yml"] = "runs: {using: composite, steps: []}\n"
    sb.add_repo(REPO, files=files, symlinks=LINKS)
    return sb.add_failed_run(REPO, workflow=CONTAINER_WF, name="CI-Linux-CUDA-Docker", logs=glibc_logs(),
                             fixed_when=GLIBC_FIXED, actor=MEMBER)


def test_git_tree_serves_symlinks_with_mode_120000(sb):
    sb.add_repo(REPO, files={"README.md": "x", SHARED: "on: push\n"}, symlinks=LINKS)
    gh = client(sb)
    sha = gh.branch_sha(REPO, "main")
    tree = gh.request("GET", f"/repos/{REPO}/git/trees/{sha}", {"recursive": 1})[2]["tree"]
    modes = {entry["path"]: entry["mode"] for entry in tree if entry["type"] == "blob"}
    assert modes == {"README.md": "100644", SHARED: "100644", CONTAINER_WF: "120000",
                     ".github/actions/shared": "120000"}
    assert gh.list_symlinks(REPO, "main") == set(LINKS)
    assert gh.list_symlinks(REPO, sha) == set(LINKS)


def test_contents_of_a_link_to_a_file_is_the_file_and_of_a_link_to_a_directory_is_the_link(sb):
    sb.add_repo(REPO, files={SHARED: "on: push\n"}, symlinks=LINKS)
    gh = client(sb)
    assert gh.get_file(REPO, CONTAINER_WF, "main")[0] == "on: push\n"
    link = gh.request("GET", f"/repos/{REPO}/contents/.github/actions/shared", {"ref": "main"})[2]
    assert link["type"] == "symlink" and link["target"] == "../../ci/actions"
    assert gh.get_file(REPO, ".github/actions/shared", "main") is None


def test_repository_without_symlinks_has_none(sb):
    sb.add_repo(REPO, files=repo_files())
    assert client(sb).list_symlinks(REPO, "main") == set()


def test_gate_context_carries_the_symlinks_of_the_runs_commit_and_the_gate_denies_the_fix(sb, home):
    run_id = linked_repo(sb)
    p = pipeline(sb, home)
    run = {**p.gh.get_run(REPO, run_id), "run_attempt": 1}
    plan = p.plan_for(REPO, run, p.diagnose(REPO, run))
    assert plan.action == Action.auto_fix and CONTAINER_WF in {e.path for e in plan.edits}
    ctx = gate_context(p, REPO, run, plan)
    assert ctx.symlinks == set(LINKS)
    decision = decide(plan, ctx)
    assert isinstance(decision, Deny) and decision.rule == "path.refused" and "symlink" in decision.reason


def test_fix_through_a_symlink_is_refused_and_nothing_is_written_to_the_repository(sb, home):
    run_id = linked_repo(sb)
    head = sb.repo(REPO).branches["main"]
    result = pipeline(sb, home).handle_run(REPO, run_id)
    assert result.plan.action == Action.escalate and "symlink" in result.plan.rationale
    assert pulls(sb) == [] and list(sb.repo(REPO).branches) == ["main"]
    assert sb.repo(REPO).branches["main"] == head and OLD_IMAGE in sb.file_text(REPO, SHARED)
    assert not [path for _, path in writes(sb) if any(part in path for part in GIT_WRITES)]
    assert [m for m, _ in writes(sb)] == ["POST"]  # the failure's one issue


@pytest.mark.parametrize("path", [CONTAINER_WF, ".github/actions/shared/action.yml"])
def test_commit_files_refuses_to_write_through_a_symlink(sb, path):
    sb.add_repo(REPO, files={SHARED: "on: push\n"}, symlinks=LINKS)
    gh = client(sb)
    gh.create_branch(REPO, "auto-fix/x", gh.branch_sha(REPO, "main"))
    head = gh.branch_sha(REPO, "auto-fix/x")
    with pytest.raises(Conflict, match="symlink"):
        gh.commit_files(REPO, "auto-fix/x", [Edit(path=path, old=None, new="on: pull_request\n")], "m")
    assert gh.branch_sha(REPO, "auto-fix/x") == head
    assert not [path for _, path in writes(sb) if "/git/blobs" in path or "/git/commits" in path]

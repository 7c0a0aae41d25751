"""Forks: POST /repos/{o}/{r}/forks (the fork is a repository owned by the caller, objects shared with its
parent) and approving a fork pull request's waiting run."""

from __future__ import annotations

from typing import Any

from agent.sandbox import shapes
from agent.sandbox.model import Repo
from agent.sandbox.routing import ApiError, Request, Response, repo_of, route


def share_objects(source: Repo, target: Repo) -> None:
    """Copy the blobs, trees and commits `target` lacks (a fork network shares its object store)."""
    for name in ("blobs", "trees", "commits"):
        have = getattr(target, name)
        for key, value in getattr(source, name).items():
            have.setdefault(key, value)


def fork_repo(sb: Any, parent: Repo, login: str) -> Repo:
    """The caller's fork of `parent` (created with the parent's default branch, else brought up to date)."""
    full_name = f"{login}/{parent.name}"
    fork = sb.state.repos.get(full_name.lower())
    if fork is None:
        fork = Repo(id=sb.state.new_id(), owner=login, name=parent.name, default_branch=parent.default_branch,
                    fork_of=parent.full_name, actions_enabled=False, workflows=dict(parent.workflows))
        fork.branches[parent.default_branch] = parent.branches[parent.default_branch]
        sb.state.repos[full_name.lower()] = fork
    elif fork.fork_of != parent.full_name:
        raise ApiError(422, f"{full_name} already exists and is not a fork of {parent.full_name}")
    share_objects(parent, fork)
    return fork


@route("POST", "/repos/{owner}/{repo}/forks")
def create_fork(sb: Any, req: Request) -> Response:
    parent = repo_of(sb, req)
    fork = fork_repo(sb, parent, req.token.login)
    return Response(202, shapes.repo(sb.url, fork) | {"fork": True, "parent": shapes.repo(sb.url, parent)})


@route("POST", "/repos/{owner}/{repo}/actions/runs/{run_id}/approve")
def approve_run(sb: Any, req: Request) -> Response:
    repo = repo_of(sb, req)
    run = repo.runs.get(req.int_param("run_id"))
    if run is None:
        raise ApiError(404, "Not Found")
    if not run.approval_required or run.latest.conclusion != "action_required":
        raise ApiError(403, "This run is not waiting for approval")
    sb.ci.approve(repo, run)
    return Response(201, {})

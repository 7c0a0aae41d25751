"""Collaborators with their permissions, and the repository's labels."""

from __future__ import annotations

from typing import Any

from agent.sandbox import shapes
from agent.sandbox.routing import ApiError, Request, Response, paged_list, repo_of, require, route

ROLES = ("admin", "maintain", "write", "triage", "read")
LEGACY_PERMISSION = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read"}
"""GitHub's `permission` field folds maintain into write and triage into read; `role_name` keeps them."""


def permission_of(repo: Any, login: str) -> str | None:
    """The login's role in the repository (the owner is admin), or None when not a collaborator."""
    if login.lower() == repo.owner.lower():
        return "admin"
    return repo.collaborators.get(login.lower())


def permissions_map(role: str) -> dict[str, bool]:
    """The `permissions` object of a collaborator with `role`."""
    rank = ROLES.index(role)
    names = ("admin", "maintain", "push", "triage", "pull")
    return {name: rank <= n for n, name in enumerate(names)}


@route("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission")
def collaborator_permission(sb: Any, req: Request) -> dict[str, Any]:
    repo, login = repo_of(sb, req), req.params["username"]
    role = permission_of(repo, login)
    if role is None:
        raise ApiError(404, f"{login} is not a user")
    found = shapes.user(sb.url, login)
    return {"permission": LEGACY_PERMISSION[role], "role_name": role,
            "user": {**found, "permissions": permissions_map(role), "role_name": role}}


@route("GET", "/repos/{owner}/{repo}/collaborators")
def list_collaborators(sb: Any, req: Request) -> Response:
    repo = repo_of(sb, req)
    people = {repo.owner.lower(): "admin", **repo.collaborators}
    items = [{**shapes.user(sb.url, login), "permissions": permissions_map(role), "role_name": role}
             for login, role in sorted(people.items())]
    return paged_list(sb, req, items)


@route("GET", "/repos/{owner}/{repo}/labels")
def list_repo_labels(sb: Any, req: Request) -> Response:
    repo = repo_of(sb, req)
    return paged_list(sb, req, [shapes.label(sb.url, repo, name) for name in repo.labels])


@route("POST", "/repos/{owner}/{repo}/labels")
def create_repo_label(sb: Any, req: Request) -> Response:
    repo, body = repo_of(sb, req), req.json()
    require(body, "name")
    name = str(body["name"])
    if name.lower() in {label.lower() for label in repo.labels}:
        raise ApiError(422, "Validation Failed", [{"resource": "Label", "code": "already_exists", "field": "name"}])
    repo.labels.append(name)
    return Response(201, shapes.label(sb.url, repo, name))

"""Repositories, contents, branches and commits."""

from __future__ import annotations

import base64
import binascii
import difflib
import posixpath
from typing import Any

from agent.sandbox import gitops, shapes
from agent.sandbox.routing import ApiError, Request, Response, paged_list, repo_of, require, route

WORKFLOW_REFUSAL = ("refusing to allow a GitHub App to create or update workflow `{path}` "
                    "without `workflows` permission")
COMMIT_RE = r"/repos/{owner}/{repo}/commits/(?P<ref>(?!.*/(check-runs|status|statuses|check-suites)$).+)"


def check_workflow_permission(req: Request, repo: Any, old_sha: str | None, new_sha: str) -> None:
    """403 when a token without `workflows` changes a file under .github/workflows/."""
    if req.token is None or req.token.workflows:
        return
    path = gitops.touches_workflows(repo, old_sha, new_sha)
    if path:
        raise ApiError(403, WORKFLOW_REFUSAL.format(path=path))


def commit_or_404(repo: Any, ref: str | None) -> str:
    """The sha `ref` names; 404 "No commit found" otherwise."""
    sha = gitops.resolve(repo, ref)
    if sha is None:
        raise ApiError(404, f"No commit found for the ref {ref}")
    return sha


@route("GET", "/user")
def get_user(sb: Any, req: Request) -> dict[str, Any]:
    return shapes.user(sb.url, req.token.login)


@route("GET", "/repos/{owner}/{repo}")
def get_repo(sb: Any, req: Request) -> dict[str, Any]:
    return shapes.repo(sb.url, repo_of(sb, req))


@route("GET", "/repos/{owner}/{repo}/contents")
@route("GET", "/repos/{owner}/{repo}/contents/{path*}")
def get_contents(sb: Any, req: Request) -> Any:
    repo = repo_of(sb, req)
    ref = req.query.get("ref") or repo.default_branch
    sha = commit_or_404(repo, ref)
    path = req.params.get("path", "").strip("/")
    tree = repo.commits[sha].tree
    if path in tree and path in repo.symlinks:
        return _symlink_content(sb, repo, tree, path, ref)
    if path in tree:
        return shapes.content(sb.url, repo, path, tree[path], repo.blobs[tree[path]], ref)
    prefix = f"{path}/" if path else ""
    names = sorted({p[len(prefix):].split("/", 1)[0] for p in tree if p.startswith(prefix)})
    if not names:
        raise ApiError(404, "Not Found")
    return [_listing_entry(sb, repo, tree, prefix + name, ref) for name in names]


def _symlink_content(sb: Any, repo: Any, tree: dict[str, str], path: str, ref: str) -> dict[str, Any]:
    """Like GitHub: a link to a file in the repository answers with that file, any other link describes itself."""
    target = repo.blobs[tree[path]].decode("utf-8", "replace")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    if resolved in tree and resolved not in repo.symlinks and not resolved.startswith("../"):
        return shapes.content(sb.url, repo, resolved, tree[resolved], repo.blobs[tree[resolved]], ref)
    entry = shapes.content(sb.url, repo, path, tree[path], repo.blobs[tree[path]], ref, with_data=False)
    entry.update({"type": "symlink", "target": target})
    return entry


def _listing_entry(sb: Any, repo: Any, tree: dict[str, str], path: str, ref: str) -> dict[str, Any]:
    if path in tree:
        return shapes.content(sb.url, repo, path, tree[path], repo.blobs[tree[path]], ref, with_data=False)
    url = f"{sb.url}/repos/{repo.full_name}/contents/{path}?ref={ref}"
    return {"type": "dir", "name": path.rsplit("/", 1)[-1], "path": path, "sha": None, "size": 0,
            "url": url, "_links": {"self": url}}


def _branch_for_write(repo: Any, body: dict[str, Any]) -> str:
    branch = body.get("branch") or repo.default_branch
    if branch not in repo.branches:
        raise ApiError(404, f"Branch {branch} not found")
    return branch


def _check_blob_sha(repo: Any, branch: str, path: str, body: dict[str, Any]) -> str | None:
    """The current blob sha of `path`; 422 when it exists and `sha` is missing, 409 when it differs."""
    current = repo.commits[repo.branches[branch]].tree.get(path)
    if current is not None:
        require(body, "sha")
        if body["sha"] != current:
            raise ApiError(409, f"{path} does not match {body['sha']}")
    return current


@route("PUT", "/repos/{owner}/{repo}/contents/{path*}")
def put_contents(sb: Any, req: Request) -> Response:
    repo, body, path = repo_of(sb, req), req.json(), req.params["path"].strip("/")
    require(body, "message")
    if "content" not in body:
        require(body, "content")
    try:
        data = base64.b64decode(body["content"], validate=False)
    except (binascii.Error, TypeError) as exc:
        raise ApiError(422, "content is not valid Base64") from exc
    branch = _branch_for_write(repo, body)
    existed = _check_blob_sha(repo, branch, path, body) is not None
    commit = _commit_checked(sb, req, repo, branch, {path: data}, body["message"])
    content = shapes.content(sb.url, repo, path, commit.tree[path], data, branch, with_data=False)
    return Response(200 if existed else 201, {"content": content, "commit": shapes.git_commit(sb.url, repo, commit)})


@route("DELETE", "/repos/{owner}/{repo}/contents/{path*}")
def delete_contents(sb: Any, req: Request) -> dict[str, Any]:
    repo, body, path = repo_of(sb, req), req.json(), req.params["path"].strip("/")
    require(body, "message", "sha")
    branch = _branch_for_write(repo, body)
    if _check_blob_sha(repo, branch, path, body) is None:
        raise ApiError(404, "Not Found")
    commit = _commit_checked(sb, req, repo, branch, {path: None}, body["message"])
    return {"content": None, "commit": shapes.git_commit(sb.url, repo, commit)}


def _commit_checked(sb: Any, req: Request, repo: Any, branch: str, changes: dict[str, bytes | None],
                    message: str) -> Any:
    """Commit `changes` on `branch` after the workflow-permission check, then run CI."""
    before = repo.branches[branch]
    tree = gitops.apply_changes(repo, repo.commits[before].tree, changes)
    commit = gitops.make_commit(sb.state, repo, tree, [before], message, req.token.login)
    check_workflow_permission(req, repo, before, commit.sha)
    repo.branches[branch] = commit.sha
    sb.ci.on_push(repo, branch, before, commit.sha, req.token.login)
    return commit


@route("GET", "/repos/{owner}/{repo}/branches")
def list_branches(sb: Any, req: Request) -> Response:
    repo = repo_of(sb, req)
    items = [{"name": name, "commit": {"sha": sha, "url": f"{sb.url}/repos/{repo.full_name}/commits/{sha}"},
              "protected": False} for name, sha in sorted(repo.branches.items())]
    return paged_list(sb, req, items)


@route("GET", "/repos/{owner}/{repo}/branches/{branch*}")
def get_branch(sb: Any, req: Request) -> dict[str, Any]:
    repo = repo_of(sb, req)
    if req.params["branch"] not in repo.branches:
        raise ApiError(404, "Branch not found")
    return shapes.branch(sb.url, repo, req.params["branch"])


@route("GET", COMMIT_RE)
def get_commit(sb: Any, req: Request) -> dict[str, Any]:
    repo = repo_of(sb, req)
    commit = repo.commits[commit_or_404(repo, req.params["ref"])]
    out = shapes.commit(sb.url, repo, commit)
    parent = repo.commits[commit.parents[0]].tree if commit.parents and commit.parents[0] in repo.commits else {}
    for entry in out["files"]:
        entry.update(file_patch(repo, parent.get(entry["filename"]), commit.tree.get(entry["filename"])))
    return out


def file_patch(repo: Any, old_blob: str | None, new_blob: str | None) -> dict[str, Any]:
    """GitHub's `patch` (hunks only, no headers), `additions` and `deletions` between two blobs."""
    old, new = (repo.blobs.get(b, b"").decode("utf-8", "replace") if b else "" for b in (old_blob, new_blob))
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm=""))[2:]
    return {"patch": "\n".join(lines), "additions": sum(1 for x in lines if x.startswith("+")),
            "deletions": sum(1 for x in lines if x.startswith("-")), "changes": len(lines)}


@route("GET", "/repos/{owner}/{repo}/commits")
def list_commits(sb: Any, req: Request) -> Response:
    repo = repo_of(sb, req)
    head = commit_or_404(repo, req.query.get("sha"))
    path = req.query.get("path")
    shas = gitops.ancestors(repo, head)
    if path:
        shas = [s for s in shas if _touches(repo, s, path)]
    return paged_list(sb, req, [shapes.commit(sb.url, repo, repo.commits[s]) for s in shas])


def _touches(repo: Any, sha: str, path: str) -> bool:
    commit = repo.commits[sha]
    parent = repo.commits[commit.parents[0]].tree if commit.parents else {}
    return any(p == path or p.startswith(path.rstrip("/") + "/") for p in gitops.changed_paths(parent, commit.tree))


@route("GET", "/orgs/{org}/repos")
def org_repos(sb: Any, req: Request) -> Response:
    """The organisation's repositories (owner matches, case-insensitively), by name."""
    org = req.params["org"].lower()
    repos = sorted((r for r in sb.state.repos.values() if r.owner.lower() == org), key=lambda r: r.full_name.lower())
    return paged_list(sb, req, [shapes.repo(sb.url, r) for r in repos])

"""The git data API: refs, blobs, trees and commits."""

from __future__ import annotations

import base64
from typing import Any

from agent.sandbox import gitops, shapes
from agent.sandbox.api_repos import check_workflow_permission
from agent.sandbox.routing import ApiError, Request, Response, paged_list, repo_of, require, route


def _branch_name(ref: str) -> str:
    """`heads/x`, `refs/heads/x` → x; 422 for anything but a branch."""
    name = ref.removeprefix("refs/")
    if not name.startswith("heads/") or name == "heads/":
        raise ApiError(422, "Reference update failed" if ref.startswith("refs/") else "Not Found")
    return name.removeprefix("heads/")


@route("GET", "/repos/{owner}/{repo}/git/refs")
@route("GET", "/repos/{owner}/{repo}/git/matching-refs/{ref*}")
def list_refs(sb: Any, req: Request) -> Response:
    repo = repo_of(sb, req)
    prefix = "refs/" + req.params.get("ref", "")
    items = [shapes.ref(sb.url, repo, name, sha) for name, sha in sorted(repo.branches.items())
             if f"refs/heads/{name}".startswith(prefix)]
    return paged_list(sb, req, items)


@route("GET", "/repos/{owner}/{repo}/git/ref/{ref*}")
@route("GET", "/repos/{owner}/{repo}/git/refs/{ref*}")
def get_ref(sb: Any, req: Request) -> Any:
    repo, ref = repo_of(sb, req), req.params["ref"]
    name = ref.removeprefix("heads/")
    if ref.startswith("heads/") and name in repo.branches:
        return shapes.ref(sb.url, repo, name, repo.branches[name])
    if req.path.split("/git/", 1)[1].startswith("refs/"):
        items = [shapes.ref(sb.url, repo, n, s) for n, s in sorted(repo.branches.items())
                 if f"heads/{n}".startswith(ref)]
        if items:
            return items
    raise ApiError(404, "Not Found")


@route("POST", "/repos/{owner}/{repo}/git/refs")
def create_ref(sb: Any, req: Request) -> Response:
    repo, body = repo_of(sb, req), req.json()
    require(body, "ref", "sha")
    if body["ref"].count("/") < 2:
        raise ApiError(422, "Reference name must contain at least three slash-separated components.")
    name = _branch_name(body["ref"])
    if body["sha"] not in repo.commits:
        raise ApiError(422, "Object does not exist")
    if name in repo.branches:
        raise ApiError(422, "Reference already exists")
    parents = repo.commits[body["sha"]].parents
    check_workflow_permission(req, repo, parents[0] if parents else None, body["sha"])
    repo.branches[name] = body["sha"]
    sb.ci.on_push(repo, name, None, body["sha"], req.token.login)
    return Response(201, shapes.ref(sb.url, repo, name, body["sha"]))


@route("PATCH", "/repos/{owner}/{repo}/git/refs/{ref*}")
def update_ref(sb: Any, req: Request) -> dict[str, Any]:
    repo, body = repo_of(sb, req), req.json()
    require(body, "sha")
    name = _branch_name(req.params["ref"])
    if name not in repo.branches:
        raise ApiError(422, "Reference does not exist")
    before, after = repo.branches[name], body["sha"]
    if after not in repo.commits:
        raise ApiError(422, "Object does not exist")
    if not body.get("force") and before not in gitops.ancestors(repo, after):
        raise ApiError(422, "Update is not a fast forward")
    check_workflow_permission(req, repo, before, after)
    repo.branches[name] = after
    if after != before:
        sb.ci.on_push(repo, name, before, after, req.token.login)
    return shapes.ref(sb.url, repo, name, after)


@route("DELETE", "/repos/{owner}/{repo}/git/refs/{ref*}")
def delete_ref(sb: Any, req: Request) -> Response:
    repo = repo_of(sb, req)
    name = _branch_name(req.params["ref"])
    if name not in repo.branches:
        raise ApiError(422, "Reference does not exist")
    del repo.branches[name]
    return Response(204, None)


@route("POST", "/repos/{owner}/{repo}/git/blobs")
def create_blob(sb: Any, req: Request) -> Response:
    repo, body = repo_of(sb, req), req.json()
    if "content" not in body:
        require(body, "content")
    raw = body["content"]
    data = base64.b64decode(raw) if body.get("encoding") == "base64" else raw.encode("utf-8")
    sha = gitops.store_blob(repo, data)
    return Response(201, {"sha": sha, "url": f"{sb.url}/repos/{repo.full_name}/git/blobs/{sha}"})


@route("GET", "/repos/{owner}/{repo}/git/blobs/{sha}")
def get_blob(sb: Any, req: Request) -> dict[str, Any]:
    repo, sha = repo_of(sb, req), req.params["sha"]
    if sha not in repo.blobs:
        raise ApiError(404, "Not Found")
    data = repo.blobs[sha]
    return {"sha": sha, "node_id": f"B_{sha}", "size": len(data), "encoding": "base64",
            "content": base64.encodebytes(data).decode("ascii"),
            "url": f"{sb.url}/repos/{repo.full_name}/git/blobs/{sha}"}


@route("POST", "/repos/{owner}/{repo}/git/trees")
def create_tree(sb: Any, req: Request) -> Response:
    repo, body = repo_of(sb, req), req.json()
    base = body.get("base_tree")
    tree = dict(_tree_of(repo, base)) if base else {}
    for entry in body.get("tree") or []:
        path = entry["path"].strip("/")
        if entry.get("mode") == "120000":
            repo.symlinks.add(path)
        if "content" in entry and entry["content"] is not None:
            tree[path] = gitops.store_blob(repo, entry["content"].encode("utf-8"))
        elif entry.get("sha") is None:
            for existing in [p for p in tree if p == path or p.startswith(path + "/")]:
                del tree[existing]
        elif entry["sha"] in repo.blobs:
            tree[path] = entry["sha"]
        else:
            raise ApiError(422, f"tree.sha {entry['sha']} is not a valid blob")
    sha = gitops.store_tree(repo, tree)
    return Response(201, _tree_json(sb, repo, sha, tree, recursive=True))


def _tree_of(repo: Any, ref: str) -> dict[str, str]:
    """A flat tree by tree sha, commit sha or branch; 404 otherwise."""
    if ref in repo.trees:
        return repo.trees[ref]
    sha = gitops.resolve(repo, ref)
    if sha is None:
        raise ApiError(404, "Not Found")
    return repo.commits[sha].tree


def _tree_json(sb: Any, repo: Any, sha: str, tree: dict[str, str], recursive: bool) -> dict[str, Any]:
    url = f"{sb.url}/repos/{repo.full_name}/git"
    dirs = sorted({"/".join(p.split("/")[:i]) for p in tree for i in range(1, p.count("/") + 1)})
    entries = [{"path": d, "mode": "040000", "type": "tree",
                "sha": gitops.store_tree(repo, {p[len(d) + 1:]: s for p, s in tree.items() if p.startswith(d + "/")})}
               for d in dirs if recursive or "/" not in d]
    entries += [{"path": p, "mode": "120000" if p in repo.symlinks else "100644", "type": "blob", "sha": s,
                 "size": len(repo.blobs[s])} for p, s in sorted(tree.items()) if recursive or "/" not in p]
    for entry in entries:
        entry["url"] = f"{url}/{entry['type']}s/{entry['sha']}"
    entries.sort(key=lambda e: e["path"])
    return {"sha": sha, "url": f"{url}/trees/{sha}", "tree": entries, "truncated": False}


@route("GET", "/repos/{owner}/{repo}/git/trees/{ref*}")
def get_tree(sb: Any, req: Request) -> dict[str, Any]:
    repo = repo_of(sb, req)
    tree = _tree_of(repo, req.params["ref"])
    recursive = req.query.get("recursive", "") not in ("", "0", "false")
    return _tree_json(sb, repo, gitops.store_tree(repo, tree), tree, recursive)


@route("POST", "/repos/{owner}/{repo}/git/commits")
def create_commit(sb: Any, req: Request) -> Response:
    repo, body = repo_of(sb, req), req.json()
    require(body, "message", "tree")
    if body["tree"] not in repo.trees:
        raise ApiError(422, "Tree SHA does not exist")
    parents = body.get("parents") or []
    if any(p not in repo.commits for p in parents):
        raise ApiError(422, "Parent SHA does not exist or is not a commit object")
    author = (body.get("author") or {}).get("name") or req.token.login
    commit = gitops.make_commit(sb.state, repo, repo.trees[body["tree"]], parents, body["message"], author)
    return Response(201, shapes.git_commit(sb.url, repo, commit))


@route("GET", "/repos/{owner}/{repo}/git/commits/{sha}")
def get_git_commit(sb: Any, req: Request) -> dict[str, Any]:
    repo, sha = repo_of(sb, req), req.params["sha"]
    if sha not in repo.commits:
        raise ApiError(404, "Not Found")
    return shapes.git_commit(sb.url, repo, repo.commits[sha])

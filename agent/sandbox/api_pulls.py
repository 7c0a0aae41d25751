"""Pull requests: create, list, get, update/close, merge with the head-sha guard."""

from __future__ import annotations

from typing import Any

from agent.sandbox import gitops, shapes
from agent.sandbox.api_forks import share_objects
from agent.sandbox.api_repos import check_workflow_permission, file_patch
from agent.sandbox.model import Issue, Pull, now_iso
from agent.sandbox.routing import ApiError, Request, Response, paged_list, repo_of, require, route


def pull_or_404(repo: Any, req: Request) -> Pull:
    pull = repo.pulls.get(req.int_param("number"))
    if pull is None:
        raise ApiError(404, "Not Found")
    return pull


def _branch_of(spec: str) -> str:
    """`owner:branch` or `branch` → branch (same-repository heads only)."""
    return spec.split(":", 1)[1] if ":" in spec else spec


@route("POST", "/repos/{owner}/{repo}/pulls")
def create_pull(sb: Any, req: Request) -> Response:
    repo, body = repo_of(sb, req), req.json()
    require(body, "head", "base")
    head, base = _branch_of(body["head"]), body["base"]
    fork = head_fork(sb, repo, body["head"])
    if fork is not None:
        return create_fork_pull(sb, req, repo, fork, head, body)
    if head not in repo.branches or base not in repo.branches:
        raise ApiError(422, "Validation Failed", [{"resource": "PullRequest", "field": "head" if head not in
                                                   repo.branches else "base", "code": "invalid"}])
    if any(p.head == head and p.base == base and repo.issues[n].state == "open" for n, p in repo.pulls.items()):
        raise ApiError(422, "Validation Failed", [{"resource": "PullRequest", "code": "custom",
                                                   "message": f"A pull request already exists for {repo.owner}:{head}."}])
    if repo.branches[head] in gitops.ancestors(repo, repo.branches[base]):  # nothing the base lacks, as on GitHub
        raise ApiError(422, "Validation Failed", [{"resource": "PullRequest", "code": "custom",
                                                   "message": f"No commits between {base} and {head}"}])
    require(body, "title")
    number = repo.next_number
    repo.next_number += 1
    repo.issues[number] = Issue(id=sb.state.new_id(), number=number, title=body["title"], body=body.get("body"),
                                user=req.token.login, is_pull=True)
    pull = Pull(id=sb.state.new_id(), number=number, head=head, base=base, head_sha=repo.branches[head],
                base_sha=repo.branches[base], draft=bool(body.get("draft")))
    repo.pulls[number] = pull
    refresh_mergeable(repo, pull)
    sb.ci.pull_event(repo, pull, "opened", req.token.login)
    return Response(201, shapes.pull(sb.url, repo, pull))


def head_fork(sb: Any, repo: Any, spec: str) -> Any:
    """The fork named by `login:branch` when login is not the repository's owner (None: a same-repo head)."""
    owner = spec.split(":", 1)[0] if ":" in spec else repo.owner
    if owner.lower() == repo.owner.lower():
        return None
    fork = sb.state.repos.get(f"{owner}/{repo.name}".lower())
    if fork is None or (fork.fork_of or "").lower() != repo.full_name.lower():
        raise ApiError(422, "Validation Failed", [{"resource": "PullRequest", "field": "head", "code": "invalid"}])
    return fork


def create_fork_pull(sb: Any, req: Request, repo: Any, fork: Any, head: str, body: dict[str, Any]) -> Response:
    """A pull request from a fork's branch: its commits join the network's objects; CI runs it as a fork PR."""
    if head not in fork.branches or body["base"] not in repo.branches:
        raise ApiError(422, "Validation Failed", [{"resource": "PullRequest", "field": "head", "code": "invalid"}])
    require(body, "title")
    share_objects(fork, repo)
    number = repo.next_number
    repo.next_number += 1
    repo.issues[number] = Issue(id=sb.state.new_id(), number=number, title=body["title"], body=body.get("body"),
                                user=req.token.login, is_pull=True)
    pull = Pull(id=sb.state.new_id(), number=number, head=head, base=body["base"], head_sha=fork.branches[head],
                base_sha=repo.branches[body["base"]], head_repo=fork.full_name, maintainer_can_modify=False)
    repo.pulls[number] = pull
    sb.ci.pull_event(repo, pull, "opened", req.token.login)
    return Response(201, shapes.pull(sb.url, repo, pull))


def refresh_mergeable(repo: Any, pull: Pull) -> None:
    """Recompute `mergeable` from a trial three-way merge of the current heads."""
    if pull.merged or repo.issues[pull.number].state != "open" or pull.head_repo:
        return
    head, base = repo.branches.get(pull.head), repo.branches.get(pull.base)
    if head is None or base is None:
        pull.mergeable = False
        return
    pull.head_sha, pull.base_sha = head, base
    clean = gitops.three_way(repo, gitops.merge_base(repo, base, head), base, head) is not None
    pull.mergeable = clean if pull.forced_mergeable is None else pull.forced_mergeable


@route("GET", "/repos/{owner}/{repo}/pulls")
def list_pulls(sb: Any, req: Request) -> Response:
    repo, q = repo_of(sb, req), req.query
    state = q.get("state", "open")
    items = []
    for number in sorted(repo.pulls, reverse=True):
        pull, issue = repo.pulls[number], repo.issues[number]
        if state != "all" and issue.state != state:
            continue
        owner = pull.head_repo.split("/")[0] if pull.head_repo else repo.owner
        if q.get("head") and f"{owner}:{pull.head}".lower() != q["head"].lower() and q["head"] != pull.head:
            continue
        if q.get("base") and pull.base != q["base"]:
            continue
        refresh_mergeable(repo, pull)
        items.append(shapes.pull(sb.url, repo, pull))
    return paged_list(sb, req, items)


@route("GET", "/repos/{owner}/{repo}/pulls/{number}")
def get_pull(sb: Any, req: Request) -> dict[str, Any]:
    repo = repo_of(sb, req)
    pull = pull_or_404(repo, req)
    refresh_mergeable(repo, pull)
    return shapes.pull(sb.url, repo, pull)


@route("GET", "/repos/{owner}/{repo}/pulls/{number}/files")
def list_pull_files(sb: Any, req: Request) -> Response:
    """The files a pull request changes (head vs its merge base with the base branch), with patches."""
    repo = repo_of(sb, req)
    pull = pull_or_404(repo, req)
    head = pull.head_sha if pull.merged or pull.head_repo else repo.branches.get(pull.head, pull.head_sha)
    base = gitops.merge_base(repo, repo.branches.get(pull.base, pull.base_sha), head) or pull.base_sha
    old, new = repo.commits[base].tree, repo.commits[head].tree
    items = [{"filename": path, "status": "added" if path not in old else "removed" if path not in new else "modified",
              "sha": new.get(path), **file_patch(repo, old.get(path), new.get(path))}
             for path in sorted(gitops.changed_paths(old, new))]
    return paged_list(sb, req, items)


@route("PATCH", "/repos/{owner}/{repo}/pulls/{number}")
def update_pull(sb: Any, req: Request) -> dict[str, Any]:
    repo, body = repo_of(sb, req), req.json()
    pull = pull_or_404(repo, req)
    issue = repo.issues[pull.number]
    for key in ("title", "body"):
        if key in body:
            setattr(issue, key, body[key])
    if body.get("base"):
        pull.base = body["base"]
    if body.get("state") in ("open", "closed") and body["state"] != issue.state and not pull.merged:
        set_state(issue, body["state"])
        refresh_mergeable(repo, pull)
        sb.ci.pull_event(repo, pull, "closed" if body["state"] == "closed" else "reopened", req.token.login)
    issue.updated_at = now_iso()
    return shapes.pull(sb.url, repo, pull)


def set_state(issue: Issue, state: str, reason: str | None = None) -> None:
    """Open or close an issue (or the issue half of a pull request)."""
    issue.state = state
    issue.closed_at = now_iso() if state == "closed" else None
    issue.state_reason = (reason or "completed") if state == "closed" else ("reopened" if reason else None)


@route("GET", "/repos/{owner}/{repo}/pulls/{number}/merge")
def is_merged(sb: Any, req: Request) -> Response:
    pull = pull_or_404(repo_of(sb, req), req)
    if not pull.merged:
        raise ApiError(404, "Not Found")
    return Response(204, None)


@route("PUT", "/repos/{owner}/{repo}/pulls/{number}/merge")
def merge_pull(sb: Any, req: Request) -> dict[str, Any]:
    repo, body = repo_of(sb, req), req.json()
    pull = pull_or_404(repo, req)
    refresh_mergeable(repo, pull)
    if pull.merged or repo.issues[pull.number].state != "open" or not pull.mergeable:
        raise ApiError(405, "Pull Request is not mergeable")
    head, base = repo.branches[pull.head], repo.branches[pull.base]
    if body.get("sha") and body["sha"] != head:
        raise ApiError(409, "Head branch was modified. Review and try the merge again.")
    merged_tree = gitops.three_way(repo, gitops.merge_base(repo, base, head), base, head)
    if merged_tree is None:
        raise ApiError(405, "Pull Request is not mergeable")
    method = body.get("merge_method") or "merge"
    title = body.get("commit_title") or f"Merge pull request #{pull.number} from {repo.owner}/{pull.head}"
    parents = [base] if method in ("squash", "rebase") else [base, head]
    commit = gitops.make_commit(sb.state, repo, merged_tree, parents, title, req.token.login)
    check_workflow_permission(req, repo, base, commit.sha)
    repo.branches[pull.base] = commit.sha
    pull.merged, pull.merged_at, pull.merge_commit_sha, pull.head_sha = True, now_iso(), commit.sha, head
    set_state(repo.issues[pull.number], "closed")
    sb.ci.pull_event(repo, pull, "closed", req.token.login)
    sb.ci.on_push(repo, pull.base, base, commit.sha, req.token.login)
    return {"sha": commit.sha, "merged": True, "message": "Pull Request successfully merged"}

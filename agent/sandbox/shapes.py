"""GitHub's JSON shapes for the sandbox's objects.

`base` is the sandbox's root URL: API `url`s are `{base}/repos/...` (as on api.github.com) and web
`html_url`s are `{base}/OWNER/NAME/...` (as on github.com), which the sandbox serves as small pages.
"""

from __future__ import annotations

import base64
import zlib
from typing import Any

from agent.sandbox.model import Actor, Commit, Issue, Pull, Repo, Run, tree_sha


def user(base: str, login: str, association: str | None = None) -> dict[str, Any]:
    """A user object; bots get type Bot."""
    out = {"login": login, "id": zlib.crc32(login.encode("utf-8")), "node_id": f"U_{login}",
           "type": "Bot" if login.endswith("[bot]") else "User", "site_admin": False,
           "url": f"{base}/users/{login}", "html_url": f"{base}/{login}",
           "avatar_url": f"https://avatars.githubusercontent.com/{login}"}
    if association:
        out["author_association"] = association
    return out


def actor(base: str, who: Actor) -> dict[str, Any]:
    """A run's actor with its author association."""
    return user(base, who.login, who.association)


def repo(base: str, r: Repo) -> dict[str, Any]:
    """The repository object of GET /repos/{o}/{r}."""
    url = f"{base}/repos/{r.full_name}"
    return {"id": r.id, "node_id": f"R_{r.id}", "name": r.name, "full_name": r.full_name,
            "owner": user(base, r.owner), "private": r.private, "fork": r.fork_of is not None, "archived": False,
            "disabled": False, "visibility": "private" if r.private else "public",
            "default_branch": r.default_branch, "url": url, "html_url": f"{base}/{r.full_name}",
            "clone_url": f"{base}/{r.full_name}.git", "git_url": f"git://github.com/{r.full_name}.git",
            "pulls_url": f"{url}/pulls{{/number}}", "issues_url": f"{url}/issues{{/number}}",
            "permissions": {"admin": True, "maintain": True, "push": True, "triage": True, "pull": True},
            "allow_merge_commit": True, "allow_squash_merge": True, "allow_rebase_merge": True,
            "has_issues": True, "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z",
            "pushed_at": "2020-01-01T00:00:00Z"}


def commit(base: str, r: Repo, c: Commit) -> dict[str, Any]:
    """A commit object of GET /repos/{o}/{r}/commits/{sha}."""
    url = f"{base}/repos/{r.full_name}"
    person = {"name": c.author, "email": f"{c.author}@users.noreply.github.com", "date": c.date}
    parent_tree = r.commits[c.parents[0]].tree if c.parents and c.parents[0] in r.commits else {}
    files = [{"filename": p, "status": _file_status(parent_tree, c.tree, p), "sha": c.tree.get(p)}
             for p in sorted(set(parent_tree) | set(c.tree)) if parent_tree.get(p) != c.tree.get(p)]
    return {"sha": c.sha, "node_id": f"C_{c.sha}", "url": f"{url}/commits/{c.sha}",
            "html_url": f"{base}/{r.full_name}/commit/{c.sha}",
            "commit": {"message": c.message, "author": person, "committer": person,
                       "tree": {"sha": tree_sha(c.tree), "url": f"{url}/git/trees/{tree_sha(c.tree)}"},
                       "url": f"{url}/git/commits/{c.sha}", "comment_count": 0},
            "author": user(base, c.author), "committer": user(base, c.author),
            "parents": [{"sha": p, "url": f"{url}/commits/{p}"} for p in c.parents], "files": files}


def git_commit(base: str, r: Repo, c: Commit) -> dict[str, Any]:
    """A git commit object of the git data API."""
    url = f"{base}/repos/{r.full_name}/git"
    person = {"name": c.author, "email": f"{c.author}@users.noreply.github.com", "date": c.date}
    return {"sha": c.sha, "node_id": f"C_{c.sha}", "url": f"{url}/commits/{c.sha}",
            "html_url": f"{base}/{r.full_name}/commit/{c.sha}", "message": c.message,
            "author": person, "committer": person,
            "tree": {"sha": tree_sha(c.tree), "url": f"{url}/trees/{tree_sha(c.tree)}"},
            "parents": [{"sha": p, "url": f"{url}/commits/{p}"} for p in c.parents],
            "verification": {"verified": False, "reason": "unsigned"}}


def _file_status(old: dict[str, str], new: dict[str, str], path: str) -> str:
    if path not in old:
        return "added"
    return "removed" if path not in new else "modified"


def content(base: str, r: Repo, path: str, blob: str, data: bytes, ref: str, with_data: bool = True) -> dict[str, Any]:
    """A file object of GET /contents/{path} (without `content` in listings and write answers)."""
    url = f"{base}/repos/{r.full_name}/contents/{path}?ref={ref}"
    out = {"type": "file", "size": len(data), "name": path.rsplit("/", 1)[-1], "path": path, "sha": blob,
           "url": url, "git_url": f"{base}/repos/{r.full_name}/git/blobs/{blob}",
           "html_url": f"{base}/{r.full_name}/blob/{ref}/{path}", "download_url": None, "_links": {"self": url}}
    if with_data:
        out.update(encoding="base64", content=base64.encodebytes(data).decode("ascii"))
    return out


def ref(base: str, r: Repo, name: str, sha: str) -> dict[str, Any]:
    """A git ref object."""
    full = name if name.startswith("refs/") else f"refs/heads/{name}"
    return {"ref": full, "node_id": f"REF_{full}", "url": f"{base}/repos/{r.full_name}/git/{full}",
            "object": {"type": "commit", "sha": sha, "url": f"{base}/repos/{r.full_name}/git/commits/{sha}"}}


def branch(base: str, r: Repo, name: str) -> dict[str, Any]:
    """A branch object of GET /branches/{b}."""
    sha = r.branches[name]
    url = f"{base}/repos/{r.full_name}/branches/{name}"
    return {"name": name, "commit": commit(base, r, r.commits[sha]), "protected": False,
            "_links": {"self": url, "html": f"{base}/{r.full_name}/tree/{name}"},
            "protection_url": f"{url}/protection"}


def label(base: str, r: Repo, name: str) -> dict[str, Any]:
    return {"id": zlib.crc32(name.encode("utf-8")), "node_id": f"L_{name}", "name": name, "color": "ededed",
            "default": False, "description": None, "url": f"{base}/repos/{r.full_name}/labels/{name}"}


def issue(base: str, r: Repo, i: Issue) -> dict[str, Any]:
    """An issue object (pull requests carry a `pull_request` key, like GitHub's)."""
    url = f"{base}/repos/{r.full_name}/issues/{i.number}"
    out = {"id": i.id, "node_id": f"I_{i.id}", "number": i.number, "title": i.title, "body": i.body,
           "user": user(base, i.user), "state": i.state, "state_reason": i.state_reason, "locked": False,
           "labels": [label(base, r, name) for name in i.labels],
           "assignees": [user(base, a) for a in i.assignees],
           "assignee": user(base, i.assignees[0]) if i.assignees else None,
           "comments": len(i.comments), "url": url, "repository_url": f"{base}/repos/{r.full_name}",
           "comments_url": f"{url}/comments", "labels_url": f"{url}/labels{{/name}}",
           "html_url": f"{base}/{r.full_name}/{'pull' if i.is_pull else 'issues'}/{i.number}",
           "created_at": i.created_at, "updated_at": i.updated_at, "closed_at": i.closed_at,
           "author_association": "NONE"}
    if i.is_pull:
        out["pull_request"] = {"url": f"{base}/repos/{r.full_name}/pulls/{i.number}",
                               "html_url": out["html_url"], "merged_at": r.pulls[i.number].merged_at}
    return out


def comment(base: str, r: Repo, number: int, c: Any) -> dict[str, Any]:
    url = f"{base}/repos/{r.full_name}/issues/comments/{c.id}"
    return {"id": c.id, "node_id": f"IC_{c.id}", "body": c.body, "user": user(base, c.user), "url": url,
            "html_url": f"{base}/{r.full_name}/issues/{number}#issuecomment-{c.id}",
            "issue_url": f"{base}/repos/{r.full_name}/issues/{number}",
            "created_at": c.created_at, "updated_at": c.created_at, "author_association": "NONE"}


def pull(base: str, r: Repo, p: Pull) -> dict[str, Any]:
    """A pull request object."""
    i = r.issues[p.number]
    out = issue(base, r, i)
    out.pop("pull_request")
    url = f"{base}/repos/{r.full_name}/pulls/{p.number}"
    head_sha = r.branches.get(p.head, p.head_sha) if i.state == "open" and not p.head_repo else p.head_sha
    out.update({"url": url, "issue_url": f"{base}/repos/{r.full_name}/issues/{p.number}",
                "html_url": f"{base}/{r.full_name}/pull/{p.number}", "diff_url": f"{base}/{r.full_name}/pull/{p.number}.diff",
                "head": _fork_end(base, r, p, head_sha) if p.head_repo else _pr_end(base, r, p.head, head_sha),
                "base": _pr_end(base, r, p.base, p.base_sha),
                "merged": p.merged, "merged_at": p.merged_at, "merge_commit_sha": p.merge_commit_sha,
                "mergeable": p.mergeable if i.state == "open" else None,
                "mergeable_state": "clean" if p.mergeable else "dirty", "draft": p.draft,
                "rebaseable": p.mergeable, "maintainer_can_modify": p.maintainer_can_modify,
                "commits_url": f"{url}/commits", "statuses_url": f"{base}/repos/{r.full_name}/statuses/{head_sha}",
                "requested_reviewers": [], "requested_teams": [], "merged_by": None})
    return out


def _pr_end(base: str, r: Repo, branch_name: str, sha: str) -> dict[str, Any]:
    return {"label": f"{r.owner}:{branch_name}", "ref": branch_name, "sha": sha,
            "user": user(base, r.owner), "repo": repo(base, r)}


def _fork_end(base: str, r: Repo, p: Pull, sha: str) -> dict[str, Any]:
    owner = (p.head_repo or "").split("/")[0]
    return {"label": f"{owner}:{p.head}", "ref": p.head, "sha": sha, "user": user(base, owner),
            "repo": fork(base, r, p.head_repo or "")}


def pr_brief(base: str, r: Repo, p: Pull) -> dict[str, Any]:
    """The short pull request object inside a workflow run's `pull_requests`."""
    brief = {"ref": p.head, "sha": r.branches.get(p.head, p.head_sha),
             "repo": {"id": r.id, "name": r.name, "url": f"{base}/repos/{r.full_name}"}}
    base_end = {"ref": p.base, "sha": p.base_sha, "repo": brief["repo"]}
    return {"id": p.id, "number": p.number, "url": f"{base}/repos/{r.full_name}/pulls/{p.number}",
            "head": brief, "base": base_end}


def run(base: str, r: Repo, w: Run, attempt: int | None = None) -> dict[str, Any]:
    """A workflow run object (as of `attempt`, default the latest)."""
    a = w.attempts[(attempt or len(w.attempts)) - 1]
    url = f"{base}/repos/{r.full_name}/actions/runs/{w.id}"
    repo_obj = repo(base, r)
    return {"id": w.id, "node_id": f"WFR_{w.id}", "name": w.name, "display_title": w.name, "path": w.path,
            "head_branch": w.head_branch, "head_sha": w.head_sha, "run_number": w.run_number,
            "run_attempt": a.number, "event": w.event, "status": a.status, "conclusion": a.conclusion,
            "workflow_id": w.workflow_id, "check_suite_id": w.check_suite_id,
            "url": url, "html_url": f"{base}/{r.full_name}/actions/runs/{w.id}",
            "jobs_url": f"{url}/jobs", "logs_url": f"{url}/logs", "rerun_url": f"{url}/rerun",
            "cancel_url": f"{url}/cancel", "check_suite_url": f"{base}/repos/{r.full_name}/check-suites/{w.check_suite_id}",
            "artifacts_url": f"{url}/artifacts", "workflow_url": f"{base}/repos/{r.full_name}/actions/workflows/{w.workflow_id}",
            "previous_attempt_url": f"{url}/attempts/{a.number - 1}" if a.number > 1 else None,
            "pull_requests": [pr_brief(base, r, r.pulls[n]) for n in w.pull_requests if n in r.pulls],
            "created_at": a.created_at, "updated_at": a.updated_at, "run_started_at": a.run_started_at,
            "actor": actor(base, w.actor), "triggering_actor": actor(base, a.triggering_actor),
            "head_commit": _head_commit(r, w.head_sha), "repository": repo_obj,
            "head_repository": fork(base, r, w.head_repository) if w.head_repository else repo_obj,
            "secrets_available": w.secrets_available, "approval_required": w.approval_required}


def fork(base: str, parent: Repo, full_name: str) -> dict[str, Any]:
    """A fork of `parent` named `full_name` (it exists only as this object)."""
    owner, name = full_name.split("/", 1)
    return {"id": zlib.crc32(full_name.encode("utf-8")), "node_id": f"R_{full_name}", "name": name,
            "full_name": full_name, "owner": user(base, owner), "private": False, "fork": True,
            "url": f"{base}/repos/{full_name}", "html_url": f"{base}/{full_name}",
            "parent": {"full_name": parent.full_name}}


def _head_commit(r: Repo, sha: str) -> dict[str, Any] | None:
    c = r.commits.get(sha)
    if c is None:
        return None
    person = {"name": c.author, "email": f"{c.author}@users.noreply.github.com"}
    return {"id": c.sha, "tree_id": c.sha, "message": c.message, "timestamp": c.date,
            "author": person, "committer": person}


def job(base: str, r: Repo, w: Run, attempt: int, j: Any) -> dict[str, Any]:
    """A job object with its steps."""
    url = f"{base}/repos/{r.full_name}/actions/jobs/{j.id}"
    return {"id": j.id, "run_id": w.id, "run_attempt": attempt, "node_id": f"J_{j.id}", "name": j.name,
            "workflow_name": w.name, "head_branch": w.head_branch, "head_sha": w.head_sha,
            "status": j.status, "conclusion": j.conclusion, "started_at": j.started_at,
            "completed_at": j.completed_at, "created_at": j.started_at, "url": url,
            "html_url": f"{base}/{r.full_name}/actions/runs/{w.id}/job/{j.id}",
            "run_url": f"{base}/repos/{r.full_name}/actions/runs/{w.id}",
            "check_run_url": f"{base}/repos/{r.full_name}/check-runs/{j.id}",
            "labels": j.labels, "runner_id": None, "runner_name": j.runner_name, "runner_group_name": None,
            "steps": [{"name": s.name, "number": s.number, "status": s.status, "conclusion": s.conclusion,
                       "started_at": j.started_at, "completed_at": j.completed_at} for s in j.steps]}

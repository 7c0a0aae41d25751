"""What happened to an issue after the agent filed it: who closed it, with which commit, changing what.

    fix = closing_fix(gh, "octo/repo", 12)    # ClosingFix(sha, files, pull) or None

Reads only: issue events (`closed` with a `commit_id`), the commit with its files and patches, a pull
request's files, and file texts before and after the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ChangedFile:
    """One file a human fix changed: its texts before and after (None: absent) and GitHub's patch."""

    path: str
    before: str | None
    after: str | None
    patch: str = ""


@dataclass
class ClosingFix:
    """The commit that closed an issue, its first parent and the files it changed."""

    sha: str
    parent: str | None
    author: str
    message: str
    files: list[ChangedFile] = field(default_factory=list)


def issue_events(gh: Any, repo: str, number: int) -> list[dict[str, Any]]:
    """GET /repos/{o}/{r}/issues/{n}/events, every page."""
    return gh._paginate(f"/repos/{repo}/issues/{number}/events")


def closing_commit_id(gh: Any, repo: str, number: int) -> str | None:
    """The commit id of the latest `closed` event that names one (closed by a commit or a merged PR)."""
    closed = [e for e in issue_events(gh, repo, number) if e.get("event") == "closed" and e.get("commit_id")]
    return closed[-1]["commit_id"] if closed else None


def get_commit(gh: Any, repo: str, sha: str) -> dict[str, Any]:
    """GET /repos/{o}/{r}/commits/{sha}: the commit with `files` (filename, status, patch)."""
    return gh.request("GET", f"/repos/{repo}/commits/{sha}")[2]


def pull_files(gh: Any, repo: str, number: int) -> list[dict[str, Any]]:
    """GET /repos/{o}/{r}/pulls/{n}/files, every page."""
    return gh._paginate(f"/repos/{repo}/pulls/{number}/files")


def _text(gh: Any, repo: str, path: str, ref: str | None) -> str | None:
    found = gh.get_file(repo, path, ref) if ref else None
    return found[0] if found else None


def commit_fix(gh: Any, repo: str, sha: str) -> ClosingFix:
    """A commit as a fix: its changed files with their texts at the first parent and at the commit."""
    commit = get_commit(gh, repo, sha)
    parent = (commit.get("parents") or [{}])[0].get("sha")
    files = [ChangedFile(f["filename"], _text(gh, repo, f["filename"], parent), _text(gh, repo, f["filename"], sha),
                         f.get("patch") or "") for f in commit.get("files") or []]
    author = (commit.get("author") or {}).get("login") or commit["commit"]["author"]["name"]
    return ClosingFix(sha, parent, author, commit["commit"]["message"], files)


def closing_fix(gh: Any, repo: str, number: int) -> ClosingFix | None:
    """The fix that closed issue `number` (its closing commit), or None when no commit closed it."""
    sha = closing_commit_id(gh, repo, number)
    return commit_fix(gh, repo, sha) if sha else None

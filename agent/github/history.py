"""What happened to an issue after the agent filed it: who closed it, with which commit, changing what.

    fix = closing_fix(gh, "octo/repo", 12)    # the commit that closed issue 12, or None
    fix = green_fix(gh, "octo/repo", run_id)  # the human CI change after which the workflow went green, or None

Reads only: issue events (`closed` with a `commit_id`), commits with their files and patches, a pull
request's files, workflow runs, and file texts before and after the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

CI_FILES = re.compile(r"^\.github/|(?:^|/)vcpkg[^/]*\.json$|(?:^|/)ports/")
"""What a CI fix touches: workflows and local actions, vcpkg manifests and configuration, overlay ports."""
MAX_COMMITS = 100


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


def first_green_after(gh: Any, repo: str, failed: dict[str, Any]) -> dict[str, Any] | None:
    """The first successful run of the failed run's workflow on its branch after it, or None."""
    runs = gh.list_runs(repo, status="success", branch=failed.get("head_branch"))
    later = [r for r in runs if r.get("path") == failed.get("path") and r.get("run_number", 0) > failed.get("run_number", 0)]
    return min(later, key=lambda r: r["run_number"]) if later else None


def commits_between(gh: Any, repo: str, old: str, new: str) -> list[dict[str, Any]]:
    """Commits reachable from `new` down to (not including) `old`, newest first; [] when `old` is not reached."""
    out = []
    for commit in gh._paginate(f"/repos/{repo}/commits", {"sha": new}, limit=MAX_COMMITS):
        if commit["sha"] == old:
            return out
        out.append(commit)
    return []


def green_fix(gh: Any, repo: str, run_id: int) -> ClosingFix | None:
    """The human change to CI files after which the failed run's workflow went green, or None."""
    failed = gh.get_run(repo, run_id)
    green = first_green_after(gh, repo, failed)
    if green is None or green["head_sha"] == failed["head_sha"]:
        return None
    commits = [c for c in commits_between(gh, repo, failed["head_sha"], green["head_sha"])
               if "devops-agent" not in c["commit"]["message"]]
    paths = sorted({f["filename"] for c in commits for f in get_commit(gh, repo, c["sha"]).get("files") or []
                    if CI_FILES.search(f["filename"])})
    if not paths:
        return None
    files = [ChangedFile(p, _text(gh, repo, p, failed["head_sha"]), _text(gh, repo, p, green["head_sha"])) for p in paths]
    authors = sorted({(c.get("author") or {}).get("login") or c["commit"]["author"]["name"] for c in commits})
    return ClosingFix(green["head_sha"], failed["head_sha"], ", ".join(authors), commits[-1]["commit"]["message"],
                      [f for f in files if f.before != f.after])

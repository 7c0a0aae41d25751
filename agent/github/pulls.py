"""Pull requests and issues, with find-or-create helpers so a lost answer never makes a duplicate."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from agent.github.errors import Conflict, GitHubError, HeadMoved, WriteUncertain

T_FIND = Callable[[], dict | None]


class PullsMixin:
    """Pull requests, merges, issues, comments and labels, on top of GitHub.request."""

    def find_pull(self, full_name: str, head_branch: str, state: str = "all") -> dict | None:
        """The pull request from `head_branch` (`owner:branch` for a fork's branch; an open one first, else the
        newest), or None."""
        owner = full_name.split("/")[0]
        if ":" in head_branch:
            owner, head_branch = head_branch.split(":", 1)
        pulls = self._paginate(f"/repos/{full_name}/pulls", {"state": state, "head": f"{owner}:{head_branch}"})
        mine = [p for p in pulls if p.get("head", {}).get("ref") == head_branch]
        mine.sort(key=lambda p: (p.get("state") == "open", p.get("number", 0)), reverse=True)
        return mine[0] if mine else None

    def create_pull(self, full_name: str, head: str, base: str, title: str, body: str) -> dict:
        """Open a pull request, or return the open one that already exists for `head`."""
        payload = {"head": head, "base": base, "title": title, "body": body}
        return self._create_once(lambda: self.request("POST", f"/repos/{full_name}/pulls", body=payload,
                                                      idempotent=False)[2],
                                 lambda: self.find_pull(full_name, head, state="open"))

    def fork_of(self, full_name: str, attempts: int = 30, wait: float = 1.0) -> str:
        """The caller's fork of `full_name` (`login/name`), created when absent; waits until it can be read
        (GitHub creates forks asynchronously)."""
        data = self.request("POST", f"/repos/{full_name}/forks", body={"default_branch_only": True},
                            idempotent=True)[2] or {}
        fork = data.get("full_name") or ""
        for _ in range(attempts):
            if fork and self._get_or_none(f"/repos/{fork}") is not None:
                return fork
            time.sleep(wait)
        raise GitHubError(f"the fork of {full_name} did not appear")

    def merge_pull(self, full_name: str, number: int, expected_head_sha: str, method: str = "merge") -> str:
        """Merge only if the head is still `expected_head_sha`; the merge commit sha (HeadMoved if not)."""
        path = f"/repos/{full_name}/pulls/{number}/merge"
        try:
            data = self.request("PUT", path, body={"sha": expected_head_sha, "merge_method": method},
                                idempotent=False)[2]
        except WriteUncertain:
            pull = self._get(f"/repos/{full_name}/pulls/{number}")
            if pull.get("merged") and pull.get("head", {}).get("sha") == expected_head_sha:
                return pull["merge_commit_sha"]
            raise
        except Conflict as exc:
            if exc.status == 409:
                raise HeadMoved(f"PR #{number} in {full_name}: the head is no longer {expected_head_sha[:7]}; "
                                f"not merged (verify the new head first)", 409) from exc
            raise
        return data["sha"]

    def close_pull(self, full_name: str, number: int) -> None:
        """Close a pull request without merging."""
        self.request("PATCH", f"/repos/{full_name}/pulls/{number}", body={"state": "closed"}, idempotent=True)

    def find_issue(self, full_name: str, marker: str, state: str = "all",
                   labels: str | None = None) -> dict | None:
        """The issue whose body contains `marker` (an open one first, else the newest), or None."""
        issues = self._paginate(f"/repos/{full_name}/issues", {"state": state, "labels": labels})
        hits = [i for i in issues if "pull_request" not in i and marker in (i.get("body") or "")]
        hits.sort(key=lambda i: (i.get("state") == "open", i.get("number", 0)), reverse=True)
        return hits[0] if hits else None

    def create_issue(self, full_name: str, title: str, body: str, labels=(), assignees=()) -> dict:
        """Open an issue; after a lost answer, the identical open issue is returned instead of a second."""
        payload = {"title": title, "body": body, "labels": list(labels), "assignees": list(assignees)}
        return self._create_once(
            lambda: self.request("POST", f"/repos/{full_name}/issues", body=payload, idempotent=False)[2],
            lambda: self._find_same_issue(full_name, title, body))

    def update_issue(self, full_name: str, number: int, body: str | None = None, state: str | None = None) -> dict:
        """Edit an issue in place (its body and/or state "open"/"closed"); fields left None are unchanged."""
        payload = {key: value for key, value in (("body", body), ("state", state)) if value is not None}
        return self.request("PATCH", f"/repos/{full_name}/issues/{number}", body=payload, idempotent=True)[2]

    def comment_issue(self, full_name: str, number: int, body: str) -> dict:
        """Comment on an issue or pull request (never twice after a lost answer)."""
        path = f"/repos/{full_name}/issues/{number}/comments"
        return self._create_once(
            lambda: self.request("POST", path, body={"body": body}, idempotent=False)[2],
            lambda: next((c for c in self._paginate(path) if c.get("body") == body), None))

    def add_labels(self, full_name: str, number: int, labels) -> None:
        """Add labels to an issue or pull request (adding one twice is harmless)."""
        self.request("POST", f"/repos/{full_name}/issues/{number}/labels", body={"labels": list(labels)},
                     idempotent=True)

    def _find_same_issue(self, full_name: str, title: str, body: str) -> dict | None:
        issues = self._paginate(f"/repos/{full_name}/issues", {"state": "open"})
        return next((i for i in issues if i.get("title") == title and i.get("body") == body), None)

    def _create_once(self, create: Callable[[], Any], find: T_FIND) -> dict:
        """Create; if the answer was lost or it already exists, look first and repeat only if absent."""
        try:
            return create()
        except WriteUncertain:
            return find() or create()
        except Conflict as exc:
            existing = find() if "already exists" in str(exc).lower() else None
            if existing is None:
                raise
            return existing

"""Files, branches and commits: read files, create branches, commit several edits as one commit."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import quote

from agent.github.errors import Conflict, NotFound, WriteUncertain
from agent.models import Edit

DEFAULT_MODE = "100644"
SYMLINK_MODE = "120000"


def git_blob_sha(text: str) -> str:
    """The git blob id of `text` (UTF-8), as GitHub reports it."""
    data = text.encode("utf-8")
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def ref_path(branch: str) -> str:
    """A branch name quoted for a URL path, keeping its slashes."""
    return quote(branch, safe="/")


class GitMixin:
    """Git data (blobs, trees, commits, refs) and contents, on top of GitHub.request."""

    def get_file(self, full_name: str, path: str, ref: str) -> tuple[str, str] | None:
        """(text, blob sha) of a file at `ref`, or None when it does not exist."""
        data = self._get_or_none(f"/repos/{full_name}/contents/{quote(path)}", ref=ref)
        if not isinstance(data, dict) or data.get("type", "file") != "file":
            return None
        if data.get("encoding") == "base64" and data.get("content") is not None:
            raw = base64.b64decode(data["content"])
        else:  # over 1 MB the contents API omits the content: read the blob
            blob = self._get(f"/repos/{full_name}/git/blobs/{data['sha']}")
            raw = base64.b64decode(blob["content"])
        return raw.decode("utf-8", errors="replace"), data["sha"]

    def list_files(self, full_name: str, ref: str) -> list[str]:
        """Every file path at `ref` (branch, tag or sha)."""
        return sorted(self._tree_at(full_name, self._commit_of(full_name, ref))[1])

    def list_symlinks(self, full_name: str, ref: str) -> set[str]:
        """The paths at `ref` that are symbolic links (git mode 120000)."""
        files = self._tree_at(full_name, self._commit_of(full_name, ref))[1]
        return {path for path, (_, mode) in files.items() if mode == SYMLINK_MODE}

    def branch_sha(self, full_name: str, branch: str) -> str | None:
        """The commit a branch points at, or None when there is no such branch."""
        data = self._get_or_none(f"/repos/{full_name}/git/ref/heads/{ref_path(branch)}")
        return data["object"]["sha"] if isinstance(data, dict) else None

    def create_branch(self, full_name: str, branch: str, from_sha: str) -> None:
        """Create `branch` at `from_sha`; already there at that sha counts as done (idempotent)."""
        body = {"ref": f"refs/heads/{branch}", "sha": from_sha}
        try:
            self.request("POST", f"/repos/{full_name}/git/refs", body=body, idempotent=False)
        except (WriteUncertain, Conflict) as exc:
            current = self.branch_sha(full_name, branch)
            if current == from_sha:
                return
            if current is None and isinstance(exc, WriteUncertain):
                self.request("POST", f"/repos/{full_name}/git/refs", body=body, idempotent=False)
                return
            raise Conflict(f"branch {branch} already exists in {full_name} at {str(current)[:7]}, "
                           f"not {from_sha[:7]}", 422) from exc

    def commit_files(self, full_name: str, branch: str, edits: list[Edit], message: str) -> str:
        """Commit every edit as ONE commit on `branch` (git data API); the new commit sha."""
        head = self.branch_sha(full_name, branch)
        if head is None:
            raise NotFound(f"branch {branch} not found in {full_name}", 404)
        tree_sha, files = self._tree_at(full_name, head)
        check_no_symlinks(edits, files, branch)
        check_edits_apply(edits, files, branch)
        entries = [{"path": e.path, "mode": files.get(e.path, (None, DEFAULT_MODE))[1], "type": "blob",
                    "sha": self._post(full_name, "git/blobs", {"content": e.new, "encoding": "utf-8"})["sha"]}
                   for e in edits]
        new_tree = self._post(full_name, "git/trees", {"base_tree": tree_sha, "tree": entries})["sha"]
        commit = self._post(full_name, "git/commits", {"message": message, "tree": new_tree, "parents": [head]})
        # fast-forward only: if someone pushed meanwhile, GitHub refuses (422) instead of losing their commit
        self.request("PATCH", f"/repos/{full_name}/git/refs/heads/{ref_path(branch)}",
                     body={"sha": commit["sha"], "force": False}, idempotent=True)
        return commit["sha"]

    def _post(self, full_name: str, what: str, body: dict) -> dict[str, Any]:
        """POST a content-addressed git object: repeating it is harmless, so it is retried."""
        return self.request("POST", f"/repos/{full_name}/{what}", body=body, idempotent=True)[2]

    def _commit_of(self, full_name: str, ref: str) -> str:
        return self._get(f"/repos/{full_name}/commits/{quote(ref, safe='')}")["sha"]

    def _tree_at(self, full_name: str, commit_sha: str) -> tuple[str, dict[str, tuple[str, str]]]:
        """The commit's tree sha and {path: (blob sha, mode)} of every file in it."""
        tree_sha = self._get(f"/repos/{full_name}/git/commits/{commit_sha}")["tree"]["sha"]
        tree = self._get(f"/repos/{full_name}/git/trees/{tree_sha}", recursive=1)
        files = {e["path"]: (e["sha"], e.get("mode", DEFAULT_MODE))
                 for e in tree.get("tree", []) if e.get("type") == "blob"}
        return tree_sha, files


def check_no_symlinks(edits: list[Edit], files: dict[str, tuple[str, str]], branch: str) -> None:
    """Conflict when an edit would write to, or through, a symbolic link on the branch."""
    links = {path for path, (_, mode) in files.items() if mode == SYMLINK_MODE}
    for edit in edits:
        parts = edit.path.split("/")
        link = next(("/".join(parts[:n]) for n in range(1, len(parts) + 1) if "/".join(parts[:n]) in links), None)
        if link is not None:
            raise Conflict(f"{edit.path} goes through the symlink {link} on {branch}: refusing to write", 409)


def check_edits_apply(edits: list[Edit], files: dict[str, tuple[str, str]], branch: str) -> None:
    """Conflict unless every edit's `old` text is exactly what the branch holds (None: file absent)."""
    for edit in edits:
        current = files.get(edit.path, (None, ""))[0]
        expected = None if edit.old is None else git_blob_sha(edit.old)
        if current != expected:
            state = "exists" if edit.old is None else ("is missing" if current is None else "changed")
            raise Conflict(f"{edit.path} {state} on {branch} since the edit was made; re-plan the fix", 409)

"""Git objects in memory: blobs, flat trees, commits, refs, merge bases and three-way merges."""

from __future__ import annotations

import hashlib

from agent.sandbox.model import Commit, Repo, State, blob_sha, now_iso, tree_sha


def store_blob(repo: Repo, data: bytes) -> str:
    """Store `data` as a blob; return its sha."""
    sha = blob_sha(data)
    repo.blobs[sha] = data
    return sha


def store_tree(repo: Repo, tree: dict[str, str]) -> str:
    """Store a flat tree; return its sha."""
    sha = tree_sha(tree)
    repo.trees[sha] = dict(tree)
    return sha


def make_commit(state: State, repo: Repo, tree: dict[str, str], parents: list[str], message: str,
                author: str = "octocat") -> Commit:
    """Create and store a commit of `tree` (every commit gets a unique sha)."""
    tsha = store_tree(repo, tree)
    header = f"tree {tsha}\n" + "".join(f"parent {p}\n" for p in parents)
    raw = f"{header}author {author} {state.new_id()}\n\n{message}".encode()
    commit = Commit(sha=hashlib.sha1(raw).hexdigest(), tree=dict(tree), parents=list(parents),
                    message=message, author=author, date=now_iso())
    repo.commits[commit.sha] = commit
    return commit


def apply_changes(repo: Repo, tree: dict[str, str], changes: dict[str, bytes | None]) -> dict[str, str]:
    """A copy of `tree` with files written (bytes) or deleted (None)."""
    out = dict(tree)
    for path, data in changes.items():
        if data is None:
            out.pop(path, None)
        else:
            out[path] = store_blob(repo, data)
    return out


def commit_changes(state: State, repo: Repo, branch: str, changes: dict[str, bytes | None], message: str,
                   author: str = "octocat") -> Commit:
    """Commit `changes` on top of `branch` (created from nothing if absent) and move the branch."""
    parent = repo.branches.get(branch)
    base_tree = repo.commits[parent].tree if parent else {}
    commit = make_commit(state, repo, apply_changes(repo, base_tree, changes), [parent] if parent else [],
                         message, author)
    repo.branches[branch] = commit.sha
    return commit


def resolve(repo: Repo, ref: str | None) -> str | None:
    """The commit sha a ref names: branch, refs/heads/x, heads/x, full or abbreviated sha."""
    if not ref:
        return repo.branches.get(repo.default_branch)
    name = ref.removeprefix("refs/").removeprefix("heads/")
    if name in repo.branches:
        return repo.branches[name]
    if ref in repo.commits:
        return ref
    if len(ref) >= 7:
        hits = [sha for sha in repo.commits if sha.startswith(ref)]
        if len(hits) == 1:
            return hits[0]
    return None


def read_file(repo: Repo, sha: str, path: str) -> bytes | None:
    """The bytes of `path` at commit `sha`, or None."""
    blob = repo.commits[sha].tree.get(path)
    return None if blob is None else repo.blobs[blob]


def ancestors(repo: Repo, sha: str) -> list[str]:
    """`sha` and every commit reachable from it, nearest first."""
    seen: list[str] = []
    queue = [sha]
    while queue:
        current = queue.pop(0)
        if current in seen or current not in repo.commits:
            continue
        seen.append(current)
        queue.extend(repo.commits[current].parents)
    return seen


def merge_base(repo: Repo, a: str, b: str) -> str | None:
    """The nearest common ancestor of two commits."""
    theirs = set(ancestors(repo, b))
    return next((sha for sha in ancestors(repo, a) if sha in theirs), None)


def three_way(repo: Repo, base: str | None, ours: str, theirs: str) -> dict[str, str] | None:
    """The merged tree of `ours` and `theirs` since `base`, or None on a conflict."""
    base_tree = repo.commits[base].tree if base else {}
    our_tree, their_tree = repo.commits[ours].tree, repo.commits[theirs].tree
    merged = dict(our_tree)
    for path in set(base_tree) | set(their_tree):
        theirs_blob, base_blob = their_tree.get(path), base_tree.get(path)
        if theirs_blob == base_blob:
            continue
        if our_tree.get(path) not in (base_blob, theirs_blob):
            return None
        if theirs_blob is None:
            merged.pop(path, None)
        else:
            merged[path] = theirs_blob
    return merged


def changed_paths(old: dict[str, str], new: dict[str, str]) -> set[str]:
    """Paths added, removed or modified between two trees."""
    return {path for path in set(old) | set(new) if old.get(path) != new.get(path)}


def touches_workflows(repo: Repo, old_sha: str | None, new_sha: str) -> str | None:
    """The first `.github/workflows/` path that differs between two commits, or None."""
    old_tree = repo.commits[old_sha].tree if old_sha in repo.commits else {}
    changed = sorted(changed_paths(old_tree, repo.commits[new_sha].tree))
    return next((p for p in changed if p.startswith(".github/workflows/")), None)

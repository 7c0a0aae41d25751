"""Path safety and blast radius: normalise a repo path, match globs, count a change's size."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from agent.globs import glob_regex
from agent.models import Edit
from agent.policy.schema import BlastRadius


class UnsafePath(ValueError):
    """A path that cannot be written safely: traversal, absolute, backslashes, control characters."""


def normalise(path: str) -> str:
    """The canonical repo-relative form of `path`, or UnsafePath saying why there is none."""
    for candidate in (path, unquote(path)):
        if not candidate or any(ord(ch) < 32 or ord(ch) == 127 for ch in candidate):
            raise UnsafePath(f"empty path or control characters in {path!r}")
        if "\\" in candidate:
            raise UnsafePath(f"backslash in path {path!r}")
        if candidate.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", candidate):
            raise UnsafePath(f"absolute path {path!r}")
        if ".." in candidate.split("/"):
            raise UnsafePath(f"'..' segment in path {path!r}")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if not parts:
        raise UnsafePath(f"path {path!r} names no file")
    return "/".join(parts)


def matches_any(path: str, globs: Iterable[str], ignore_case: bool = False) -> str | None:
    """The first glob that matches the whole of `path`, or None."""
    for glob in globs:
        if glob_regex(glob, ignore_case).fullmatch(path):
            return glob
    return None


def protected_glob(path: str, globs: Iterable[str]) -> str | None:
    """The protected glob matching `path` or any directory it lies in (`**/*deploy*` covers `deploy/x.yml`)."""
    parts = path.split("/")
    for end in range(len(parts), 0, -1):
        glob = matches_any("/".join(parts[:end]), globs, ignore_case=True)
        if glob:
            return glob
    return None


def symlinked(path: str, symlinks: Iterable[str]) -> str | None:
    """The symlink (the path itself or a parent directory) that `path` goes through, or None."""
    links = {normalise(link) for link in symlinks}
    parts = path.split("/")
    for end in range(1, len(parts) + 1):
        prefix = "/".join(parts[:end])
        if prefix in links:
            return prefix
    return None


@dataclass(frozen=True)
class PathVerdict:
    """Where a path stands: writable, test source (test_disable, PR only), or refused with a reason."""

    path: str
    zone: str  # "allowed" | "test" | "refused"
    reason: str = ""


def classify(path: str, radius: BlastRadius, symlinks: Iterable[str] = (),
             deploys: dict[str, str] | None = None) -> PathVerdict:
    """Classify one edit path against the blast radius (protected beats allowed); `deploys` maps the paths
    protected by what they do (publish/deploy workflows and what they call) to the reason."""
    try:
        clean = normalise(path)
    except UnsafePath as exc:
        return PathVerdict(path, "refused", str(exc))
    link = symlinked(clean, symlinks)
    if link:
        return PathVerdict(clean, "refused", f"{clean} goes through the symlink {link}")
    glob = protected_glob(clean, radius.protected_paths)
    if glob:
        return PathVerdict(clean, "refused", f"{clean} is protected ({glob})")
    if clean in (deploys or {}):
        return PathVerdict(clean, "refused", f"{clean} is protected: {(deploys or {})[clean]}")
    if matches_any(clean, radius.allowed_paths):
        return PathVerdict(clean, "allowed")
    if matches_any(clean, radius.test_paths):
        return PathVerdict(clean, "test")
    return PathVerdict(clean, "refused", f"{clean} is outside the allowed paths")


def changed_lines(edits: Iterable[Edit], diff: str = "") -> int:
    """Added plus removed lines over all edits (or the plan's diff, whichever is larger)."""
    total = 0
    for edit in edits:
        old = (edit.old or "").splitlines()
        for line in difflib.unified_diff(old, edit.new.splitlines(), lineterm="", n=0):
            if line.startswith(("+", "-")) and not line.startswith(("+++", "---")):
                total += 1
    from_diff = sum(
        1 for line in diff.splitlines() if line[:1] in ("+", "-") and not line.startswith(("+++", "---"))
    )
    return max(total, from_diff)

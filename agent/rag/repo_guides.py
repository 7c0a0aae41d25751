"""The watched repository's own troubleshooting guides, read at a commit (from a checkout or through GitHub)."""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from agent.globs import glob_source
from agent.rag.chunks import Chunk, chunk_markdown

REPO_GUIDE_GLOBS = (".claude/skills/*/*.md", ".claude/LEARNINGS.md", "**/troubleshooting*.md")
"""Where ApraPipes-style repositories keep their maintainers' guides; AGENT_REPO_GUIDE_GLOBS overrides."""
REPO_GUIDE_KIND = "repo_guide"
MAX_GUIDE_FILES = 40
MAX_GUIDE_BYTES = 1_000_000
_SKIP_DIRS = ("node_modules/", "vcpkg/", "thirdparty/", ".git/")
"""Vendored trees whose own troubleshooting files are not this repository's knowledge."""


def repo_guide_globs() -> tuple[str, ...]:
    """The globs from AGENT_REPO_GUIDE_GLOBS (comma-separated), else the ApraPipes-style defaults."""
    configured = [item.strip() for item in os.environ.get("AGENT_REPO_GUIDE_GLOBS", "").split(",") if item.strip()]
    return tuple(configured) or REPO_GUIDE_GLOBS


@lru_cache(maxsize=16)
def glob_matcher(globs: tuple[str, ...]) -> re.Pattern:
    """One regex for repository-relative paths: `*` stays inside a folder, `**/` spans folders."""
    return re.compile("|".join(f"(?:{glob_source(g)})" for g in globs) or "(?!)")


def guide_paths(paths: list[str], globs: tuple[str, ...]) -> list[str]:
    """The paths the globs select (vendored trees left out), sorted, at most MAX_GUIDE_FILES."""
    matcher = glob_matcher(tuple(globs))
    chosen = [p for p in paths if p.endswith(".md") and matcher.fullmatch(p)
              and not any(f"/{skip}" in f"/{p}" for skip in _SKIP_DIRS)]
    return sorted(chosen)[:MAX_GUIDE_FILES]


@dataclass(frozen=True, eq=False)
class RepoGuides:
    """Markdown guides of one repository at one commit: path → text (hashable, so stores can be cached)."""

    repo: str
    ref: str
    files: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        content = hashlib.sha256("\x1f".join(f"{p}\x1e{t}" for p, t in sorted(self.files.items())).encode("utf-8"))
        return self.repo, self.ref, content.hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RepoGuides) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def origin(self, chunk: Chunk) -> dict[str, str | None]:
        """Where a cited section lives: repository, commit and link (empty for a shipped guide's section)."""
        if chunk.kind != REPO_GUIDE_KIND:
            return {}
        return {"repo": self.repo or None, "ref": self.ref or None, "url": self.url(chunk.guide, chunk.anchor)}

    def chunks(self) -> list[Chunk]:
        """One chunk per `##` section (each file's title and preamble left out), guide = the repo path."""
        return [chunk for path, text in sorted(self.files.items())
                for chunk in chunk_markdown(text, path, REPO_GUIDE_KIND, max_level=2, min_level=2)]

    def url(self, path: str, anchor: str) -> str | None:
        """The section on GitHub at this commit (None without a repository name or commit)."""
        if not self.repo or not self.ref:
            return None
        return f"https://github.com/{self.repo}/blob/{self.ref}/{path}" + (f"#{anchor}" if anchor else "")

    def write(self, directory: Path) -> Path:
        """Mirror the files under `directory` (replacing what an earlier commit left there)."""
        directory.mkdir(parents=True, exist_ok=True)
        for old in [p for p in directory.rglob("*.md") if p.relative_to(directory).as_posix() not in self.files]:
            old.unlink()
        for path, text in self.files.items():
            target = directory / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        return directory


def local_repo_guides(repo_dir: Path | str, globs: tuple[str, ...] | None = None, repo: str = "",
                      ref: str = "") -> RepoGuides:
    """The guides of a checkout on disk."""
    root = Path(repo_dir)
    paths = [p.relative_to(root).as_posix() for p in root.rglob("*.md") if p.is_file()]
    chosen = [p for p in guide_paths(paths, globs or repo_guide_globs()) if (root / p).stat().st_size <= MAX_GUIDE_BYTES]
    return RepoGuides(repo, ref, {p: (root / p).read_text(encoding="utf-8", errors="replace") for p in chosen})


_fetched: dict[tuple[str, str, tuple[str, ...]], RepoGuides] = {}
_fetched_lock = threading.Lock()


def fetch_repo_guides(gh: Any, full_name: str, ref: str, globs: tuple[str, ...] | None = None) -> RepoGuides:
    """The guides at `ref` through the GitHub client (a tree listing, then one read per guide); cached per commit."""
    globs = tuple(globs or repo_guide_globs())
    key = (full_name, ref, globs)
    with _fetched_lock:
        if key in _fetched:
            return _fetched[key]
    files = {}
    for path in guide_paths(gh.list_files(full_name, ref), globs):
        found = gh.get_file(full_name, path, ref)
        if found is not None and len(found[0]) <= MAX_GUIDE_BYTES:
            files[path] = found[0]
    guides = RepoGuides(full_name, ref, files)
    with _fetched_lock:
        if len(_fetched) > 32:
            _fetched.clear()
        _fetched[key] = guides
    return guides


def guides_at(gh: Any, full_name: str, ref: str) -> RepoGuides | None:
    """The repository's own guides at `ref`, or None when there is no ref or GitHub cannot give them (the
    diagnosis does not depend on them: the shipped guides are cited alone)."""
    from agent.github.errors import GitHubError

    if not ref:
        return None
    try:
        return fetch_repo_guides(gh, full_name, ref)
    except GitHubError:
        return None


def add_to_index(index: Any, guides: RepoGuides | None) -> None:
    """Let the model's guide search find the repository's guides (BM25 now, vectors on first use)."""
    target = getattr(index, "index", index)  # a ModeIndex wraps the Index
    if target is None:
        from agent.rag import shared_index

        target = shared_index()
    if guides is not None and guides.files and hasattr(target, "add_repo_guides"):
        target.add_repo_guides(guides)

"""What goes into the index: the shipped guides and a target repository's own docs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

from agent.config import guides_dir
from agent.errors import BadInput
from agent.rag.chunks import Chunk, chunk_markdown
from agent.rag.repo_guides import REPO_GUIDE_KIND, guide_paths, repo_guide_globs

GUIDE_GLOBS = ("troubleshooting.*.md",)
"""The shipped guides; other markdown in guides/ (MCP set-up, the coverage notes) is not troubleshooting."""
DOC_GLOBS = ("README.md", "docs/**/*.md")
MAX_FILE_BYTES = 2_000_000


@dataclass(frozen=True)
class Source:
    """A directory and the globs of markdown files to index from it."""

    root: Path
    globs: tuple[str, ...] = GUIDE_GLOBS
    kind: str = "guide"
    max_level: int = 2
    min_level: int = 0
    label: str = ""
    """Put in each section's id (`repo_guide:owner/repo/docs/ci.md#anchor`, the guide still `docs/ci.md`):
    sections of several repositories in one index keep apart where their paths and headings are the same."""

    def files(self) -> list[Path]:
        """Matching files, sorted, each once; oversized files (and a repository's vendored guides) are skipped."""
        found = {path for pattern in self.globs for path in self.root.glob(pattern) if path.is_file()}
        if self.kind == REPO_GUIDE_KIND:
            kept = set(guide_paths([path.relative_to(self.root).as_posix() for path in found], self.globs))
            found = {path for path in found if path.relative_to(self.root).as_posix() in kept}
        return sorted(path for path in found if path.stat().st_size <= MAX_FILE_BYTES)

    def chunks(self) -> list[Chunk]:
        """Every section of every matching file."""
        chunks: list[Chunk] = []
        for path in self.files():
            text = path.read_text(encoding="utf-8", errors="replace")
            name = path.relative_to(self.root).as_posix()
            found = chunk_markdown(text, name, self.kind, self.max_level, self.min_level)
            if self.label:
                found = [replace(chunk, id=f"{self.kind}:{self.label}/{chunk.id.partition(':')[2]}") for chunk in found]
            chunks.extend(found)
        return chunks

    def to_dict(self) -> dict:
        return {**asdict(self), "root": str(self.root), "globs": list(self.globs)}

    @classmethod
    def from_dict(cls, data: dict) -> Source:
        return cls(**{**data, "root": Path(data["root"]), "globs": tuple(data["globs"])})


def guide_source(directory: Path | None = None) -> Source:
    """The shipped troubleshooting guides, one chunk per `##` problem (the title and preamble are left out)."""
    return Source(Path(directory or guides_dir()), GUIDE_GLOBS, "guide", max_level=2, min_level=2)


def repo_docs_source(repo_dir: Path | str, globs: tuple[str, ...] | list[str] = DOC_GLOBS) -> Source:
    """A target repository's own markdown (README, docs/); split down to `###` headings."""
    root = Path(repo_dir)
    if not root.is_dir():
        raise BadInput(f"--repo-dir {root} is not a directory")
    return Source(root.resolve(), tuple(globs) or DOC_GLOBS, "doc", max_level=3)


def repo_guide_source(repo_dir: Path | str, globs: tuple[str, ...] | list[str] | None = None) -> Source:
    """A target repository's own troubleshooting guides (REPO_GUIDE_GLOBS), one chunk per `##` problem."""
    root = Path(repo_dir)
    if not root.is_dir():
        raise BadInput(f"--repo-dir {root} is not a directory")
    return Source(root.resolve(), tuple(globs or repo_guide_globs()), REPO_GUIDE_KIND, max_level=2, min_level=2)


def default_sources(repo_dir: Path | str | None = None, doc_globs=DOC_GLOBS, guide_globs=None) -> list[Source]:
    """The guides, plus the repository's docs and its own guides when a directory is given."""
    sources = [guide_source()]
    if repo_dir is not None:
        sources += [repo_docs_source(repo_dir, doc_globs), repo_guide_source(repo_dir, guide_globs)]
    return sources


def collect_chunks(sources: list[Source]) -> list[Chunk]:
    """All chunks of all sources; a later duplicate id is dropped."""
    unique: dict[str, Chunk] = {}
    for source in sources:
        for chunk in source.chunks():
            unique.setdefault(chunk.id, chunk)
    return list(unique.values())

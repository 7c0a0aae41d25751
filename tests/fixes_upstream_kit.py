"""The real ApraPipes files (tests/fixtures/aprapipes-upstream, MIT) and small faults injected into a copy."""

from __future__ import annotations

from pathlib import Path

UPSTREAM = Path(__file__).parent / "fixtures" / "aprapipes-upstream"
WF = ".github/workflows/"
NOT_REPO_FILES = ("LICENSE", "NOTICE.md")


def upstream_repo() -> dict[str, str]:
    """The real tree as {repo-relative path: text}, without the license note files."""
    return {
        p.relative_to(UPSTREAM).as_posix(): p.read_text(encoding="utf-8")
        for p in UPSTREAM.rglob("*")
        if p.is_file() and p.name not in NOT_REPO_FILES
    }


def inject(repo: dict[str, str], path: str, old: str, new: str, count: int = 1) -> dict[str, str]:
    """A copy of repo with `old` replaced by `new` in one file (the fault); the anchor must exist."""
    assert old in repo[path], f"fault anchor {old!r} is not in {path}"
    return {**repo, path: repo[path].replace(old, new, count)}

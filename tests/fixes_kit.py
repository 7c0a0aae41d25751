"""Shared helpers of the fix-template tests: the ApraPipes fixture repository and exact line changes."""

from __future__ import annotations

import difflib
from pathlib import Path

from tools.fixes import apply_template

FIXTURES = Path(__file__).parent / "fixtures" / "aprapipes"
WF = ".github/workflows/"
OWNERSHIP = {
    "owner": "@dev1",
    "expires": "2026-06-30",
    "issue": "https://github.com/Apra-Labs/ApraPipes/issues/412",
}
APT_LINE = (
    "        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -y install ca-certificates curl zip unzip"
    " tar git-core autoconf automake libtool pkg-config ninja-build python3 python3-pip{extra} 2>&1 | tail -n 20"
)
NOTE = "devops-agent: disabled {test}; owner @dev1; expires 2026-06-30; issue https://github.com/Apra-Labs/ApraPipes/issues/412"


def load_repo() -> dict[str, str]:
    """The fixture repository as {repo-relative path: text}."""
    return {
        p.relative_to(FIXTURES).as_posix(): p.read_text(encoding="utf-8")
        for p in FIXTURES.rglob("*")
        if p.is_file()
    }


def line_changes(old: str, new: str) -> tuple[list[str], list[str]]:
    """(removed lines, added lines) between two texts; everything else is byte-identical."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    removed, added = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += a[i1:i2]
            added += b[j1:j2]
    return [line.rstrip("\n") for line in removed], [line.rstrip("\n") for line in added]


def changes_by_file(name: str, params: dict) -> dict[str, tuple[list[str], list[str]]]:
    """Apply a template to the fixtures and return the line changes per edited file."""
    repo = load_repo()
    result = apply_template(name, repo, params)
    for edit in result.edits:
        assert edit.old == repo[edit.path]
        assert f"--- a/{edit.path}" in result.diff and f"+++ b/{edit.path}" in result.diff
    return {e.path: line_changes(e.old, e.new) for e in result.edits}

"""Fix-template plumbing: the result type, NotApplicable, globs, splicing text and unified diffs."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent.globs import glob_regex
from agent.models import Edit

Files = dict[str, str]
WORKFLOW_GLOBS = (".github/workflows/*.yml", ".github/workflows/*.yaml")
LOCAL_ACTION_GLOBS = (".github/actions/**/action.yml", ".github/actions/**/action.yaml")
CI_GLOBS = WORKFLOW_GLOBS + LOCAL_ACTION_GLOBS
"""Workflows and the repository's own composite actions: what a workflow template may edit."""
DEPLOYMENT_MARKERS = re.compile(
    r"gh-pages|actions/deploy-pages|peaceiris/actions-gh-pages|github-pages-deploy-action|^\s*environment:",
    re.MULTILINE,
)


class NotApplicable(Exception):
    """The template found nothing to change; the message says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Params(BaseModel):
    """Base of every template's parameter model: unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid")


class FixResult(BaseModel):
    """What a template produced: whole-file edits, their unified diff and the resolved params."""

    edits: list[Edit] = Field(default_factory=list)
    diff: str = ""
    params: dict[str, Any] = Field(default_factory=dict)


@dataclass
class Change:
    """A template's raw output: new texts by path and the params it resolved."""

    texts: Files = field(default_factory=dict)
    resolved: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Template:
    """A named fix: its params model, the paths it may write and the function that edits."""

    name: str
    params_model: type[Params]
    touches: tuple[str, ...]
    run: Callable[[Files, Any], Change]
    description: str


def matches_any(path: str, globs: Iterable[str]) -> bool:
    """True when the path matches one of the globs."""
    return any(glob_regex(g).fullmatch(path) for g in globs)


def is_deployment_workflow(text: str) -> bool:
    """True for workflows that deploy (gh-pages, environments): templates leave them alone."""
    return bool(DEPLOYMENT_MARKERS.search(text))


def select_workflows(files: Files, globs: list[str] | None) -> Files:
    """Workflow (and local action) files to edit: matching `globs`, deployments only when named exactly."""
    chosen = {}
    for path, text in sorted(files.items()):
        if not matches_any(path, CI_GLOBS):
            continue
        if globs and not matches_any(path, globs):
            continue
        if is_deployment_workflow(text) and path not in (globs or []):
            continue
        chosen[path] = text
    return chosen


def newline_of(text: str) -> str:
    """The file's line ending: CRLF when it uses one, else LF."""
    return "\r\n" if "\r\n" in text else "\n"


def splice(text: str, replacements: list[tuple[int, int, str]]) -> str:
    """Apply (start, end, new) replacements on the original offsets; they must not overlap."""
    out, last = [], 0
    for start, end, new in sorted(replacements, key=lambda r: (r[0], r[1])):
        if start < last:
            raise ValueError(f"overlapping edits at offset {start}")
        out += [text[last:start], new]
        last = end
    return "".join(out) + text[last:]


def line_start(text: str, index: int) -> int:
    """Offset of the start of the line holding `index`."""
    return text.rfind("\n", 0, index) + 1


def next_line_start(text: str, index: int) -> int:
    """Offset of the start of the line after the one holding `index` (or the end of the text)."""
    nl = text.find("\n", index)
    return len(text) if nl < 0 else nl + 1


def indent_at(text: str, index: int) -> str:
    """The leading whitespace of the line holding `index`."""
    start = line_start(text, index)
    return re.match(r"[ \t]*", text[start:]).group(0)


def _diff_lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def unified_diff(edits: list[Edit]) -> str:
    """One git-style unified diff for all edits (a/ and b/ paths)."""
    chunks = []
    for edit in edits:
        old = "" if edit.old is None else edit.old
        fromfile = "/dev/null" if edit.old is None else f"a/{edit.path}"
        lines = difflib.unified_diff(_diff_lines(old), _diff_lines(edit.new), fromfile, f"b/{edit.path}")
        chunks.append("".join(lines))
    return "".join(chunks)

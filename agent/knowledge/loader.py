"""Load and validate guides/known-issues.yaml; any problem is one ConfigError naming the entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import re2
import yaml
from pydantic import ValidationError

from agent.config import known_issues_path
from agent.errors import ConfigError
from agent.knowledge.matcher import KnowledgeBase
from agent.knowledge.schema import KnownIssue, KnownIssueFile

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]


def _known_templates() -> set[str] | None:
    try:
        from tools.fixes import TEMPLATES
    except ImportError:
        return None
    return set(TEMPLATES) or None


def _check_patterns(issue: KnownIssue, where: str) -> None:
    for pattern in [*issue.patterns, *issue.not_patterns]:
        try:
            re2.compile(pattern)
        except re2.error as exc:
            raise ConfigError(f"{where}: entry '{issue.id}': bad pattern {pattern!r}: {exc}") from None


def _parse_entry(entry: Any, number: int, where: str) -> KnownIssue:
    name = entry.get("id") if isinstance(entry, dict) and entry.get("id") else f"#{number}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: entry {name}: not a mapping")
    try:
        issue = KnownIssue.model_validate(entry)
    except ValidationError as exc:
        raise ConfigError(f"{where}: entry '{name}': {_first_error(exc)}") from None
    _check_patterns(issue, where)
    return issue


def parse_known_issues(raw: Any, where: str = "known-issues.yaml") -> KnowledgeBase:
    """Validate an already-parsed DB document and build its matcher."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping with 'version' and 'issues'")
    try:
        document = KnownIssueFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{where}: {_first_error(exc)}") from None
    issues, seen = [], set()
    templates = _known_templates()
    for number, entry in enumerate(document.issues, start=1):
        issue = _parse_entry(entry, number, where)
        if issue.id in seen:
            raise ConfigError(f"{where}: entry '{issue.id}': duplicate id")
        if issue.fix and templates is not None and issue.fix.template not in templates:
            raise ConfigError(f"{where}: entry '{issue.id}': unknown fix template {issue.fix.template!r}")
        seen.add(issue.id)
        issues.append(issue)
    return KnowledgeBase(issues, where)


def load_known_issues(path: str | Path | None = None) -> KnowledgeBase:
    """The known-issue DB at `path` (default guides/known-issues.yaml; missing default → empty DB)."""
    target = Path(path) if path is not None else known_issues_path()
    if not target.is_file():
        if path is None:
            return KnowledgeBase([], str(target))
        raise ConfigError(f"{target}: no such known-issue file")
    try:
        raw = yaml.load(target.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{target.name}: not valid YAML: {' '.join(str(exc).split())}") from None
    return parse_known_issues(raw, target.name)

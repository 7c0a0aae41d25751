"""Load and validate guides/known-issues.yaml; any problem is one ConfigError naming the entry.

A file that passed validation is remembered by content hash (with the fix-template sources it was
checked against) under cache_dir(), so the next load skips YAML, the template import and the
pattern checks; it still builds every entry through the pydantic schema. A cache of validation, not
of triage results.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import re2
from pydantic import ValidationError

from agent.config import cache_dir, known_issues_path, prune_cache
from agent.errors import ConfigError
from agent.knowledge.matcher import KnowledgeBase
from agent.knowledge.schema import KnownIssue, KnownIssueFile
from agent.logs.multimatch import options

VALIDATED_KEEP = 8
"""Validated DB versions remembered under cache_dir()."""


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


def _re2_message(exc: re2.error) -> str:
    """RE2's reason as text (google-re2 raises it as bytes)."""
    reason = exc.args[0] if exc.args else exc
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)


def _check_patterns(issue: KnownIssue, where: str) -> None:
    quiet = options()  # log_errors off: the ConfigError below is the only report
    for pattern in [*issue.patterns, *issue.not_patterns]:
        try:
            re2.compile(pattern, quiet)
        except re2.error as exc:
            raise ConfigError(f"{where}: entry '{issue.id}': bad pattern {pattern!r}: {_re2_message(exc)}") from None


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
    data = target.read_bytes()
    cache = _validated_path(data)
    entries = _validated_entries(cache)
    if entries is not None:
        return KnowledgeBase([KnownIssue.model_validate(entry) for entry in entries], target.name)
    raw = _parse_yaml(data, target.name)
    kb = parse_known_issues(raw, target.name)
    _remember_validated(cache, raw["issues"])
    return kb


def _parse_yaml(data: bytes, name: str) -> Any:
    import yaml

    try:
        return yaml.load(data.decode("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: not UTF-8: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: not valid YAML: {' '.join(str(exc).split())}") from None


def _templates_signature() -> list:
    """Where the fix templates' sources are and when they changed, without importing them."""
    try:
        spec = importlib.util.find_spec("tools.fixes")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return []
    files = sorted(p for root in spec.submodule_search_locations for p in Path(root).rglob("*.py"))
    return [(str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files]


def _validated_path(data: bytes) -> Path | None:
    key = hashlib.sha256(data + json.dumps(_templates_signature()).encode("utf-8")).hexdigest()
    try:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder / f"known-issues-{key[:32]}.json"


def _validated_entries(cache: Path | None) -> list[dict] | None:
    try:
        entries = json.loads(cache.read_text(encoding="utf-8")) if cache is not None else None
    except (OSError, ValueError):
        return None
    return entries if isinstance(entries, list) else None


def _remember_validated(cache: Path | None, entries: list) -> None:
    """Remember the validated entries, only if JSON gives them back exactly (YAML has dates, int keys …)."""
    try:
        text = json.dumps(entries, ensure_ascii=False)
        if cache is None or json.loads(text) != entries:
            return
    except (TypeError, ValueError):
        return
    partial = cache.with_suffix(f".{os.getpid()}.tmp")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, cache)
        prune_cache(cache.parent, "known-issues-*.json", VALIDATED_KEEP)
    except OSError:
        partial.unlink(missing_ok=True)

"""action_version: move an action to its supported major; never to a deprecated one."""

from __future__ import annotations

import re
from typing import NamedTuple

from pydantic import field_validator

from tools.fixes.base import Change, Files, NotApplicable, Params, select_workflows, splice
from tools.fixes.yamlspan import compose, get, scalar, source, walk_mappings

USES = re.compile(r"^(?P<name>[^@\s]+)@(?P<ref>\S+)$")
MAJOR = re.compile(r"^v?(\d+)(?:\.\d+){0,2}$")
SHA = re.compile(r"^[0-9a-f]{40}$")
NODE16 = "runs on Node 16, which GitHub deprecated"


class Support(NamedTuple):
    """The lowest major GitHub still runs, and why older ones fail."""

    min_major: int
    why: str


SUPPORTED: dict[str, Support] = {
    "actions/upload-artifact": Support(
        4, "actions/upload-artifact v3 and older are rejected by GitHub since 2025-01-30"
    ),
    "actions/download-artifact": Support(
        4, "actions/download-artifact v3 and older are rejected by GitHub since 2025-01-30"
    ),
    "actions/cache": Support(4, "actions/cache older than v4 fails since 2025-02-01 (cache service v2)"),
    "actions/checkout": Support(4, f"actions/checkout v3 {NODE16}"),
    "actions/setup-python": Support(5, f"actions/setup-python v4 {NODE16}"),
    "actions/setup-node": Support(4, f"actions/setup-node v3 {NODE16}"),
    "actions/setup-java": Support(4, f"actions/setup-java v3 {NODE16}"),
    "actions/github-script": Support(7, f"actions/github-script v6 {NODE16}"),
    "actions/upload-pages-artifact": Support(
        3, "actions/upload-pages-artifact v2 and older use upload-artifact v3"
    ),
    "actions/deploy-pages": Support(4, "actions/deploy-pages v3 and older need the v3 artifact service"),
    "peter-evans/create-pull-request": Support(6, f"peter-evans/create-pull-request v5 {NODE16}"),
}
"""Minimum supported majors (gha-logs.md); with no `version` the template moves to this major."""


class ActionVersionParams(Params):
    action: str
    """The action, e.g. `actions/upload-artifact`; `actions/cache` also covers cache/restore and cache/save."""
    version: str | None = None
    """The target tag, e.g. `v4`; default the lowest supported major."""
    files: list[str] | None = None
    """Workflow globs to limit the change to; default every workflow."""

    @field_validator("version")
    @classmethod
    def _major_tag(cls, value: str | None) -> str | None:
        if value is not None and not MAJOR.match(value):
            raise ValueError(f"version must be a tag like v4 or v4.2.0, not {value!r}")
        return value


def support_for(action: str) -> Support | None:
    """The deprecation facts for an action or a sub-action (actions/cache/restore → actions/cache)."""
    parts = action.split("/")
    return SUPPORTED.get("/".join(parts[:2]))


def target_version(params: ActionVersionParams) -> str:
    """The tag to move to; refuses a deprecated major with the reason."""
    support = support_for(params.action)
    if params.version is None:
        if support is None:
            raise NotApplicable(f"no known supported version of {params.action}: pass version")
        return f"v{support.min_major}"
    major = int(MAJOR.match(params.version).group(1))
    if support and major < support.min_major:
        raise NotApplicable(
            f"refusing {params.action}@{params.version}: {support.why}; use v{support.min_major} or later"
        )
    return params.version


def covers(action: str, name: str) -> bool:
    """True when a `uses:` name is the action or one of its sub-actions."""
    return name == action or name.startswith(action + "/")


def retag(text: str, node, version: str, skipped: list[dict]) -> tuple[int, int, str] | None:
    """A replacement of a `uses:` ref by `version`, or None (same major, newer, or SHA-pinned)."""
    match = USES.match(scalar(node))
    ref, target = match.group("ref"), int(MAJOR.match(version).group(1))
    current = MAJOR.match(ref)
    if current is None:
        skipped.append(
            {"uses": scalar(node), "why": "pinned by SHA" if SHA.match(ref) else "not a version tag"}
        )
        return None
    if int(current.group(1)) >= target:
        if int(current.group(1)) > target:
            skipped.append({"uses": scalar(node), "why": "already newer; not downgrading"})
        return None
    offset = source(text, node).rfind("@" + ref) + 1
    start = node.start_mark.index + offset
    return start, start + len(ref), version


def action_version(files: Files, params: ActionVersionParams) -> Change:
    """Move every `uses: <action>@<old major>` to the supported major, keeping quotes and comments."""
    version, change, moved, skipped = target_version(params), Change(), [], []
    for path, text in select_workflows(files, params.files).items():
        replacements = []
        for mapping in walk_mappings(compose(text)):
            node = get(mapping, "uses")
            name = USES.match(scalar(node) or "")
            if name is None or not covers(params.action, name.group("name")):
                continue
            repl = retag(text, node, version, skipped)
            if repl:
                replacements.append(repl)
                moved.append({"file": path, "from": scalar(node), "to": f"{name.group('name')}@{version}"})
        if replacements:
            change.texts[path] = splice(text, replacements)
    if not moved:
        why = f" ({skipped[0]['uses']}: {skipped[0]['why']})" if skipped else ""
        raise NotApplicable(f"no {params.action} below {version} in the selected workflows{why}")
    change.resolved = {"version": version, "files": sorted(change.texts), "moved": moved, "skipped": skipped}
    return change

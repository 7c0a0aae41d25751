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
    """Which versions of an action GitHub still runs, the one a fix moves to, and why older ones fail."""

    min_major: int
    """The lowest major whose floating tag still works; below it a `uses:` is broken."""
    why: str
    target: int | None = None
    """The major a fix moves broken refs to (default `min_major`)."""
    lockstep: tuple[str, ...] = ()
    """Companion actions that must be on the same major (v4 uploads cannot be downloaded by v3)."""
    min_release: tuple[tuple[int, ...], ...] = ()
    """The first working release of a major: a ref pinned below it is broken too (`v3.3.1` < 3.4.0)."""


ARTIFACTS = ("actions/upload-artifact", "actions/download-artifact")
SUPPORTED: dict[str, Support] = {
    "actions/upload-artifact": Support(
        4, "actions/upload-artifact v3 and older are rejected by GitHub since 2025-01-30", lockstep=ARTIFACTS
    ),
    "actions/download-artifact": Support(
        4, "actions/download-artifact v3 and older are rejected by GitHub since 2025-01-30", lockstep=ARTIFACTS
    ),
    "actions/cache": Support(
        3, "actions/cache v1-v2 and releases before v3.4.0 / v4.2.0 fail since 2025-02-01 (cache service v2)",
        target=4, min_release=((3, 4, 0), (4, 2, 0)),
    ),
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
"""Deprecation facts (gha-logs.md): a fix moves only broken refs, plus lockstep companions below its major."""


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


def family(action: str) -> str:
    """The action a `uses:` name belongs to: actions/cache/restore → actions/cache."""
    return "/".join(action.split("/")[:2])


def support_for(action: str) -> Support | None:
    """The deprecation facts for an action or a sub-action (actions/cache/restore → actions/cache)."""
    return SUPPORTED.get(family(action))


def target_version(params: ActionVersionParams) -> str:
    """The tag to move to; refuses a deprecated major with the reason."""
    support = support_for(params.action)
    if params.version is None:
        if support is None:
            raise NotApplicable(f"no known supported version of {params.action}: pass version")
        return f"v{support.target or support.min_major}"
    major = int(MAJOR.match(params.version).group(1))
    if support and major < support.min_major:
        raise NotApplicable(
            f"refusing {params.action}@{params.version}: {support.why}; use v{support.min_major} or later"
        )
    return params.version


def release(ref: str) -> tuple[int, ...]:
    """The numbers of a version tag: v3.3.1 → (3, 3, 1)."""
    return tuple(int(n) for n in ref.lstrip("v").split("."))


def needs_move(name: str, ref: str, params: ActionVersionParams, target: int) -> bool:
    """Is this `uses:` broken (or a lockstep companion below the target major) for this fix?"""
    numbers, support = release(ref), support_for(name)
    if family(name) != family(params.action):
        lockstep = support_for(params.action).lockstep if support_for(params.action) else ()
        return family(name) in lockstep and numbers[0] < target
    if support is None:
        return numbers[0] < target
    floor = next((first for first in support.min_release if first[0] == numbers[0]), None)
    return numbers[0] < support.min_major or (len(numbers) > 1 and floor is not None and numbers < floor)


def in_scope(name: str, params: ActionVersionParams) -> bool:
    """Is this `uses:` name the fix's action family, or one of its lockstep companions?"""
    support = support_for(params.action)
    return family(name) == family(params.action) or bool(support and family(name) in support.lockstep)


def retag(text: str, node, version: str, params: ActionVersionParams,
          skipped: list[dict]) -> tuple[int, int, str] | None:
    """A replacement of a `uses:` ref by `version`, or None (working, newer, or SHA-pinned)."""
    match = USES.match(scalar(node))
    name, ref, target = match.group("name"), match.group("ref"), int(MAJOR.match(version).group(1))
    if MAJOR.match(ref) is None:
        skipped.append(
            {"uses": scalar(node), "why": "pinned by SHA" if SHA.match(ref) else "not a version tag"}
        )
        return None
    if not needs_move(name, ref, params, target):
        if release(ref)[0] > target:
            skipped.append({"uses": scalar(node), "why": "already newer; not downgrading"})
        return None
    offset = source(text, node).rfind("@" + ref) + 1
    start = node.start_mark.index + offset
    return start, start + len(ref), version


def action_version(files: Files, params: ActionVersionParams) -> Change:
    """Move every broken `uses: <action>@<ref>` (and lockstep companions) to the target, keeping quotes."""
    version, change, moved, skipped = target_version(params), Change(), [], []
    for path, text in select_workflows(files, params.files).items():
        replacements = []
        for mapping in walk_mappings(compose(text)):
            node = get(mapping, "uses")
            name = USES.match(scalar(node) or "")
            if name is None or not in_scope(name.group("name"), params):
                continue
            repl = retag(text, node, version, params, skipped)
            if repl:
                replacements.append(repl)
                moved.append({"file": path, "from": scalar(node), "to": f"{name.group('name')}@{version}"})
        if replacements:
            change.texts[path] = splice(text, replacements)
    if not moved:
        why = f" ({skipped[0]['uses']}: {skipped[0]['why']})" if skipped else ""
        raise NotApplicable(f"no broken {params.action} to move to {version} in the selected workflows "
                            f"(working refs are left alone){why}")
    change.resolved = {"version": version, "files": sorted(change.texts), "moved": moved, "skipped": skipped}
    return change

"""Does a human's fix have the shape of a fix template? Guess params from the diff, re-apply, compare.

A template fits when, applied to the files before the fix, it yields exactly the files after it
(every file the human changed, nothing else). Guesses come from what changed: a `uses:` ref
(action_version), a container image (container_image), a vcpkg override, dependency or baseline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from tools.fixes import TEMPLATES, NotApplicable, apply_template
from tools.fixes.base import CI_GLOBS, Files, matches_any

USES = re.compile(r"uses:\s*['\"]?([^@\s'\"]+)@([\w.-]+)")
IMAGE = re.compile(r"(?:container|image):\s*['\"]?([a-z0-9][a-z0-9._/:@-]*[a-z0-9])['\"]?\s*$", re.MULTILINE)
MANIFEST = re.compile(r"(?:^|/)vcpkg\.json$")
CONFIG = re.compile(r"(?:^|/)vcpkg-configuration\.json$")
Guess = Callable[[Files, Files], list[dict[str, Any]]]


def _workflows(changed: Files) -> list[str]:
    return sorted(p for p in changed if matches_any(p, CI_GLOBS))


def _scoped(params: dict[str, Any], after: Files) -> list[dict[str, Any]]:
    """The params as they are, then limited to the workflows the human changed."""
    return [params, {**params, "files": _workflows(after)}]


def guess_action_version(before: Files, after: Files) -> list[dict[str, Any]]:
    out = []
    for path in _workflows(after):
        old = dict(USES.findall(before.get(path) or ""))
        for action, ref in USES.findall(after[path]):
            if action in old and old[action] != ref:
                out += _scoped({"action": action, "version": ref}, after)
    return out


def guess_container_image(before: Files, after: Files) -> list[dict[str, Any]]:
    out = []
    for path in _workflows(after):
        new = set(IMAGE.findall(after[path])) - set(IMAGE.findall(before.get(path) or ""))
        for image in sorted(new):
            for bump in (True, False):
                out += _scoped({"image": image, "bump_cache_key": bump}, after)
    return out


def _json(text: str | None) -> dict[str, Any]:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def guess_vcpkg(before: Files, after: Files) -> list[tuple[str, dict[str, Any]]]:
    """(template, params) for changed overrides, added dependencies and moved baselines."""
    out: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(after):
        old, new = _json(before.get(path)), _json(after[path])
        if MANIFEST.search(path):
            known = {json.dumps(o, sort_keys=True) for o in old.get("overrides") or []}
            for entry in new.get("overrides") or []:
                version = next((entry[k] for k in ("version", "version-semver", "version-date", "version-string")
                                if k in entry), None)
                if json.dumps(entry, sort_keys=True) not in known and version:
                    params = {"name": entry.get("name"), "version": version, "manifest": path}
                    out.append(("vcpkg_override", params | ({"port_version": entry["port-version"]}
                                                           if "port-version" in entry else {})))
            names = {d if isinstance(d, str) else d.get("name") for d in old.get("dependencies") or []}
            out += [("vcpkg_dependency_add", {"name": d, "manifest": path})
                    for d in new.get("dependencies") or [] if isinstance(d, str) and d not in names]
        if CONFIG.search(path):
            sha = (new.get("default-registry") or {}).get("baseline")
            if sha and sha != (old.get("default-registry") or {}).get("baseline"):
                out.append(("vcpkg_baseline", {"baseline": sha, "config": path}))
    return out


def guesses(before: Files, after: Files) -> list[tuple[str, dict[str, Any]]]:
    """Every (template, params) the diff suggests, most specific first."""
    out = [("action_version", p) for p in guess_action_version(before, after)]
    out += [("container_image", p) for p in guess_container_image(before, after)]
    return out + guess_vcpkg(before, after)


def yields(name: str, params: dict[str, Any], files: Files, after: Files) -> bool:
    """Does the template, applied to the pre-fix files, change exactly what the human changed, the same way?"""
    try:
        result = apply_template(name, files, params)
    except (NotApplicable, ValueError, KeyError, RuntimeError):
        return False
    produced = {edit.path: edit.new for edit in result.edits}
    return produced == after


def fit_template(files: Files, after: Files) -> tuple[str, dict[str, Any]] | None:
    """The first (template, params) that reproduces the human's change from `files` (the pre-fix tree), or None.

    `after` holds every changed file's new text; a deleted file (None) never fits a template.
    """
    if any(text is None for text in after.values()):
        return None
    for name, params in guesses(files, after):
        if name in TEMPLATES and yields(name, params, files, after):
            return name, params
    return None

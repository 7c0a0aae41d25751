"""cache_key_bump: bust a stale cache by bumping `-<n>-` in actions/cache keys, or a vcpkg "$comment"."""

from __future__ import annotations

import json
import re
from typing import Literal

from tools.fixes import jsonspan
from tools.fixes.base import Change, Files, NotApplicable, Params, select_workflows, splice
from tools.fixes.yamlspan import compose, get, scalar, source, walk_steps

CACHE_ACTION = re.compile(r"^actions/cache(?:/(?:restore|save))?@")
BUST_MARK = re.compile(r"cache[- ]bust\D{0,3}(\d+)", re.IGNORECASE)


class CacheKeyBumpParams(Params):
    prefix: str | None = None
    """Only bump the number that follows `<prefix>-` (e.g. `vcpkg`, `LinuxD-vcpkg`)."""
    files: list[str] | None = None
    """Workflow globs to limit the change to; default every workflow."""
    mode: Literal["key", "vcpkg_comment"] = "key"
    """`key`: bump the number in cache keys; `vcpkg_comment`: add/bump a "$comment" in the manifest."""
    manifest: str = "base/vcpkg.json"
    """The vcpkg manifest for mode vcpkg_comment."""


def number_pattern(prefix: str | None) -> re.Pattern[str]:
    """The key segment to bump: the first `-<n>-` (or a trailing `-<n>`), or the `<n>` right after `<prefix>-`."""
    if prefix:
        return re.compile(rf"(?<=\b{re.escape(prefix)}-)(\d+)(?=-|$|[\s'\"])")
    return re.compile(r"(?<=-)(\d+)(?=-|['\"]?\s*\Z)")


def version_slot(key_source: str, prefix: str | None) -> int | None:
    """Where a key without a version number gets one: after `<prefix>-`, else before `-${{ hashFiles(…) }}`."""
    if prefix:
        match = re.search(rf"\b{re.escape(prefix)}-", key_source)
        return match.end() if match else None
    match = re.search(r"-\$\{\{[^}]*hashFiles\(", key_source)
    return match.start() + 1 if match else None


def restore_edits(text: str, restore, prefix: str | None, old: int, new: str) -> list[tuple[int, int, str]]:
    """Bump the same number in the step's restore-keys (kept in step with the key)."""
    if scalar(restore) is None:
        return []
    rbase, rtext = restore.start_mark.index, source(text, restore)
    after = rf"(?<=\b{re.escape(prefix)}-)" if prefix else "(?<=-)"
    loose = re.compile(after + r"(\d+)(?=-|$|[\s'\"])", re.MULTILINE)
    return [(rbase + m.start(1), rbase + m.end(1), new) for m in loose.finditer(rtext) if int(m.group(1)) == old]


def restore_inserts(text: str, restore, literal: str) -> list[tuple[int, int, str]]:
    """Add the new `1-` segment to restore-keys that are exactly the key's literal prefix."""
    if scalar(restore) is None or not literal:
        return []
    rbase, rtext = restore.start_mark.index, source(text, restore)
    exact = re.compile(rf"(?:^|(?<=[\s'\"]))({re.escape(literal)})(?=$|[\s'\"])", re.MULTILINE)
    return [(rbase + m.end(1), rbase + m.end(1), "1-") for m in exact.finditer(rtext)]


def bump_step(text: str, step, pattern: re.Pattern[str], prefix: str | None = None
              ) -> tuple[list[tuple[int, int, str]], int | None]:
    """Replacements bumping one cache step's key (and matching restore-keys); returns (edits, old n)."""
    with_ = get(step, "with")
    key, restore = get(with_, "key"), get(with_, "restore-keys")
    if scalar(key) is None:
        return [], None
    base, key_source = key.start_mark.index, source(text, key)
    match = pattern.search(key_source)
    if match is not None:
        old = int(match.group(1))
        edits = [(base + match.start(1), base + match.end(1), str(old + 1))]
        return edits + restore_edits(text, restore, prefix, old, str(old + 1)), old
    slot = version_slot(key_source, prefix)
    if slot is None:
        return [], None
    literal = key_source[:slot].lstrip("'\"")
    return [(base + slot, base + slot, "1-")] + restore_inserts(text, restore, literal), 0


def bump_keys(files: Files, params: CacheKeyBumpParams, only_jobs: dict[str, set[str]] | None = None) -> Change:
    """Bump (or add) the cache-key version in every actions/cache step of the selected workflows (and jobs)."""
    change, pattern = Change(), number_pattern(params.prefix)
    bumps = []
    for path, text in select_workflows(files, params.files).items():
        replacements = []
        for job_id, step in walk_steps(compose(text)):
            if not CACHE_ACTION.match(scalar(get(step, "uses")) or ""):
                continue
            if only_jobs is not None and job_id not in only_jobs.get(path, set()):
                continue
            edits, old = bump_step(text, step, pattern, params.prefix)
            if edits:
                replacements += edits
                bumps.append({"file": path, "job": job_id, "step": scalar(get(step, "name")),
                              "from": old, "to": old + 1})
        if replacements:
            change.texts[path] = splice(text, replacements)
    if not bumps:
        where = f" with prefix {params.prefix!r}" if params.prefix else ""
        raise NotApplicable(f"no actions/cache key with a version slot{where} in the selected workflows")
    first = bumps[0]
    change.resolved = {"file": first["file"], "files": sorted(change.texts), "from": first["from"],
                       "to": first["to"], "bumps": bumps}
    return change


def bump_comment(files: Files, params: CacheKeyBumpParams) -> Change:
    """Add or bump a `"$comment": "cache bust <n>"` in the vcpkg manifest (changes hashFiles)."""
    text = files.get(params.manifest)
    if text is None:
        raise NotApplicable(f"{params.manifest} is not in the repository files")
    root, nl = jsonspan.parse(text), "\r\n" if "\r\n" in text else "\n"
    if root.kind != "object":
        raise NotApplicable(f"{params.manifest} is not a JSON object")
    current = root.get("$comment")
    if current is None:
        old, new_value = 0, "cache bust 1"
        repl = jsonspan.insert_member_first(
            text, root, "$comment", json.dumps(new_value), jsonspan.indent_step(text), nl
        )
    elif current.kind == "string":
        old, new_value = next_comment(current.value)
        repl = (current.start, current.end, json.dumps(new_value, ensure_ascii=False))
    else:
        raise NotApplicable(f'"$comment" in {params.manifest} is not a string')
    change = Change({params.manifest: splice(text, [repl])})
    change.resolved = {
        "file": params.manifest,
        "files": [params.manifest],
        "from": old,
        "to": old + 1,
        "comment": new_value,
    }
    return change


def next_comment(comment: str) -> tuple[int, str]:
    """(old bust number, new comment): bump `cache bust <n>` or append `; cache bust 1`."""
    match = BUST_MARK.search(comment)
    if match is None:
        return 0, f"{comment}; cache bust 1" if comment else "cache bust 1"
    old = int(match.group(1))
    return old, comment[: match.start(1)] + str(old + 1) + comment[match.end(1) :]


def cache_key_bump(files: Files, params: CacheKeyBumpParams) -> Change:
    """Bust a stale cache: bump the key number, or add/bump the manifest's "$comment"."""
    return bump_comment(files, params) if params.mode == "vcpkg_comment" else bump_keys(files, params)

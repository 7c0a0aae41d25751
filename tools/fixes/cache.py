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
    """The key segment to bump: the first `-<n>-`, or the `<n>` right after `<prefix>-`."""
    if prefix:
        return re.compile(rf"(?<=\b{re.escape(prefix)}-)(\d+)(?=-|$|[\s'\"])")
    return re.compile(r"(?<=-)(\d+)(?=-)")


def bump_step(text: str, step, pattern: re.Pattern[str]) -> tuple[list[tuple[int, int, str]], int | None]:
    """Replacements bumping one cache step's key (and matching restore-keys); returns (edits, old n)."""
    with_ = get(step, "with")
    key = get(with_, "key")
    if scalar(key) is None:
        return [], None
    match = pattern.search(source(text, key))
    if match is None:
        return [], None
    old = int(match.group(1))
    base = key.start_mark.index
    edits = [(base + match.start(1), base + match.end(1), str(old + 1))]
    restore = get(with_, "restore-keys")
    if scalar(restore) is not None:
        rbase, rtext = restore.start_mark.index, source(text, restore)
        loose = re.compile(pattern.pattern.replace("(?=-)", r"(?=-|$|[\s'\"])"), re.MULTILINE)
        edits += [
            (rbase + m.start(1), rbase + m.end(1), str(old + 1))
            for m in loose.finditer(rtext)
            if int(m.group(1)) == old
        ]
    return edits, old


def bump_keys(files: Files, params: CacheKeyBumpParams) -> Change:
    """Bump the cache-key number in every actions/cache step of the selected workflows."""
    change, pattern = Change(), number_pattern(params.prefix)
    bumps = []
    for path, text in select_workflows(files, params.files).items():
        replacements = []
        for job_id, step in walk_steps(compose(text)):
            if not CACHE_ACTION.match(scalar(get(step, "uses")) or ""):
                continue
            edits, old = bump_step(text, step, pattern)
            if edits:
                replacements += edits
                bumps.append(
                    {
                        "file": path,
                        "job": job_id,
                        "step": scalar(get(step, "name")),
                        "from": old,
                        "to": old + 1,
                    }
                )
        if replacements:
            change.texts[path] = splice(text, replacements)
    if not bumps:
        where = f" with prefix {params.prefix!r}" if params.prefix else ""
        raise NotApplicable(f"no actions/cache key with a numeric segment{where} in the selected workflows")
    first = bumps[0]
    change.resolved = {
        "file": first["file"],
        "files": sorted(change.texts),
        "from": first["from"],
        "to": first["to"],
        "bumps": bumps,
    }
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

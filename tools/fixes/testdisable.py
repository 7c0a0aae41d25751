"""test_disable: switch one test off, always with an owner, an expiry date and a linked issue."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import Field

from tools.fixes.base import (
    Change,
    Files,
    NotApplicable,
    Params,
    indent_at,
    line_start,
    matches_any,
    newline_of,
    select_workflows,
    splice,
)
from tools.fixes.cpptests import boost_hits, gtest_hits
from tools.fixes.shell import command_scalars, find_commands
from tools.fixes.yamlspan import compose, line_of, walk_steps

SOURCE_GLOBS = ("base/test/**", "test/**", "tests/**")
SOURCE_SUFFIXES = (".cpp", ".cc", ".cxx", ".cu", ".h", ".hpp")
CTEST = re.compile(r"\bctest\b")
EXCLUDE = re.compile(r"(?:-E|--exclude-regex)(?:\s+|=)(?P<arg>'[^']*'|\"[^\"]*\"|[^\s'\"]+)")


class TestDisableParams(Params):
    test: str = Field(pattern=r"^[A-Za-z0-9_./:-]+$")
    """`Suite.Name` (gtest), `suite/name` (Boost.Test) or a CTest test name."""
    framework: Literal["gtest", "boost", "ctest"] | None = None
    """Which framework; default: gtest or Boost.Test, whichever defines it (ctest only when named)."""
    owner: str = Field(pattern=r"^@?[A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9._-]+)?$")
    """Who re-enables it: a GitHub login or team."""
    expires: date
    """When the disable must be revisited (YYYY-MM-DD)."""
    issue: str = Field(pattern=r"^(?:https://\S+/issues/\d+|[\w.-]+/[\w.-]+#\d+|#\d+)$")
    """The tracking issue: URL, `owner/repo#N` or `#N`."""
    file: str | None = None
    """A path or glob to look in; default the test sources (or the workflows for ctest)."""


def comment_for(params: TestDisableParams) -> str:
    """The note written next to the change."""
    return f"devops-agent: disabled {params.test}; owner {params.owner}; expires {params.expires}; issue {params.issue}"


def source_hits(files: Files, params: TestDisableParams, finder) -> list:
    """Hits of one source finder over the test sources (or the `file` glob)."""
    globs = [params.file] if params.file else SOURCE_GLOBS
    hits = []
    for path, text in sorted(files.items()):
        if matches_any(path, globs) and path.endswith(SOURCE_SUFFIXES):
            hits += finder(path, text, params.test, comment_for(params), newline_of(text))
    return hits


def ctest_exclusion(text: str, start: int, end: int, name: str, yaml_style) -> tuple[int, int, str]:
    """Extend the command's `-E` regex with `^name$`, or add `-E '^name$'` after `ctest`."""
    pattern = f"^{name}$"
    existing = EXCLUDE.search(text, start, end)
    if existing is None:
        word = f"'{pattern}'".replace("'", "''") if yaml_style == "'" else f"'{pattern}'"
        at = CTEST.match(text, start).end()
        return at, at, f" -E {word}"
    arg, (s, e) = existing.group("arg"), existing.span("arg")
    if arg[0] in "'\"":
        return e - 1, e - 1, f"|{pattern}"
    quote = "''" if yaml_style == "'" else "'"
    return s, e, f"{quote}{arg}|{pattern}{quote}"


def ctest_change(files: Files, params: TestDisableParams) -> Change | None:
    """Exclude the test in every ctest command of the selected workflows (None when there is none)."""
    change, where = Change(), []
    comment = comment_for(params)
    for path, text in select_workflows(files, [params.file] if params.file else None).items():
        repls, nl, root = [], newline_of(text), compose(text)
        for node in command_scalars(root):
            for start, end in find_commands(text, node, CTEST):
                if f"^{params.test}$" in text[start:end]:
                    raise NotApplicable(f"{params.test} is already excluded in {path}")
                repls.append(ctest_exclusion(text, start, end, params.test, node.style))
                repls.append(ctest_comment(text, root, node, start, comment, nl))
                where.append({"file": path, "line": text.count("\n", 0, start) + 1})
        if repls:
            change.texts[path] = splice(text, repls)
    if not where:
        return None
    change.resolved = {"framework": "ctest", "locations": where}
    return change


def ctest_comment(text: str, root, node, start: int, comment: str, nl: str) -> tuple[int, int, str]:
    """A shell comment above the ctest line in a `run: |` block, else a YAML comment above `run:`."""
    if node.style == "|":
        at = line_start(text, start)
        return at, at, f"{indent_at(text, start)}# {comment}{nl}"
    key = next((k for _, step in walk_steps(root) for k, v in step.value if v is node), None)
    at, indent = line_of(text, key or node)
    return at, at, f"{indent}# {comment}{nl}"


def source_change(files: Files, params: TestDisableParams, framework: str) -> Change | None:
    """Disable the test in C++ sources, or None when this framework does not define it."""
    hits = source_hits(files, params, gtest_hits if framework == "gtest" else boost_hits)
    if not hits:
        return None
    if len(hits) > 1:
        raise NotApplicable(f"{params.test} is defined {len(hits)} times; name the suite or pass file")
    hit = hits[0]
    change = Change({hit.path: splice(files[hit.path], hit.replacements)})
    change.resolved = {"framework": framework, "locations": [{"file": hit.path, "line": hit.line}]}
    return change


def test_disable(files: Files, params: TestDisableParams) -> Change:
    """Disable one test (gtest, Boost.Test or CTest) and note owner, expiry and issue beside it."""
    order = (
        [params.framework] if params.framework else ["gtest", "boost"]
    )  # ctest names are unverifiable: explicit only
    for framework in order:
        change = (
            ctest_change(files, params) if framework == "ctest" else source_change(files, params, framework)
        )
        if change is not None:
            change.resolved |= {"owner": params.owner, "expires": str(params.expires), "issue": params.issue}
            return change
    raise NotApplicable(f"test {params.test} not found ({', '.join(order)}); for CTest pass framework: ctest")

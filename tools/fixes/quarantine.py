"""quarantine_test / release_quarantine: exclude flaky tests in the runner's own terms, with an expiry note."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import Field, field_validator

from tools.fixes.base import (
    Change,
    Files,
    NotApplicable,
    Params,
    newline_of,
    next_line_start,
    select_workflows,
    splice,
)
from tools.fixes.shell import command_end, command_scalars, find_commands, insertion_point
from tools.fixes.testdisable import EXCLUDE, ctest_comment
from tools.fixes.yamlspan import compose

Framework = Literal["boost", "gtest", "ctest", "pytest"]
TEST_NAME = r"^[A-Za-z0-9_./:\[\]+-]+$"
"""Test names a quarantine accepts: no shell, YAML, Markdown or @-mention characters."""
ISSUE = r"^(?:https://\S+/issues/\d+|[\w.-]+/[\w.-]+#\d+|#\d+)$"
NOTE = re.compile(r"devops-agent quarantine: (?P<test>\S+) \((?P<framework>\w+)\) until (?P<until>\d{4}-\d{2}-\d{2})"
                  r" issue (?P<issue>\S+)(?: owner (?P<owner>\S+))?")
"""The comment every quarantine carries, so the agent can find and release it."""
ANCHORS = {
    "boost": re.compile(r"--(?:log_format|log_sink|log_level|report_level|report_format|output_format|run_test)[= ]"),
    "gtest": re.compile(r"--gtest_(?!list_tests)\w+"),
    "ctest": re.compile(r"\bctest\b"),
    "pytest": re.compile(r"(?:\bpython3?\s+-m\s+)?\bpytest\b"),
}
"""Where each runner's command is recognised: Boost.Test and GoogleTest by their own options."""
GTEST_FILTER = re.compile(r"--gtest_filter=(?P<arg>[^\s'\"]*)")


class QuarantineParams(Params):
    tests: list[str] = Field(min_length=1, max_length=20)
    """Tests as the runner names them: `suite/case` (Boost.Test), `Suite.Name` (GoogleTest), a CTest name,
    `path::test` (pytest)."""
    framework: Framework
    """The runner whose command line gets the exclusion."""
    expires: date
    """When the agent proposes to release the quarantine (YYYY-MM-DD)."""
    issue: str = Field(pattern=ISSUE)
    """The tracking issue: URL, `owner/repo#N` or `#N`."""
    owner: str | None = Field(None, pattern=r"^@?[A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9._-]+)?$")
    """Who owns the test (CODEOWNERS), noted beside the exclusion."""
    files: list[str] | None = None
    """Workflow globs to limit the change to; default every workflow running the framework."""
    command: str | None = None
    """A regex the test command line must match (e.g. `aprapipesut`); default any command of the framework."""

    @field_validator("tests")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        bad = [t for t in value if not re.match(TEST_NAME, t)]
        if bad:
            raise ValueError(f"not a test name: {bad[0]!r}")
        return list(dict.fromkeys(value))


class ReleaseParams(Params):
    test: str = Field(pattern=TEST_NAME)
    """The quarantined test to put back."""
    framework: Framework
    files: list[str] | None = None
    """Workflow globs to limit the change to."""


def note_for(test: str, params: QuarantineParams) -> str:
    owner = f" owner {params.owner}" if params.owner else ""
    return f"devops-agent quarantine: {test} ({params.framework}) until {params.expires} issue {params.issue}{owner}"


def ctest_regex(test: str) -> str:
    """The anchored CTest regex of one test name (regex characters escaped)."""
    return "^" + re.sub(r"([.+\[\]])", r"\\\1", test) + "$"


def command_spans(text: str, node, framework: str, command: str | None):
    """(start, end) of each command of the framework in a scalar; start is the anchor (Boost/GoogleTest option)."""
    if framework in ("ctest", "pytest"):
        spans = find_commands(text, node, ANCHORS[framework])
    else:
        spans = anchor_spans(text, node, ANCHORS[framework])
    for start, end in spans:
        head = text.rfind("\n", 0, start) + 1
        if command is None or re.search(command, text[head:end]):
            yield start, end


def anchor_spans(text: str, node, anchor: re.Pattern[str]):
    """Commands holding a runner option: from the first option on a line to the command's end."""
    start, stop, last_line = node.start_mark.index, node.end_mark.index, -1
    for match in anchor.finditer(text, start, stop):
        head = text.rfind("\n", 0, match.start()) + 1
        if head == last_line or "#" in text[head:match.start()].split("${{")[0]:
            continue
        last_line = head
        yield match.start(), command_end(text, match.end(), stop)


def exclusion(text: str, start: int, end: int, tests: list[str], framework: str, style) -> list[tuple[int, int, str]]:
    """The replacements that exclude `tests` from one command."""
    at = insertion_point(text, start, end)
    if framework == "boost":
        return [(at, at, "".join(f" --run_test=!{t}" for t in tests))]
    if framework == "pytest":
        return [(at, at, "".join(f" --deselect {t}" for t in tests))]
    if framework == "gtest":
        return gtest_exclusion(text, start, end, tests, at)
    return ctest_exclusion(text, start, end, tests, style)


def gtest_exclusion(text: str, start: int, end: int, tests: list[str], at: int) -> list[tuple[int, int, str]]:
    """`--gtest_filter=-A.B:C.D`, or the negative part of an existing filter extended."""
    existing = GTEST_FILTER.search(text, start, end)
    if existing is None:
        return [(at, at, " --gtest_filter=-" + ":".join(tests))]
    arg, e = existing.group("arg"), existing.end("arg")
    return [(e, e, (":" if "-" in arg and not arg.endswith("-") else "" if arg.endswith("-") else "-")
             + ":".join(tests))]


def ctest_exclusion(text: str, start: int, end: int, tests: list[str], style) -> list[tuple[int, int, str]]:
    """Extend the command's `-E` regex, or add `-E '^a$|^b$'` after `ctest`."""
    pattern = "|".join(ctest_regex(t) for t in tests)
    existing = EXCLUDE.search(text, start, end)
    if existing is None:
        quote = "''" if style == "'" else "'"
        at = ANCHORS["ctest"].match(text, start).end()
        return [(at, at, f" -E {quote}{pattern}{quote}")]
    arg, (s, e) = existing.group("arg"), existing.span("arg")
    if arg[0] in "'\"":
        return [(e - 1, e - 1, f"|{pattern}")]
    quote = "''" if style == "'" else "'"
    return [(s, e, f"{quote}{arg}|{pattern}{quote}")]


def quarantine_test(files: Files, params: QuarantineParams) -> Change:
    """Exclude flaky tests in every command of their runner (Boost.Test `--run_test=!`, CTest `-E`,
    `--gtest_filter=-`, pytest `--deselect`), each with a note: test, expiry, issue."""
    change, where = Change(), []
    for path, text in select_workflows(files, params.files).items():
        repls, nl, root = [], newline_of(text), compose(text)
        for node in command_scalars(root):
            for start, end in command_spans(text, node, params.framework, params.command):
                fresh = [t for t in params.tests if note_for(t, params).split(" until ")[0] not in text]
                if not fresh:
                    raise NotApplicable(f"{', '.join(params.tests)} already quarantined in {path}")
                repls += exclusion(text, start, end, fresh, params.framework, node.style)
                repls += [ctest_comment(text, root, node, start, note_for(t, params), nl) for t in fresh]
                where.append({"file": path, "line": text.count("\n", 0, start) + 1})
        if repls:
            change.texts[path] = splice(text, repls)
    if not where:
        raise NotApplicable(f"no {params.framework} test command found in the workflows")
    change.resolved = {"locations": where, "expires": str(params.expires)}
    return change


def release_edits(text: str, test: str, framework: str) -> list[tuple[int, int, str]]:
    """Remove one test's note lines and its exclusion (and nothing else) from a workflow text."""
    repls = []
    for note in NOTE.finditer(text):
        if note.group("test") == test and note.group("framework") == framework:
            head = text.rfind("\n", 0, note.start()) + 1
            repls.append((head, next_line_start(text, note.start()), ""))
    if framework in ("boost", "pytest"):
        flag = " --run_test=!" if framework == "boost" else " --deselect "
        pattern = re.compile(re.escape(flag + test) + r"(?=[\s'\"]|$)", re.MULTILINE)
        return repls + [(m.start(), m.end(), "") for m in pattern.finditer(text)]
    if framework == "gtest":
        return repls + [r for m in GTEST_ARG.finditer(text) if (r := gtest_release(m, test))]
    return repls + [r for m in CTEST_ARG.finditer(text) if (r := ctest_release(m, test))]


GTEST_ARG = re.compile(r" --gtest_filter=(?P<arg>[^\s'\"]*)")
CTEST_ARG = re.compile(r" (?:-E|--exclude-regex)(?:\s+|=)(?P<q>''|'|\"|)(?P<arg>[^\s'\"]+)(?P=q)")


def gtest_release(m: re.Match[str], test: str) -> tuple[int, int, str] | None:
    """The filter without `test` among its negative patterns (the whole option when nothing is left)."""
    positive, _, negative = m.group("arg").partition("-")
    kept = [t for t in negative.split(":") if t and t != test]
    if kept == [t for t in negative.split(":") if t]:
        return None
    if not positive and not kept:
        return m.start(), m.end(), ""
    arg = positive + ("-" + ":".join(kept) if kept else "")
    return m.start("arg"), m.end("arg"), arg


def ctest_release(m: re.Match[str], test: str) -> tuple[int, int, str] | None:
    """The `-E` regex without `^test$` (the whole option when nothing is left)."""
    parts = m.group("arg").split("|")
    kept = [p for p in parts if p != ctest_regex(test)]
    if kept == parts:
        return None
    return (m.start(), m.end(), "") if not kept else (m.start("arg"), m.end("arg"), "|".join(kept))


def release_quarantine(files: Files, params: ReleaseParams) -> Change:
    """Put one quarantined test back: remove exactly its exclusion and its quarantine note."""
    change, where = Change(), []
    for path, text in select_workflows(files, params.files).items():
        repls = release_edits(text, params.test, params.framework)
        if repls:
            change.texts[path] = splice(text, repls)
            where.append(path)
    if not where:
        raise NotApplicable(f"{params.test} is not quarantined in the workflows")
    change.resolved = {"files": where}
    return change


def quarantines(files: Files) -> list[dict[str, str]]:
    """Every quarantine note in the workflows: test, framework, until, issue, owner, file."""
    found = []
    for path, text in sorted(files.items()):
        for note in NOTE.finditer(text):
            found.append({**{k: v for k, v in note.groupdict().items() if v}, "file": path})
    return found

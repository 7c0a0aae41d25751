"""Disabling one C++ test in source: GoogleTest `DISABLED_` names, Boost.Test `disabled()` decorators."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tools.fixes.base import NotApplicable, indent_at, line_start

GTEST = re.compile(
    r"\b(?:TEST|TEST_F|TEST_P|TYPED_TEST|TYPED_TEST_P)\s*\(\s*(?P<suite>\w+)\s*,\s*(?P<name>\w+)\s*\)"
)
BOOST_CASE = re.compile(r"\bBOOST_(?P<kind>AUTO|FIXTURE)_TEST_CASE\s*\(")
BOOST_SUITE = re.compile(
    r"\bBOOST_(?:AUTO|FIXTURE)_TEST_SUITE\s*\(\s*(?P<name>\w+)|\bBOOST_AUTO_TEST_SUITE_END\s*\("
)
DISABLED_ARG = ", *boost::unit_test::disabled()"
DISABLED_MORE = " * boost::unit_test::disabled()"


@dataclass
class Hit:
    """Where a test is defined and the replacements that disable it (plus the comment line)."""

    path: str
    line: int
    replacements: list[tuple[int, int, str]]


def comment_line(text: str, at: int, comment: str, nl: str) -> tuple[int, int, str]:
    """A `// comment` line inserted above the line holding `at`, at the same indentation."""
    start = line_start(text, at)
    return start, start, f"{indent_at(text, at)}// {comment}{nl}"


def gtest_hits(path: str, text: str, test: str, comment: str, nl: str) -> list[Hit]:
    """GoogleTest definitions of `Suite.Name` (or `Name`), renamed to `DISABLED_Name`."""
    suite, _, name = test.rpartition(".")
    hits = []
    for m in GTEST.finditer(text):
        if m.group("name").removeprefix("DISABLED_") != name or (suite and m.group("suite") != suite):
            continue
        if m.group("name").startswith("DISABLED_"):
            raise NotApplicable(f"{test} is already disabled in {path}")
        repls = [(m.start("name"), m.start("name"), "DISABLED_"), comment_line(text, m.start(), comment, nl)]
        hits.append(Hit(path, text.count("\n", 0, m.start()) + 1, repls))
    return hits


def closing_paren(text: str, open_at: int) -> int:
    """Offset of the `)` matching the `(` at `open_at`."""
    depth = 0
    for i in range(open_at, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i
    raise NotApplicable("unbalanced parentheses in a test case declaration")


def top_level_args(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each top-level comma-separated argument between start and end."""
    args, depth, begin = [], 0, start
    for i in range(start, end):
        depth += {"(": 1, ")": -1, "<": 1, ">": -1}.get(text[i], 0)
        if text[i] == "," and depth == 0:
            args.append((begin, i))
            begin = i + 1
    return args + [(begin, end)]


def suite_at(text: str, offset: int) -> str:
    """The Boost.Test suite path (`a/b`) in force at an offset."""
    stack: list[str] = []
    for m in BOOST_SUITE.finditer(text, 0, offset):
        if m.group("name"):
            stack.append(m.group("name"))
        elif stack:
            stack.pop()
    return "/".join(stack)


def boost_hits(path: str, text: str, test: str, comment: str, nl: str) -> list[Hit]:
    """Boost.Test cases named `name` (or `suite/name`), given a `disabled()` decorator."""
    suite, _, name = test.rpartition("/")
    hits = []
    for m in BOOST_CASE.finditer(text):
        close = closing_paren(text, m.end() - 1)
        args = top_level_args(text, m.end(), close)
        if text[slice(*args[0])].strip() != name or (suite and suite_at(text, m.start()) != suite):
            continue
        if "disabled()" in text[m.end() : close]:
            raise NotApplicable(f"{test} is already disabled in {path}")
        last_end = args[-1][0] + len(text[slice(*args[-1])].rstrip())
        plain = len(args) == (1 if m.group("kind") == "AUTO" else 2)
        repls = [
            (last_end, last_end, DISABLED_ARG if plain else DISABLED_MORE),
            comment_line(text, m.start(), comment, nl),
        ]
        hits.append(Hit(path, text.count("\n", 0, m.start()) + 1, repls))
    return hits

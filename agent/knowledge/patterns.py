"""RE2 patterns learned from a failure's root-cause lines: literal words, variable parts masked like signatures.

`line_pattern` turns one log line into a pattern the way `normalise_line` sees it: what the normaliser
keeps (words, identifiers with digits, a path's file name, meaningful numbers) stays literal and
escaped; what it masks (numbers, hex ids, directories, temp names, timestamps, durations, GUIDs,
redactions) becomes a class that matches any value of that kind. `separating_patterns` picks the
first root-cause line (or pair of lines) whose pattern matches this failure and no other stored one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import re2

from agent.logs.signature import normalise_line
from agent.logs.toolchains import ERROR_WORDS

MAX_PATTERN_SOURCE = 160
"""Characters of a normalised line a pattern covers: a line's tail is payload that varies."""
MIN_LITERAL_CHARS = 12
"""Letters a pattern must keep literally; fewer says nothing about which failure it is."""
MASKS = {
    "<n>": r"[0-9A-Fa-fx.]+",
    "<path>/": r"\S*[\\/]",
    "<path>": r"\S+",
    "<tmp>": r"\S+",
    "<ts>": r"[0-9][0-9TZ:.,/ +-]*",
    "<dur>": r"[0-9.]+\s?[A-Za-z]+(?:\s?[0-9.]+\s?[A-Za-z]+)*",
    "<guid>": r"[0-9A-Fa-f-]{36}",
    "<redacted>": r"\S+",
}
_ERROR_WORD = re2.compile(ERROR_WORDS)
_TOKENS = re.compile("|".join(re.escape(token) for token in MASKS) + r"|\s+")
GENERIC = re2.compile(
    r"(?i)process completed with exit code|^error:?$|^##\[error\]$|make(?:\[<n>\])?: \*\*\*|ninja: build stopped|"
    r"^error: command failed|^the command .* exited with|returned non-zero exit status|^failed$|build failed|"
    r"^CMake (?:Error|Warning)(?: \(dev\))? at .*\):$"
)
"""Lines every failure of a kind prints (the exit-code boundary, make's summary, a CMake message header that
names only where the message came from): never a pattern alone."""


@dataclass
class Candidate:
    """A root-cause line and the pattern learned from it."""

    line: str
    pattern: str


_META = set("\\.+*?()|[]{}^$")


def _escape(text: str) -> str:
    return "".join("\\" + ch if ch in _META else ch for ch in text)


def _clip(normalised: str) -> str:
    """The head of a normalised line, cut between tokens so no mask is split."""
    if len(normalised) <= MAX_PATTERN_SOURCE:
        return normalised
    head = normalised[:MAX_PATTERN_SOURCE]
    cut = max(head.rfind(" "), head.rfind("<"))
    return head[:cut] if cut > MAX_PATTERN_SOURCE // 2 else head


def line_pattern(line: str) -> str | None:
    """An RE2 pattern for the failure this line reports, or None for a generic or wordless line."""
    normalised = _clip(normalise_line(line))
    if not normalised or GENERIC.search(normalised):
        return None
    parts, last, literal = [], 0, 0
    for token in _TOKENS.finditer(normalised):
        text = normalised[last:token.start()]
        parts.append(_escape(text))
        literal += sum(ch.isalpha() for ch in text)
        parts.append(MASKS.get(token.group(0), r"\s+"))
        last = token.end()
    parts.append(_escape(normalised[last:]))
    literal += sum(ch.isalpha() for ch in normalised[last:])
    return "".join(parts) if literal >= MIN_LITERAL_CHARS else None


def matches(patterns: list[str], lines: Iterable[str], match_all: bool = False) -> bool:
    """Do the patterns match the lines (any pattern, or every pattern when `match_all`)?"""
    compiled, text = [re2.compile(p) for p in patterns], list(lines)
    hits = [any(regex.search(line) for line in text) for regex in compiled]
    return all(hits) if match_all else any(hits)


def candidates(lines: list[str]) -> list[Candidate]:
    """One candidate per distinct root-cause line that is specific enough: lines that say what went wrong
    (an error word) first, then the rest (context the ranker kept, e.g. the build lines before the error)."""
    out, seen = [], set()
    for line in lines:
        pattern = line_pattern(line)
        if pattern and pattern not in seen and matches([pattern], [line]):
            seen.add(pattern)
            out.append(Candidate(line, pattern))
    return sorted(out, key=lambda c: _ERROR_WORD.search(c.line) is None)


def separating_patterns(own: list[str], others: list[list[str]]) -> tuple[list[str], str] | None:
    """(patterns, "any"|"all") matching `own` lines and none of `others`: one line, else a pair; None if neither."""
    found = [c for c in candidates(own) if matches([c.pattern], own)]
    for cand in found:
        if not any(matches([cand.pattern], lines) for lines in others):
            return [cand.pattern], "any"
    for i, first in enumerate(found):
        for second in found[i + 1:]:
            pair = [first.pattern, second.pattern]
            if not any(matches(pair, lines, match_all=True) for lines in others):
                return pair, "all"
    return None


def literal_pattern(line: str) -> str:
    """The naive baseline: the whole line as a literal pattern."""
    return _escape(line.strip())

"""Many RE2 patterns over many lines in one pass: a combined scan finds the lines, an RE2 Set says which.

The optional hyperscan engine and the engine choice (`line_finder`) live in agent.logs.hyperscan_lines.
"""

from __future__ import annotations

import re
from functools import cached_property

import re2

_NAMED_GROUP = re.compile(r"(?<!\\)\(\?P?<[A-Za-z_]\w*>")
MAX_MEM = 64 << 20
"""RE2 memory budget per compiled pattern set (the DFA cache)."""


def options(never_capture: bool = False) -> re2.Options:
    opts = re2.Options()
    opts.max_mem = MAX_MEM
    opts.never_capture = never_capture
    opts.log_errors = False  # a bad pattern raises re2.error; RE2 must not also print to stderr
    return opts


def uncaptured(pattern: str) -> str:
    """`pattern` with named groups made plain, so many patterns can share one regex."""
    return _NAMED_GROUP.sub("(?:", pattern)


def loose(pattern: str) -> str:
    """`pattern` without its line anchors, for scanning raw timestamped lines (a superset)."""
    pattern = uncaptured(pattern)
    pattern = pattern.removeprefix("^")
    return pattern[:-1] if pattern.endswith("$") and not pattern.endswith("\\$") else pattern


def combined(patterns: list[str], never_capture: bool = True):
    """One compiled RE2 (bytes, multi-line) matching wherever any of `patterns` matches."""
    body = "|".join(f"(?:{uncaptured(p)})" for p in patterns)
    return re2.compile(("(?m)" + body).encode("utf-8"), options(never_capture))


class MultiPattern:
    """A fixed list of RE2 patterns, matched line by line without one pass per pattern."""

    def __init__(self, patterns: list[str]):
        self.patterns = list(patterns)
        self._set = re2.Set.SearchSet(options())
        for pattern in self.patterns:
            self._set.Add(pattern.encode("utf-8"))
        if self.patterns:
            self._set.Compile()

    @cached_property
    def _any(self):
        """The combined regex `scan` needs, compiled on first use (`which` alone needs only the set)."""
        return combined(self.patterns)._regexp

    def which(self, line: str | bytes) -> list[int]:
        """Indexes of the patterns that match `line`."""
        data = line.encode("utf-8") if isinstance(line, str) else line
        return sorted(self._set.Match(data) or []) if self.patterns else []

    def scan(self, lines: list[str]) -> list[tuple[int, list[int]]]:
        """(line index, pattern indexes) for every line that some pattern matches."""
        if not self.patterns or not lines:
            return []
        data = "\n".join(lines).encode("utf-8", "replace")
        found: list[tuple[int, list[int]]] = []
        pos, counted, index = 0, 0, 0
        while pos <= len(data):
            span = self._any.Match(re2._Anchor.UNANCHORED, data, pos, len(data))[0]
            if span[0] < 0:
                break
            start = data.rfind(b"\n", 0, span[0]) + 1
            index += data.count(b"\n", counted, start)
            counted = start
            end = data.find(b"\n", span[0])
            end = len(data) if end < 0 else end
            hits = self.which(data[start:end])
            if hits:
                found.append((index, hits))
            pos = end + 1
        return found


class Re2Lines:
    """Starts of the lines of a block where a combined RE2 matches (the reference engine)."""

    engine = "re2"

    def __init__(self, patterns: list[str]):
        self.patterns = list(patterns)
        self._regex = combined(self.patterns)._regexp if self.patterns else None

    def starts(self, block: bytes) -> list[int]:
        """Start of every line some pattern matches in (one entry per line, ascending)."""
        found, pos, end = [], 0, len(block)
        while self._regex is not None and pos < end:
            span = self._regex.Match(re2._Anchor.UNANCHORED, block, pos, end)[0]
            if span[0] < 0:
                break
            found.append(block.rfind(b"\n", 0, span[0]) + 1)
            pos = block.find(b"\n", span[0]) + 1 or end
        return found

"""Shell commands inside workflow scalars: where a command starts, ends, and what words it has."""

from __future__ import annotations

import re
from collections.abc import Iterator

from yaml.nodes import ScalarNode

from tools.fixes.yamlspan import get, jobs, pairs, scalar, walk_steps

TERMINATOR = re.compile(r"[&;|<>]|(?<=\s)#")
FD_PREFIX = re.compile(r"(?<=[ \t])\d+\Z")


def command_scalars(root) -> Iterator[ScalarNode]:
    """Scalars that hold shell: step `run`, workflow_call input defaults, reusable-call `with` values."""
    for _, step in walk_steps(root):
        if scalar(get(step, "run")) is not None:
            yield get(step, "run")
    on = get(root, "on")
    for _, spec in pairs(get(get(on, "workflow_call"), "inputs")):
        if scalar(get(spec, "default")) is not None:
            yield get(spec, "default")
    for _, job in jobs(root):
        if scalar(get(job, "uses")) is not None:
            yield from (v for _, v in pairs(get(job, "with")) if isinstance(v, ScalarNode))


def find_commands(text: str, node: ScalarNode, pattern: re.Pattern[str]) -> Iterator[tuple[int, int]]:
    """(start, end) offsets of each command in a scalar's source that starts with `pattern`."""
    start, stop = node.start_mark.index, node.end_mark.index
    if node.style in ("'", '"'):
        stop -= 1
    for match in pattern.finditer(text, start, stop):
        line_head = text[text.rfind("\n", 0, match.start()) + 1 : match.start()]
        if "#" in line_head:
            continue
        yield match.start(), command_end(text, match.end(), stop)


def command_end(text: str, i: int, stop: int) -> int:
    """Where the command running from `i` ends: before a terminator, or at the end of its last line."""
    quote = None
    while i < stop:
        ch = text[i]
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"" and text[i - 1] in " \t=":
            quote = ch
        elif ch == "\\" and text[i + 1 : i + 2] == "\n":
            i += 2
            continue
        elif ch == "\\" and text[i + 1 : i + 3] == "\r\n":
            i += 3
            continue
        elif ch in "\r\n" or TERMINATOR.match(text, i):
            fd = FD_PREFIX.search(text, max(0, i - 12), i) if ch in "<>" else None
            return fd.start() if fd else i
        i += 1
    return min(i, stop)


def insertion_point(text: str, start: int, end: int) -> int:
    """Where a new word goes at the end of a command: after its last word, before any `\\`."""
    i = end
    while i > start and text[i - 1] in " \t\r\n\\":
        i -= 1
    return i


def words(text: str) -> list[str]:
    """The command's words, quotes and line continuations stripped."""
    cleaned = re.sub(r"\\\r?\n", " ", text)
    return [w.strip("'\"") for w in cleaned.split()]


def word_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int, str]]:
    """(start, end, word) for each whitespace-separated word of a command, offsets in `text`."""
    for match in re.finditer(r"[^\s\\]+", text[start:end]):
        yield start + match.start(), start + match.end(), match.group(0)

"""Rank a failure's lines by how much they look like its cause, in any language and toolchain.

A line scores by its error shape (a toolchain's cause or block header beats a bare error word; a
summary line — `BUILD FAILED`, `make: *** Error 1` — is capped low), by what error lines look like
anywhere (an error word near its start, an exception name, a file:line location), by its distance
above the failure boundary, and down when it repeats an earlier line's shape, reads like a warning,
a pass or a command, or (with a last green log) also appears in the green run. Lines are grouped
into blocks (a failing test's header with its message, a traceback with its final exception line)
that rank and print together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.logs.model import Step
from agent.logs.shapes import SHAPES
from agent.logs.toolchains import ERROR_WORDS

ROLE_SCORE = {"cause": 6.0, "header": 6.0, "summary": 0.0, "word": 0.0}
SUMMARY_CAP = 1.0
MIN_SCORE = 4.5
"""Blocks scoring below this are not root-cause lines (a summary line stands in when nothing else does)."""
PROXIMITY, HALF_LIFE = 3.0, 200
"""Bonus for a line just above the failure boundary, halved every HALF_LIFE lines further up."""
TEXT_PROXIMITY = 7.0
"""The same bonus in a text log: its boundary is the only thing that says where the failed command ran (an
Actions log has already narrowed the search to the failed step)."""
AFTER_BOUNDARY = 6.0
REPEATED_SHAPE = 3.5
"""Penalty for a line of the same cause shape as one shortly above it (a cascade: the first one is the cause).
Block headers are exempt: each failing test is its own failure."""
IN_GREEN = 5.0
"""Penalty for a line whose normalised form also appears in the last green run's log."""
BLOCK_LINES = 4

_WORD = re.compile(ERROR_WORDS.removeprefix("(?i)"), re.IGNORECASE)
_LOCATION = re.compile(r"[\w./\\-]+\.[A-Za-z]\w{0,5}(?::\d+|\(\d+(?:,\d+)?\)|,? line \d+)")
_LEAD = re.compile(r"\S+?(?::\d+(?::\d+)?:|\(\d+(?:,\d+)?\):) ")
"""A leading `file:line:` location: the words after it are where the line starts saying what is wrong."""
_EXCEPTION = re.compile(r"\b[A-Z]\w*(?:Error|Exception|Failure)\b")
_NOISE = re.compile(
    r"(?i)\b0 (?:errors?|failures?|failed)\b|\b(?:errors?|failures?|failed):? 0\b|\bwarning\b|-W(?:no-)?error"
    r"|\bno errors?\b|During handling of the above exception|The above exception was the direct cause|\b(?:pass(?:ed|ing)?|ok|success(?:ful(?:ly)?)?|ignor(?:e|ed|ing)|skipp(?:ed|ing))\b|deprecat"
)
_COMMAND = re.compile(r"^(?:\$ |\+ |>>> |Running |Executing |\[command\]|\S+ -\S+ -\S+ -\S+)")


@dataclass
class Cause:
    """One root-cause line: where it is and which error shapes it has."""

    step: Step
    index: int
    text: str
    categories: set = field(default_factory=set)
    score: float = 0.0
    weak: set = field(default_factory=set)
    """Categories named only by wrapper shapes (see Shape.weak)."""


def line_score(text: str, roles: set[str]) -> float:
    """How much one line, on its own, looks like the cause of a failure."""
    body = text.strip()
    score = max((ROLE_SCORE[role] for role in roles), default=0.0)
    word = _WORD.search(body)
    if word:
        lead = _LEAD.match(body)
        score += 3.0 if word.start() - (lead.end() if lead else 0) <= 12 else 1.0
    score += 1.5 * bool(_LOCATION.search(body)) + 1.5 * bool(_EXCEPTION.search(body))
    score -= 2.5 * bool(_NOISE.search(body)) + 2.0 * bool(_COMMAND.match(body)) + (len(body) > 400)
    return min(score, SUMMARY_CAP) if "summary" in roles else score


def proximity(distance: int, weight: float = PROXIMITY) -> float:
    """The bonus for a line `distance` lines above the failure boundary (a penalty below it)."""
    if distance < 0:
        return -AFTER_BOUNDARY
    return weight * 0.5 ** (distance / HALF_LIFE)


def block_of(lines: list, index: int, roles: set[str]) -> list[int]:
    """The lines that print with line `index`: a header's message, a traceback's final exception."""
    text = lines[index].text
    if "Traceback (most recent call last)" in text:
        return [index, *_traceback_end(lines, index)]
    if "header" not in roles and not text.rstrip().endswith(":"):
        return [index]
    block = [index]
    for follow in range(index + 1, min(len(lines), index + 1 + 2 * BLOCK_LINES)):
        body = lines[follow].text.strip()
        if body.startswith("##[") or len(block) > BLOCK_LINES:
            break
        if body:
            block.append(follow)
    return block


def _traceback_end(lines: list, start: int) -> list[int]:
    """The last frame and the exception line that end a Python traceback starting at `start`."""
    for index in range(start + 1, min(len(lines), start + 400)):
        text = lines[index].text
        if text.strip() and not text[:1].isspace() and not text.startswith("Traceback"):
            return [i for i in (index - 1, index) if i > start]
    return []


@dataclass
class Block:
    score: float
    position: int
    step: Step
    members: list[int]
    categories: dict[int, tuple[set, set]]
    """Each member line's categories: (by strong shapes, by weak ones)."""
    summary: bool
    shaped: bool = False
    """The first line has a cause or header shape: the block may rank as high as its best member."""


def scored_blocks(steps: list[Step], hits: dict[int, dict[int, list[int]]], boundary: int,
                  green: set[str] | None = None, near: float = PROXIMITY) -> list[Block]:
    """Every shaped line of `steps` as a block, scored; `boundary` is the failure's position in the steps and
    `near` the bonus for a line just above it."""
    from agent.logs.signature import normalise_line

    blocks, last_of_kind, position = [], {}, 0
    for step in steps:
        for index, shapes in sorted(hits[id(step)].items()):
            roles = {SHAPES[i].role for i in shapes}
            text = step.lines[index].text
            kind = min((i for i in shapes if SHAPES[i].role == "cause"), default=None)
            score = line_score(text, roles) + proximity(boundary - position - index, near)
            if kind is not None:
                score -= REPEATED_SHAPE * (position + index - last_of_kind.get(kind, -HALF_LIFE) < HALF_LIFE)
                last_of_kind[kind] = position + index
            if green and normalise_line(text) in green:
                score -= IN_GREEN
            summary = "summary" in roles
            members = block_of(step.lines, index, roles)
            categories = {m: line_categories(hits[id(step)].get(m, ())) for m in members}
            blocks.append(Block(min(score, SUMMARY_CAP) if summary else score, position + index, step,
                                members, categories, summary, bool(roles & {"cause", "header"})))
        position += len(step.lines)
    return _lifted(blocks)


def line_categories(shapes) -> tuple[set, set]:
    """(categories a line's strong shapes name, those its wrapper shapes name)."""
    named = [SHAPES[i] for i in shapes if SHAPES[i].category]
    return {s.category for s in named if not s.weak}, {s.category for s in named if s.weak}


def _lifted(blocks: list[Block]) -> list[Block]:
    """Each block scored as its best member line (a test's header as high as the assertion under it)."""
    by_line = {(id(b.step), b.members[0]): b.score for b in blocks}
    for block in blocks:
        if block.shaped and not block.summary and len(block.members) > 1:
            block.score = max(block.score, *(by_line.get((id(block.step), m), block.score) for m in block.members))
    return blocks


LAST_WORDS = 3
"""Output lines just above a text log's exit statement: the failed command's last words, always context."""
_NOT_OUTPUT = re.compile(r"^(?:travis_|section_|\$ |##\[|\[truncated )")


def last_words(steps: list[Step], boundary: int, count: int = LAST_WORDS) -> list[Block]:
    """The last `count` output lines above position `boundary`, each a block scored just at MIN_SCORE."""
    found, position = [], sum(len(step.lines) for step in steps)
    for step in reversed(steps):
        position -= len(step.lines)
        for index in range(min(len(step.lines), boundary - position) - 1, -1, -1):
            text = step.lines[index].text.strip()
            if len(found) == count:
                return found
            if text and not _NOT_OUTPUT.match(text):
                found.append(Block(MIN_SCORE, position + index, step, [index], {index: (set(), set())}, False))
    return found


def pick(blocks: list[Block], limit: int, context: int = 2) -> list[Cause]:
    """The best blocks' lines (each block in log order), then up to `context` summary lines; no repeats."""
    chosen, taken, seen = [], set(), set()
    strong = sorted((b for b in blocks if b.score >= MIN_SCORE), key=lambda b: (-b.score, b.position))
    summaries = sorted((b for b in blocks if b.summary), key=lambda b: -b.position)[:context]
    for block in strong + summaries:
        for index in block.members:
            key = " ".join(block.step.lines[index].text.split())
            if (id(block.step), index) in taken or not key or key in seen or len(chosen) >= limit:
                continue
            taken.add((id(block.step), index))
            seen.add(key)
            strong, weak = block.categories[index]
            chosen.append(Cause(block.step, index, block.step.lines[index].text, strong, block.score, weak))
    return chosen

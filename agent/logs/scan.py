"""Streaming scan of raw log bytes: big blocks, one combined RE2 pass, bounded memory per step.

Per block there is no per-line Python work: one multi-pattern pass (hyperscan when installed, else
RE2; `hyperscan_lines.line_finder`) finds the few interesting lines (step boundaries,
error shapes, known-issue patterns) and only those, a step's head and its tail are kept as bytes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import BinaryIO

from agent.logs.budget import Budget
from agent.logs.hyperscan_lines import line_finder
from agent.logs.model import Job, Limits, Piece, Step

__all__ = ["BlockReader", "Budget", "JobScanner", "StepBuilder", "Tail", "merge_regions", "raw_scanner"]
from agent.logs.multimatch import loose
from agent.logs.sections import GHA_BOUNDARY_SCAN, OUTSIDE, TEXT_BOUNDARY_SCAN, gha_boundary
from agent.logs.shapes import SHAPES


def newlines(block: bytes, start: int = 0) -> int:
    """Newlines in block[start:]; for a whole block, deleting them is faster than bytes.count."""
    if start:
        return block.count(b"\n", start)
    return len(block) - len(block.replace(b"\n", b""))


def raw_scanner(patterns: list[str] = (), engine: str = "auto"):
    """The line finder for raw bytes: step boundaries, error shapes and the given patterns."""
    parts = [GHA_BOUNDARY_SCAN, TEXT_BOUNDARY_SCAN, *(shape.pattern for shape in SHAPES if shape.role != "word"), *(loose(p) for p in patterns)]
    return line_finder(parts, engine)


class BlockReader:
    """Yields blocks of whole lines from a binary stream; a line longer than `line_bytes` is clipped."""

    def __init__(self, stream: BinaryIO, limits: Limits):
        self.stream, self.limits = stream, limits
        self.clipped = 0

    def __iter__(self) -> Iterator[bytes]:
        carry, long_head, skipped = b"", None, 0
        while chunk := self.stream.read(self.limits.block_bytes):
            if long_head is not None:
                newline = chunk.find(b"\n")
                if newline < 0:
                    skipped += len(chunk)
                    continue
                chunk = self._clipped(long_head, skipped + newline) + chunk[newline:]
                long_head, skipped = None, 0
            cut = chunk.rfind(b"\n") + 1
            if cut:  # one copy: the carried partial line joined to this chunk's whole lines
                block = b"".join((carry, memoryview(chunk)[:cut])) if carry or cut < len(chunk) else chunk
                carry = chunk[cut:]
            else:
                block, carry = b"", carry + chunk
            if len(carry) > self.limits.line_bytes:
                long_head, skipped = carry[: self.limits.line_bytes], len(carry) - self.limits.line_bytes
                carry = b""
            if block:
                yield block
        if long_head is not None:
            carry = self._clipped(long_head, skipped)
        if carry:
            yield carry + b"\n"

    def _clipped(self, head: bytes, skipped: int) -> bytes:
        self.clipped += skipped
        return head + b" [truncated %d bytes]" % skipped


class Tail:
    """The last bytes of a step: at least `keep` once that many came, at most 2 × `keep`.

    Holds references to the chunks it was given (offset, chunk) instead of copying them; the bytes are
    joined once, when the step finishes.
    """

    def __init__(self, keep: int):
        self.keep = keep
        self.parts: deque = deque()
        self.size = 0

    def push(self, data) -> None:
        """Add `data`; a chunk of `keep` bytes or more replaces everything, else the oldest go past 2 × `keep`."""
        if len(data) >= self.keep:
            self.parts = deque([(len(data) - self.keep, data)])
            self.size = self.keep
            return
        self.parts.append((0, data))
        self.size += len(data)
        if self.size > 2 * self.keep:
            self._drop(self.size - self.keep)

    def _drop(self, count: int) -> None:
        while count:
            offset, chunk = self.parts[0]
            available = len(chunk) - offset
            if available > count:
                self.parts[0] = (offset + count, chunk)
                self.size -= count
                return
            self.parts.popleft()
            self.size -= available
            count -= available

    def value(self) -> bytes:
        return b"".join(memoryview(chunk)[offset:] for offset, chunk in self.parts)


class StepBuilder:
    """Keeps a step whole while it is under its cap; past it, the head, error regions and tail."""

    def __init__(self, job: str, name: str, number: int, first_line: int, cap: int, limits: Limits):
        self.job, self.name, self.number, self.first_line = job, name, number, first_line
        self.cap, self.limits = cap, limits
        self.buf: bytearray | None = bytearray()
        self.head = b""
        self.tail = Tail(limits.tail_bytes)
        self.size = 0
        half = max(1, limits.hits_per_step // 2)
        self.hits_first: list[tuple[int, int, int, bytes]] = []
        self.hits_last: deque = deque(maxlen=half)
        self._half = half

    def add_hit(self, start: int, end: int, first_line: int, data: bytes) -> None:
        """Remember an error region at step offsets [start, end) in case the step goes over its cap."""
        target = self.hits_first if len(self.hits_first) < self._half else self.hits_last
        target.append((start, end, first_line, data))

    def add(self, data: bytes) -> None:
        """Append whole lines of this step."""
        self.size += len(data)
        if self.buf is None:
            self._push_tail(data)
            return
        self.buf += data
        if len(self.buf) > self.cap:
            buf, self.buf = self.buf, None
            cut = buf.rfind(b"\n", 0, self.limits.head_bytes) + 1 or buf.find(b"\n") + 1
            self.head = bytes(buf[:cut])
            self._push_tail(buf)

    def _push_tail(self, data) -> None:
        self.tail.push(data)

    def finish(self, end_line: int, budget: Budget, conclusion: str | None = None) -> Step:
        """The finished step; `end_line` is the number of the first line after it."""
        pieces = [Piece(self.first_line, bytes(self.buf))] if self.buf is not None else self._sampled(end_line)
        kept = sum(len(piece.data) for piece in pieces)
        budget.remaining -= kept
        return Step(self.job, self.name, self.number, pieces, self.size, max(0, self.size - kept),
                    conclusion, self.limits.line_chars)

    def _sampled(self, end_line: int) -> list[Piece]:
        tail = self.tail.value()
        tail_start = self.size - len(tail)
        if tail_start > 0:
            skip = tail.find(b"\n") + 1
            tail, tail_start = tail[skip:], tail_start + skip
        regions = [(0, len(self.head), self.first_line, self.head), *self.hits_first, *self.hits_last,
                   (tail_start, self.size, end_line - tail.count(b"\n"), tail)]
        return merge_regions(sorted(regions, key=lambda region: region[0]))


def merge_regions(regions: list[tuple[int, int, int, bytes]]) -> list[Piece]:
    """Line-aligned regions sorted by start → pieces without overlap, each with the gap cut before it."""
    pieces: list[Piece] = []
    covered = 0
    for start, end, first_line, data in regions:
        if end <= covered or not data:
            continue
        if start < covered:
            skip = covered - start
            first_line += data.count(b"\n", 0, skip)
            data, start = data[skip:], covered
        pieces.append(Piece(first_line, data, start - covered))
        covered = end
    return pieces


class JobScanner:
    """Turns one job's raw blocks into steps, split where `boundary` (block, line start) names a new step."""

    def __init__(self, job: str, regex, limits: Limits, budget: Budget, split: bool,
                 boundary: Callable[[bytes, int], str | None] = gha_boundary):
        self.job, self.regex, self.limits, self.budget, self.split = job, regex, limits, budget, split
        self.boundary = boundary
        self.steps: list[Step] = []
        self.current: StepBuilder | None = None
        self.line = 1

    def start_step(self, name: str, first_line: int | None = None) -> None:
        """Close the current step and open `name` (from a step file or a `gh` step column)."""
        if first_line is not None:
            self._close()
            self.line = first_line
        self._open(name)

    def feed(self, block: bytes, scanned: tuple[list[int], int] | None = None) -> None:
        """Scan a block of whole lines belonging to this job (`scanned`: its matched line starts and newline
        count, when `prescanned` found them already)."""
        if self.current is None:
            self._open("Set up job")
        starts, total = scanned if scanned is not None else (self._interesting(block), None)
        first_line = self.line
        bounds = [self.boundary(block, start) if self.split else None for start in starts]
        limits_after = self._next_bounds(starts, bounds, len(block))
        counted, line, segment = 0, self.line, 0
        for start, bound, limit in zip(starts, bounds, limits_after):
            line += block.count(b"\n", counted, start)
            counted = start
            if bound:
                self.current.add(block[segment:start])
                self.line = line
                self._open(bound)
                segment = start
            else:
                self._hit(block, start, line, segment, limit)
        self.current.add(block[segment:])
        self.line = first_line + total if total is not None else line + newlines(block, counted)

    def finish(self) -> Job:
        self._close()
        return Job(self.job, self.steps)

    def _interesting(self, block: bytes) -> list[int]:
        """Starts of the lines the combined pattern matches, one per line."""
        return self.regex.starts(block)

    @staticmethod
    def _next_bounds(starts: list[int], bounds: list, end: int) -> list[int]:
        limits, following = [], end
        for start, bound in zip(reversed(starts), reversed(bounds)):
            limits.append(following)
            if bound:
                following = start
        return limits[::-1]

    def _hit(self, block: bytes, start: int, line: int, segment: int, limit: int) -> None:
        region_start, before = start, 0
        while before < self.limits.context_lines and region_start > segment:
            region_start = max(segment, block.rfind(b"\n", segment, region_start - 1) + 1)
            before += 1
        line_end = block.find(b"\n", start) + 1 or len(block)
        region_end = line_end
        for _ in range(self.limits.context_lines):
            following = block.find(b"\n", region_end) + 1
            if not following or following > limit:
                break
            region_end = following
        if region_end - region_start > self.limits.hit_region_bytes:
            region_start, region_end, before = start, line_end, 0
        data = block[region_start:region_end]
        if len(data) > self.limits.hit_region_bytes:
            cut = len(data) - self.limits.hit_region_bytes
            data = data[: self.limits.hit_region_bytes] + b" [truncated %d bytes]\n" % cut
        offset = self.current.size - segment
        self.current.add_hit(offset + region_start, offset + region_end, line - before, data)

    def _open(self, name: str) -> None:
        self._close()
        self.current = StepBuilder(self.job, name, len(self.steps) + 1, self.line, self.budget.step_cap(),
                                   self.limits)

    def _close(self) -> None:
        if self.current is not None and (self.current.size or self.current.name not in ("Set up job", OUTSIDE)):
            self.steps.append(self.current.finish(self.line, self.budget))
            self.steps[-1].number = len(self.steps)
            self.budget.settle(self.steps[-1])
        self.current = None

"""The shape of a read run log: run → jobs → steps → lines with their original line numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class Limits:
    """Byte caps for reading one run; everything outside them is cut and reported as truncated."""

    step_bytes: int = 1 << 20
    """Raw bytes kept whole for one step; a bigger step keeps its head, the lines around errors, its tail."""
    run_bytes: int = 16 << 20
    """Raw bytes kept for the whole run; later steps get less once this is spent (never below min_step_bytes)."""
    min_step_bytes: int = 64 << 10
    """Floor for one step's kept bytes, so the tail of a late failed step survives a spent run budget."""
    head_bytes: int = 8 << 10
    """Head kept from a step that is over its cap."""
    tail_bytes: int = 256 << 10
    """Tail kept from a step that is over its cap (the failure is at the end)."""
    line_bytes: int = 64 << 10
    """A raw line longer than this (no newline within it) is clipped."""
    line_chars: int = 4000
    """Decoded lines are clipped to this many characters."""
    context_lines: int = 3
    """Lines kept before and after an error-shaped line in a step that is over its cap."""
    hits_per_step: int = 200
    """Error-shaped regions kept per step over its cap (the first half and the last half)."""
    hit_region_bytes: int = 16 << 10
    """Largest region kept around one error-shaped line."""
    block_bytes: int = 1 << 20
    """Read and scan size."""
    zip_bytes: int = 1 << 30
    """Largest run-log zip accepted from stdin or bytes."""


DEFAULT_LIMITS = Limits()


@dataclass(slots=True)
class Line:
    """One decoded line; `number` is its 1-based line in the original file, None for a marker line."""

    number: int | None
    text: str


@dataclass(slots=True)
class Piece:
    """A run of kept raw bytes starting at a known line; `gap` raw bytes were cut just before it."""

    first_line: int
    data: bytes
    gap: int = 0


class Step:
    """One step of a job; its lines are decoded, cleaned and redacted on first use."""

    def __init__(self, job: str, name: str, number: int, pieces: list[Piece], size: int,
                 truncated_bytes: int = 0, conclusion: str | None = None, line_chars: int = 4000):
        self.job, self.name, self.number = job, name, number
        self.pieces, self.size, self.truncated_bytes = pieces, size, truncated_bytes
        self.conclusion = conclusion
        self.line_chars = line_chars
        self.redactions = 0

    @cached_property
    def lines(self) -> list[Line]:
        """Cleaned, redacted lines, with a `[truncated N bytes]` marker wherever bytes were cut."""
        from agent.logs.clean import decode_pieces

        lines, self.redactions = decode_pieces(self.pieces, self.line_chars)
        self.pieces = []
        return lines

    @property
    def is_post(self) -> bool:
        return self.name.startswith(("Post ", "Post job cleanup", "Complete job"))

    def __repr__(self) -> str:
        return f"Step({self.job!r}, {self.number}, {self.name!r}, {self.size} bytes)"


@dataclass
class Job:
    name: str
    steps: list[Step] = field(default_factory=list)
    conclusion: str | None = None


@dataclass
class RunLog:
    """A whole run as read: jobs in run order, each with its steps."""

    jobs: list[Job]
    source: str = ""
    clipped_bytes: int = 0
    kind: str = "actions"
    """"actions" for GitHub Actions logs, "text" for any other build log (no step conclusions, no markers)."""

    @property
    def steps(self) -> list[Step]:
        return [step for job in self.jobs for step in job.steps]

    @property
    def size(self) -> int:
        return sum(step.size for step in self.steps)

    @property
    def truncated_bytes(self) -> int:
        return sum(step.truncated_bytes for step in self.steps) + self.clipped_bytes

    @property
    def redactions(self) -> int:
        """Secrets replaced in the run's kept lines (decodes every step)."""
        total = 0
        for step in self.steps:
            _ = step.lines  # decoding redacts and counts
            total += step.redactions
        return total

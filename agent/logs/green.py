"""The last green run's lines, normalised: what a failed run shares with it is not news."""

from __future__ import annotations

from agent.errors import BadInput
from agent.logs.model import DEFAULT_LIMITS, Limits
from agent.logs.reader import Source, read_log
from agent.logs.signature import normalise_line

MAX_GREEN_LINES = 400_000
"""Distinct normalised lines kept from the green log (bounds memory on a huge green log)."""


def green_lines(source: Source, limits: Limits = DEFAULT_LIMITS) -> set[str] | None:
    """The normalised lines (timestamps, durations, hashes, numbers and temp paths masked) of a green run's log;
    None when it cannot be read (an unusable green log changes nothing)."""
    try:
        run = read_log(source, limits=limits)
    except BadInput:
        return None
    found: set[str] = set()
    for step in run.steps:
        for line in step.lines:
            if line.text.strip() and len(found) < MAX_GREEN_LINES:
                found.add(normalise_line(line.text))
    return found

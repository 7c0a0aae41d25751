"""Progress while a fix waits for CI: one line per state change on stderr, a spinner only in a terminal."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

FRAMES = "|/-\\"


def ci_state(runs: list[dict[str, Any]]) -> str:
    """The fix branch's runs in a few words: 'no run yet', or each workflow's status or conclusion."""
    if not runs:
        return "no run yet"
    return ", ".join(f"{run.get('name') or run.get('path') or run.get('id')}: "
                     f"{run.get('conclusion') or run.get('status') or 'unknown'}" for run in runs)


class CIProgress:
    """Called on every CI poll with the fix branch's runs; says what changed, and spins while nothing does."""

    def __init__(self, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic):
        self.stream, self.clock = stream or sys.stderr, clock
        self.started, self.last, self.spins = clock(), None, 0
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, branch: str, runs: list[dict[str, Any]]) -> None:
        state, seconds = ci_state(runs), self.clock() - self.started
        if state != self.last:
            self.last = state
            self.write(f"CI on {branch}: {state} ({seconds:.0f} s)\n")
        elif self.tty:
            self.spins += 1
            self.write(f"{FRAMES[self.spins % len(FRAMES)]} waiting for CI on {branch} ({seconds:.0f} s)", line=False)

    def write(self, text: str, line: bool = True) -> None:
        if self.tty:
            text = "\r\033[K" + text
        self.stream.write(text)
        self.stream.flush()

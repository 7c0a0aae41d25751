"""`gh run view --log` output: one `job<TAB>step<TAB>timestamp line` per line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from agent.logs.model import Limits, RunLog
from agent.logs.scan import BlockReader, Budget, JobScanner


def _name(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").replace("\ufeff", "").strip() or "?"


def _groups(block: bytes, first_line: int) -> Iterator[tuple[bytes, bytes, bytes, int]]:
    """(job, step, lines without their columns, number of the first line) for each run of one step."""
    key, body, start = None, [], first_line
    lines = block.split(b"\n")
    lines.pop()
    for index, raw in enumerate(lines):
        parts = raw.split(b"\t", 2)
        this = (parts[0], parts[1]) if len(parts) == 3 else key or (b"job", b"log")
        if this != key:
            if body:
                yield key[0], key[1], b"\n".join(body) + b"\n", start
            key, body, start = this, [], first_line + index
        body.append(parts[2] if len(parts) == 3 else raw)
    if body:
        yield key[0], key[1], b"\n".join(body) + b"\n", start


def read_gh_output(stream: BinaryIO, name: str, regex, limits: Limits) -> RunLog:
    """Read `gh run view --log` output; jobs and steps come from its first two columns."""
    budget = Budget(limits)
    scanners: dict[str, JobScanner] = {}
    blocks = BlockReader(stream, limits)
    line = 1
    for block in blocks:
        for job_raw, step_raw, body, first_line in _groups(block, line):
            job, step = _name(job_raw), _name(step_raw)
            scanner = scanners.setdefault(job, JobScanner(job, regex, limits, budget, split=False))
            if scanner.current is None or scanner.current.name != step:
                scanner.start_step(step, first_line=first_line)
            scanner.line = first_line
            scanner.feed(body)
        line += block.count(b"\n")
    return RunLog([scanner.finish() for scanner in scanners.values()], name, blocks.clipped)

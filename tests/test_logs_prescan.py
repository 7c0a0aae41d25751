"""Scans that run ahead on worker threads give exactly what the one-thread scan gives."""

from __future__ import annotations

import random

import pytest

from agent.knowledge import load_known_issues
from agent.logs.model import Limits
from agent.logs.prescan import prescanned
from agent.logs.reader import read_log
from agent.logs.scan import BlockReader, newlines, raw_scanner
from agent.logs.sniff import Peeked

SMALL = Limits(block_bytes=4096, line_bytes=700)
WORDS = [b"compiling unit", b"error: 'x' was not declared", b"##[group]Run make", b"warning: unused", b"ok",
         b"\xef\xbb\xbfstamp", b"make: *** [all] Error 1", "caf\u00e9 \u25cf fails".encode()]


def random_log(rng: random.Random) -> bytes:
    lines = [b" ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 6))) for _ in range(rng.randrange(1, 900))]
    return b"\n".join(lines) + (b"\n" if rng.random() < 0.5 else b"")


@pytest.mark.parametrize("seed", range(12))
def test_prescanned_blocks_equal_the_serial_scan(tmp_path, seed):
    finder = raw_scanner(load_known_issues().patterns)
    path = tmp_path / "job.txt"
    path.write_bytes(random_log(random.Random(seed)))
    with path.open("rb") as stream:
        blocks = list(BlockReader(Peeked(stream), SMALL))
    ahead = list(prescanned(iter(blocks), finder))
    assert [block for block, _ in ahead] == blocks
    assert [scanned for _, scanned in ahead] == [(finder.starts(block), newlines(block)) for block in blocks]


def test_a_file_of_many_blocks_gives_the_same_steps_from_path_and_from_bytes(tmp_path):
    lines = [f"2025-01-01T00:00:{i % 60:02d}.0000000Z compiling unit {i}" for i in range(60000)]
    lines[41234] = "2025-01-01T00:00:00.0000000Z src/x.cpp:12:3: error: 'frame' was not declared in this scope"
    lines.append("2025-01-01T00:00:00.0000000Z ##[error]Process completed with exit code 1.")
    data = ("\n".join(lines) + "\n").encode()
    path = tmp_path / "big.txt"
    path.write_bytes(data)
    by_path, by_bytes = read_log(path), read_log(data)
    shape = [[(s.name, s.size, s.truncated_bytes, [(ln.number, ln.text) for ln in s.lines]) for s in run.jobs[0].steps]
             for run in (by_path, by_bytes)]
    assert shape[0] == shape[1]
    assert any("'frame' was not declared" in ln.text and ln.number == 41235 for ln in by_path.jobs[0].steps[0].lines)

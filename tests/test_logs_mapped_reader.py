"""A log file read through a memory map gives exactly the blocks the stream reader gives, long lines included."""

from __future__ import annotations

import random

import pytest

from agent.logs.model import Limits
from agent.logs.reader import read_log
from agent.logs.scan import BlockReader, mapped_file
from agent.logs.sniff import Peeked

SMALL = Limits(block_bytes=4096, line_bytes=700)


def blocks(path, limits, mapped: bool):
    with path.open("rb") as stream:
        peeked = Peeked(stream)
        mm = mapped_file(stream) if mapped else None
        assert (mm is not None) == mapped
        try:
            reader = BlockReader(peeked, limits, mm, first=len(peeked.head))
            return list(reader), reader.clipped
        finally:
            if mm is not None:
                mm.close()


def random_log(rng: random.Random) -> bytes:
    lines = []
    for _ in range(rng.randrange(1, 400)):
        size = rng.choice([0, 1, 20, 80, 699, 700, 701, 3000, 5000, 9000])
        lines.append(bytes(rng.choice(b"abc error: 0123") for _ in range(size)))
    data = b"\n".join(lines)
    return data if rng.random() < 0.5 else data + b"\n"


@pytest.mark.parametrize("seed", range(40))
def test_mapped_blocks_equal_stream_blocks(tmp_path, seed):
    path = tmp_path / "job.txt"
    path.write_bytes(random_log(random.Random(seed)))
    assert blocks(path, SMALL, mapped=True) == blocks(path, SMALL, mapped=False)


def test_a_file_larger_than_the_head_read_gives_the_same_diagnosis_from_path_and_bytes(tmp_path):
    lines = [f"2025-01-01T00:00:{i % 60:02d}.0000000Z compiling unit {i}" for i in range(60000)]
    lines[41234] = "2025-01-01T00:00:00.0000000Z src/x.cpp:12:3: error: 'frame' was not declared in this scope"
    lines.append("2025-01-01T00:00:00.0000000Z ##[error]Process completed with exit code 1.")
    data = ("\n".join(lines) + "\n").encode()
    path = tmp_path / "big.txt"
    path.write_bytes(data)
    by_path, by_bytes = read_log(path), read_log(data)
    assert [(s.name, s.size, s.truncated_bytes, [(ln.number, ln.text) for ln in s.lines]) for s in by_path.jobs[0].steps] == \
        [(s.name, s.size, s.truncated_bytes, [(ln.number, ln.text) for ln in s.lines]) for s in by_bytes.jobs[0].steps]


def test_pipes_and_compressed_streams_are_never_mapped(tmp_path):
    import gzip
    import io

    path = tmp_path / "job.txt.gz"
    path.write_bytes(gzip.compress(b"error: x\n"))
    with path.open("rb") as raw, gzip.GzipFile(fileobj=raw) as unzipped:
        assert mapped_file(unzipped) is None
    assert mapped_file(io.BytesIO(b"error: x\n")) is None
    (tmp_path / "empty.txt").write_bytes(b"")
    with (tmp_path / "empty.txt").open("rb") as empty:
        assert mapped_file(empty) is None


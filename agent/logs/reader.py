"""Read a run's logs: a run-log zip, a directory in that layout, a job log, `gh run view --log`, any text log, stdin."""

from __future__ import annotations

import gzip
import io
import os
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

from agent.errors import BadInput
from agent.logs.ghformat import read_gh_output
from agent.logs.layout import JobFiles, run_layout
from agent.logs.model import DEFAULT_LIMITS, Limits, RunLog
from agent.logs.prescan import prescanned
from agent.logs.scan import BlockReader, Budget, JobScanner, raw_scanner
from agent.logs.sections import gha_boundary, text_boundary
from agent.logs.sniff import Peeked, sniff

ZIP_MAGIC = b"PK\x03\x04"
GZIP_MAGIC = b"\x1f\x8b"
Source = str | os.PathLike | bytes | bytearray


def read_log(source: Source, *, patterns: list[str] = (), limits: Limits = DEFAULT_LIMITS,
             engine: str = "auto") -> RunLog:
    """Read `source` (a path, raw bytes, or "-" for stdin) into a RunLog; unusable input → BadInput.

    `engine` picks the multi-pattern scanner: "auto" (hyperscan if installed, else RE2), "hyperscan" or "re2".
    """
    regex = raw_scanner(list(patterns), engine)
    if isinstance(source, (bytes, bytearray)):
        return _read_stream(io.BytesIO(bytes(source)), "<bytes>", regex, limits)
    if str(source) == "-":
        return _read_stream(sys.stdin.buffer, "<stdin>", regex, limits)
    path = Path(source)
    if path.is_dir():
        return _read_dir(path, regex, limits)
    if not path.exists():
        raise BadInput(f"{path}: no such file or directory")
    try:
        with path.open("rb") as stream:
            return _read_stream(stream, str(path), regex, limits)
    except (PermissionError, IsADirectoryError) as exc:
        raise BadInput(f"{path}: cannot read: {exc.strerror}") from None


def _read_stream(stream: BinaryIO, name: str, regex, limits: Limits) -> RunLog:
    peeked = Peeked(stream)
    if peeked.head.startswith(ZIP_MAGIC):
        return _read_zip_stream(peeked, name, regex, limits)
    if peeked.head.startswith(GZIP_MAGIC):
        try:
            return _read_stream(gzip.GzipFile(fileobj=peeked, mode="rb"), name.removesuffix(".gz"), regex, limits)
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise BadInput(f"{name}: corrupt gzip: {exc}") from None
    kind = sniff(peeked.head, name)
    if kind == "gh":
        return read_gh_output(peeked, name, regex, limits)
    boundary = gha_boundary if kind == "log" else text_boundary
    scanner = JobScanner(_job_name(name), regex, limits, Budget(limits), split=True, boundary=boundary)
    blocks = BlockReader(peeked, limits)
    for block, scanned in prescanned(blocks, regex):
        scanner.feed(block, scanned)
    return RunLog([scanner.finish()], name, blocks.clipped, kind="actions" if kind == "log" else "text")


def _job_name(name: str) -> str:
    stem = Path(name).stem if not name.startswith("<") else "job"
    number, _, rest = stem.partition("_")
    return rest if number.isdigit() and rest else stem


def _read_zip_stream(peeked: Peeked, name: str, regex, limits: Limits) -> RunLog:
    if hasattr(peeked.stream, "seek") and name not in ("<stdin>",):
        try:
            peeked.stream.seek(0)
            return _read_zip(peeked.stream, name, regex, limits)
        except io.UnsupportedOperation:
            pass
    with tempfile.SpooledTemporaryFile(max_size=16 << 20) as spool:
        spool.write(peeked.head)
        size = len(peeked.head)
        while chunk := peeked.stream.read(limits.block_bytes):
            size += len(chunk)
            if size > limits.zip_bytes:
                raise BadInput(f"{name}: zip larger than {limits.zip_bytes} bytes")
            spool.write(chunk)
        spool.seek(0)
        return _read_zip(spool, name, regex, limits)


def _read_zip(stream: BinaryIO, name: str, regex, limits: Limits) -> RunLog:
    try:
        with zipfile.ZipFile(stream) as archive:
            members = [info.filename for info in archive.infolist() if not info.is_dir()]
            return _read_layout(run_layout(members, name), archive.open, name, regex, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as exc:
        raise BadInput(f"{name}: corrupt zip: {exc}") from None


def _read_dir(path: Path, regex, limits: Limits) -> RunLog:
    if (path / "logs").is_dir() and (path / "case.yaml").is_file():
        path = path / "logs"
    names = [p.relative_to(path).as_posix() for p in sorted(path.rglob("*")) if p.is_file()]
    zips = [n for n in names if n.endswith(".zip")]
    if zips and not any(n.endswith(".txt") for n in names):
        with (path / zips[0]).open("rb") as stream:
            return _read_zip(stream, str(path / zips[0]), regex, limits)
    return _read_layout(run_layout(names, str(path)), lambda rel: (path / rel).open("rb"), str(path), regex,
                        limits)


def _read_layout(jobs: list[JobFiles], opener, name: str, regex, limits: Limits) -> RunLog:
    budget = Budget(limits)
    clipped, read = 0, []
    for job in jobs:
        scanner = JobScanner(job.name, regex, limits, budget, split=not job.steps)
        files = [(step_name, rel) for _, step_name, rel in job.steps] or [(None, job.file)]
        for step_name, rel in files:
            if step_name is not None:
                scanner.start_step(step_name, first_line=1)
            with opener(rel) as stream:
                blocks = BlockReader(stream, limits)
                for block, scanned in prescanned(blocks, regex):
                    scanner.feed(block, scanned)
                clipped += blocks.clipped
        read.append(scanner.finish())
    return RunLog(read, name, clipped)

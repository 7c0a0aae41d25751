"""Faults #10 (a 200 MB log) and #11 (garbage, NUL, invalid UTF-8, ANSI, a 10 MB line): bounded, no crash."""

from __future__ import annotations

import io
import zipfile

from agent.logs.model import Limits
from agent.logs.reader import read_log
from agent.logs.window import failure_window

STAMP = b"2025-12-01T10:21:43.7064282Z "
GLIBC = b"/__e/node20/bin/node: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.28' not found"
NOISE = b"".join(STAMP + b"[%d/9000] \x1b[32mBuilding CXX object CMakeFiles/a.dir/src/M%d.cpp.o\x1b[0m\n" % (i, i)
                 for i in range(20000))


def _write_big_log(path, size: int) -> None:
    with path.open("wb") as out:
        out.write(b"\xef\xbb\xbf" + STAMP + b"##[group]Run cmake --build build\n")
        written = 0
        while written < size:
            out.write(NOISE)
            written += len(NOISE)
        out.write(STAMP + GLIBC + b"\n" + STAMP + b"##[error]Process completed with exit code 1.\n")


def test_a_200_mb_log_is_streamed_with_a_cap_and_keeps_the_failing_tail(tmp_path):
    path = tmp_path / "huge.txt"
    _write_big_log(path, 200 << 20)
    limits = Limits()
    run = read_log(path, limits=limits)
    kept = run.size - run.truncated_bytes
    assert run.size > 200 << 20
    assert kept <= limits.step_bytes + limits.head_bytes + limits.tail_bytes + limits.hits_per_step * limits.hit_region_bytes
    window = failure_window(run)
    assert any("GLIBC_2.28' not found" in line for line in window.root_cause_lines)
    assert window.excerpt.startswith(f"[truncated {run.truncated_bytes} bytes]\n")
    assert window.truncated_bytes == run.truncated_bytes > 190 << 20


def test_a_large_zip_member_is_streamed_not_loaded(tmp_path):
    path = tmp_path / "big.txt"
    _write_big_log(path, 40 << 20)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.write(path, "1_build.txt")
    limits = Limits(step_bytes=256 << 10, tail_bytes=64 << 10)
    run = read_log(buffer.getvalue(), limits=limits)
    assert run.size - run.truncated_bytes < 2 << 20
    assert "GLIBC_2.28" in " ".join(failure_window(run).root_cause_lines)


def test_garbage_nul_invalid_utf8_ansi_and_a_10_mb_line_do_not_crash():
    garbage = bytes(range(256)) * 4
    data = b"".join([
        b"\xef\xbb\xbf" + STAMP + b"Requested labels: ubuntu-22.04\n",
        STAMP + b"##[group]Run ./build.sh\n",
        STAMP + b"\x00\x00NUL\x00 bytes and \xff\xfe\xc3\x28 invalid utf-8\n",
        STAMP + b"\x1b[31;1mred\x1b[0m \x1b]0;title\x07 text\r\n",
        garbage + b"\n",
        STAMP + b"x" * (10 << 20) + b"\n",
        STAMP + b"c++: fatal error: Killed signal terminated program cc1plus\n",
        STAMP + b"##[error]Process completed with exit code 1.\n",
    ])
    limits = Limits()
    run = read_log(data, limits=limits)
    texts = [line.text for step in run.steps for line in step.lines]
    assert all(len(text) <= limits.line_chars + 40 for text in texts)
    assert not any(ch in text for text in texts for ch in "\x00\x1b\x07\r")
    assert "NUL bytes and \ufffd\ufffd\ufffd( invalid utf-8" in texts
    assert "red  text" in texts
    assert run.truncated_bytes >= (10 << 20) - limits.line_bytes
    window = failure_window(run)
    assert window.root_cause_lines == ["c++: fatal error: Killed signal terminated program cc1plus"]


def test_a_huge_line_without_any_newline_is_clipped():
    run = read_log(STAMP + b"##[error]" + b"y" * (5 << 20))
    texts = [line.text for step in run.steps for line in step.lines]
    assert len(texts) == 1 and "[truncated " in texts[0] and texts[0].startswith("##[error]yyy")

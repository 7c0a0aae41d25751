"""Kept raw bytes → clean lines: decode with replacement, strip BOM, timestamps, ANSI and control chars, redact."""

from __future__ import annotations

import re

from agent.logs.model import Line, Piece
from agent.logs.redact import redact

_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?", re.MULTILINE)
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?")
_RAW_CUT = re.compile(r" \[truncated (\d+) bytes\]$")
_CONTROL = dict.fromkeys([*range(9), *range(11, 32), 127, 0xFEFF])
"""Control characters (tab and newline stay), DEL and the BOM are dropped."""


def clean_text(text: str) -> str:
    """Strip line-leading timestamps, ANSI escape sequences, control characters and BOMs."""
    text = text.replace("\r\n", "\n").replace("\ufeff", "")
    text = _TIMESTAMP.sub("", text)
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    return text.translate(_CONTROL)


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending in `[truncated N bytes]` (an earlier raw cut included)."""
    if len(text) <= limit:
        return text
    earlier = _RAW_CUT.search(text)
    body = text[: earlier.start()] if earlier else text
    cut = len(body[limit:].encode("utf-8")) + (int(earlier.group(1)) if earlier else 0)
    return f"{body[:limit]} {truncation_marker(cut)}"


def _numbered(first: int, original: int, lines: list[str]) -> list[Line]:
    """Number lines from `first`; if redaction merged lines, number the head forward and the tail back."""
    if len(lines) == original:
        return [Line(first + i, text) for i, text in enumerate(lines)]
    last = first + original - 1
    half = len(lines) // 2
    head = [Line(first + i, text) for i, text in enumerate(lines[:half])]
    tail = [Line(last - i, text) for i, text in enumerate(reversed(lines[half:]))]
    return head + tail[::-1]


def decode_piece(piece: Piece, line_chars: int) -> tuple[list[Line], int]:
    """One kept piece as numbered, clean, redacted lines, and how many secrets were replaced."""
    text = clean_text(piece.data.decode("utf-8", "replace"))
    text = text.removesuffix("\n")
    original = text.count("\n") + 1
    text, redactions = redact(text)
    lines = text.split("\n")
    if any(len(line) > line_chars for line in lines):
        lines = [clip(line, line_chars) for line in lines]
    return _numbered(piece.first_line, original, lines), redactions


def decode_pieces(pieces: list[Piece], line_chars: int) -> tuple[list[Line], int]:
    """All pieces of a step as lines, with a `[truncated N bytes]` marker where bytes were cut."""
    out: list[Line] = []
    total = 0
    for piece in pieces:
        if piece.gap:
            out.append(Line(None, truncation_marker(piece.gap)))
        if piece.data:
            lines, count = decode_piece(piece, line_chars)
            out.extend(lines)
            total += count
    return out, total


def truncation_marker(count: int) -> str:
    return f"[truncated {count} bytes]"

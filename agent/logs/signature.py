"""Failure signatures: the same failure in two runs hashes the same; different failures differ.

`normalise_line` masks what changes between runs of one failure: timestamps, GUIDs, hex ids and
SHAs (both become `<n>`, like numbers), durations, temp dirs, redaction placeholders and the
directories of paths. It keeps what says which failure it is: the words, identifiers with digits
in them (`GLIBC_2.28`, `C2065`, `upload-artifact@v3`), a path's file name (`<path>/Foo.cpp`: the
same error in another file is another failure, while the checkout directory differs per machine),
and the numbers that carry meaning (exit codes, HTTP statuses, signals). `failure_signature`
hashes the set of normalised lines: duplicates and order are noise (parallel builds interleave).
"""

from __future__ import annotations

import hashlib

import re2

from agent.logs.redact import PLACEHOLDER_PATTERN

MAX_LINE_CHARS = 4000
"""Only a line's head counts: long lines end in variable payloads (dumps, command lines)."""

_TEMP_MARKERS = re2.compile(
    r"(?i)(^|/)(tmp|temp|_temp|var/folders|private/var/folders|cmaketmp)(/|$)|/tmp[a-z0-9_]{6,}(/|$)"
)
_TEMP_NAME = re2.compile(r"^(tmp[A-Za-z0-9_]{5,}|cc[A-Za-z0-9]{6}|pip-[a-z0-9_-]+)(\.|$)")

_DURATION = (
    r"(?i)\b\d+(?:\.\d+)?[ \t]?(?:ms|msec|s|sec|secs|seconds?|m|min|mins|minutes?|h|hrs?|hours?)\b"
    r"(?:[ \t]?\d+(?:\.\d+)?[ \t]?(?:ms|s|sec|secs|seconds?|m|min|minutes?))*"
)
_PATH_CHARS = r"[A-Za-z0-9_.+~@$%=,-]"
_STEPS: list[tuple[str, str]] = [
    (r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|[\x00-\x08\x0b-\x1f\x7f]", ""),
    (r"^\x{feff}?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?", ""),
    (PLACEHOLDER_PATTERN, "<redacted>"),
    (r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "<guid>"),
    (r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:Z|[+-]\d\d:?\d\d)?", "<ts>"),
    (r"\b\d{4}[-/]\d\d[-/]\d\d\b|\b\d\d?:\d\d:\d\d(?:[.,]\d+)?\b", "<ts>"),
    (_DURATION, "<dur>"),
]
_COMPILED = [(re2.compile(pattern), replacement) for pattern, replacement in _STEPS]
_URL = re2.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s'\"()]+)(/[^\s'\"<>()]*)?")
_WINDOWS_PATH = re2.compile(r"(?i)(?:\b[a-z]:|\\\\[^\\\s]+)(?:[\\/]" + _PATH_CHARS + r"+)+[\\/]?")
_POSIX_PATH = re2.compile(r"(^|[\s'\"(=:,\[])((?:~|\.{1,2})?(?:/" + _PATH_CHARS + r"+)+/?)")
_RELATIVE_PATH = re2.compile(r"(^|[\s'\"(=:,\[])(" + _PATH_CHARS + r"+(?:[\\/]" + _PATH_CHARS + r"+)+[\\/]?)")
_HEX_ID = re2.compile(r"(?i)\b(?:0x[0-9a-f]+|[0-9a-f]{7,})\b")
# Numbers that say which failure it is are kept; any other standalone number becomes <n>.
_MEANINGFUL = (
    r"exit code|exit status|exited with code|status code|status|returned error|http/\d(?:\.\d)?|http|"
    r"signal|errno|error code"
)
_NUMBER = re2.compile(
    r"(?i)\b((?:" + _MEANINGFUL + r")[ \t:=]{1,3}\d{1,3})\b|(^|[^A-Za-z0-9_.<>])\d+(?:\.\d+)*"
)
_SPACES = re2.compile(r"\s+")


def _mask_path(path: str) -> str:
    """`<tmp>` for temp locations, else `<path>/` plus the file name (masked if it is a temp name)."""
    unified = path.replace("\\", "/")
    if _TEMP_MARKERS.search(unified):
        return "<tmp>"
    name = unified.rstrip("/").rsplit("/", 1)[-1]
    if _TEMP_NAME.search(name):
        name = "<tmp>"
    return "<path>/" + name if name and name not in (".", "..", "~") else "<path>"


def _mask_url(match) -> str:
    scheme, host, path = match.group(1), match.group(2), match.group(3) or ""
    host = host.rsplit("@", 1)[-1]
    return scheme + host + ("/" + _mask_path(path) if path.strip("/") else path)


def _mask_hex(match) -> str:
    # Hex ids and plain numbers share one token: an all-digit short SHA must mask like any other.
    token = match.group(0)
    return "<n>" if any(c.isdigit() for c in token) else token


def _mask_number(match) -> str:
    return match.group(1) or match.group(2) + "<n>"


def normalise_line(line: str) -> str:
    """A line with its run-specific parts masked; lines of one failure in two runs normalise equal."""
    text = line[:MAX_LINE_CHARS]
    for regex, replacement in _COMPILED:
        text = regex.sub(replacement, text)
    text = _URL.sub(_mask_url, text)
    text = _WINDOWS_PATH.sub(lambda m: _mask_path(m.group(0)), text)
    text = _POSIX_PATH.sub(lambda m: m.group(1) + _mask_path(m.group(2)), text)
    text = _RELATIVE_PATH.sub(lambda m: m.group(1) + _mask_path(m.group(2)), text)
    text = _HEX_ID.sub(_mask_hex, text)
    text = _NUMBER.sub(_mask_number, text)
    return _SPACES.sub(" ", text).strip()


def failure_signature(lines: list[str]) -> str:
    """16 hex chars: sha256 of the sorted, deduplicated, non-empty normalised lines."""
    normalised = sorted({norm for norm in (normalise_line(line) for line in lines) if norm})
    return hashlib.sha256("\n".join(normalised).encode("utf-8", "surrogatepass")).hexdigest()[:16]

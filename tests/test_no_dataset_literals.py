"""No known-issue pattern and no error shape quotes the development datasets: they are written from what a
failure kind prints in general, never tuned to one log of the sets the benchmarks measure on."""

from __future__ import annotations

import gzip
import json
import re
from functools import lru_cache
from pathlib import Path

import pytest

from agent.knowledge import load_known_issues
from agent.logs import rank, sections, shapes, toolchains

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
MIN_LITERAL = 20
_ANSI = re.compile(r"\x1b?\[[0-9;]*[A-Za-z]")
_META = set(".^$*+?()[]{}|")
_CLASS_ESCAPES = set("dDsSwWbBAzZpPQECxnrtfvae0123456789")
_SPACES = re.compile(r"\s+")
TOOL_MESSAGES = {
    "No space left on device": "strerror(ENOSPC), libc",
    "Connection timed out": "strerror(ETIMEDOUT), libc",
    "Could not resolve host": "curl (CURLE_COULDNT_RESOLVE_HOST)",
    "TLS handshake timeout": "Go net/http (docker, registries)",
    "error while loading shared libraries: lib": "ld.so, the dynamic loader",
    ": cannot open shared object file": "ld.so, the dynamic loader",
    "Traceback (most recent call last)": "CPython, every uncaught exception",
    "error: aborting due to": "rustc, after any compile error",
    "error: could not compile": "cargo, after any compile error",
    "error: failed to push some refs": "git push, whenever the remote refuses a ref update",
    "Dubious, test returned ": "prove (TAP::Harness), whenever a test script exits non-zero",
}
"""Fixed messages a program prints on every failure of its kind (the program named): any real log set has them.
Anything else a pattern shares with the datasets would be a quote of one log."""


def literal_runs(pattern: str) -> list[str]:
    """The runs of literal characters in a regex (escaped punctuation unescaped), split at any operator."""
    runs, current, i = [], [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern) and pattern[i + 1] not in _CLASS_ESCAPES:
            current.append(pattern[i + 1])
            i += 2
            continue
        if char == "\\" or char in _META:
            if char in "*?{" and current:
                current.pop()  # the quantified character is optional or repeated: not part of the literal
            runs.append("".join(current))
            current, i = [], i + (2 if char == "\\" else 1)
            continue
        current.append(char)
        i += 1
    runs.append("".join(current))
    return [run for run in runs if len(run.strip()) >= MIN_LITERAL]


def _corpus_text(rows: list[dict], key: str) -> str:
    return "\n".join(_SPACES.sub(" ", _ANSI.sub("", row.get(key) or "")) for row in rows)


@lru_cache(maxsize=1)
def dataset_text() -> str:
    """Every logchunks `chunk` and every line of the veloren logs, normalised, as one text."""
    texts = []
    chunks = DATASETS / "logchunks-dev" / "labels.jsonl"
    rows = [json.loads(line) for line in chunks.read_text(encoding="utf-8").splitlines() if line]
    texts.append(_corpus_text(rows, "chunk"))
    for log in sorted((DATASETS / "veloren-dev" / "logs").glob("*.gz")):
        texts.append(_SPACES.sub(" ", _ANSI.sub("", gzip.decompress(log.read_bytes()).decode("utf-8", "replace"))))
    return "\n".join(texts)


def our_patterns() -> dict[str, str]:
    """Every known-issue pattern and every regex of the log readers and rankers, by where it comes from."""
    found = {}
    for issue in load_known_issues().issues:
        for n, pattern in enumerate([*issue.patterns, *issue.not_patterns]):
            found[f"known-issue {issue.id} #{n}"] = getattr(pattern, "pattern", pattern)
    for shape in shapes.SHAPES:
        found[f"shape {shape.name}"] = shape.pattern
    for module in (shapes, toolchains, sections, rank):
        for name, value in vars(module).items():
            text = value.pattern if isinstance(value, re.Pattern) else value
            if isinstance(text, bytes):
                text = text.decode("utf-8", "replace")
            if isinstance(text, str) and name.isupper():
                found[f"{module.__name__}.{name}"] = text
    return found


needs_datasets = pytest.mark.skipif(not (DATASETS / "logchunks-dev" / "labels.jsonl").is_file(),
                                    reason=f"{DATASETS} is not here: nothing to compare the patterns with")


@needs_datasets
def test_the_datasets_are_read_and_the_patterns_have_literals_to_compare():
    assert len(dataset_text()) > 100_000
    assert sum(len(literal_runs(p)) for p in our_patterns().values()) > 20


@needs_datasets
def test_no_pattern_quotes_a_dataset_chunk_or_log_line():
    corpus = dataset_text()
    copied = {where: run for where, pattern in our_patterns().items() for run in literal_runs(pattern)
              if _SPACES.sub(" ", run) in corpus and run not in TOOL_MESSAGES}
    assert not copied, copied


@needs_datasets
def test_the_check_catches_a_pattern_quoting_a_chunk():
    row = json.loads((DATASETS / "logchunks-dev" / "labels.jsonl").read_text(encoding="utf-8").splitlines()[0])
    line = max(_ANSI.sub("", row["chunk"]).splitlines(), key=len).strip()
    quoted = re.escape(line[:40]).replace("\\ ", " ")
    assert any(_SPACES.sub(" ", run) in dataset_text() for run in literal_runs(quoted))


def test_a_literal_run_is_found_and_split_at_regex_operators():
    assert literal_runs(r"Could not resolve host: github\.com(?:/x)?") == ["Could not resolve host: github.com"]
    assert literal_runs(r"short (?:a|b) words \d+ only") == []

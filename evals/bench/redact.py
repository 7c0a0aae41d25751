"""Redaction, signature and store bench: throughput against baselines measured in the same run.

Run: python evals/bench/redact.py [--mb 10] [--json]
Redaction runs every secret class (about 25 RE2 passes, then detect-secrets' plugins on the lines its
prefilter flags) over a synthesized job log with secrets sprinkled in, and over one 10 MB line; the baseline is a single RE2 pass of one literal pattern
over the same text (the floor any pass pays) and Python `re` running the generic class alone.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import re2

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agent.logs.maintained_rules import flagged_spans
from agent.logs.redact import RULES, Redactor, redact
from agent.logs.signature import failure_signature
from agent.store import Store
from evals.synth import StepSpec, render_job_log

SECRET_LINES = [
    "git clone https://x-access-token:ghs_" + "Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6" + "@github.com/o/r",
    "export AWS_ACCESS_KEY_ID=ASIA" + "Y34FZKBOKMUTVV7A",
    "> Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl",
]


def seconds(fn, repeat: int = 3) -> float:
    """Best wall time of `repeat` calls."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def build_log(megabytes: float) -> str:
    """A synthesized job log of about `megabytes`, with a secret line every ~5,000 lines."""
    chunk = render_job_log("build", [StepSpec(name="Build", lines=["x"], noise=20000, failed=True)], seed=7)
    lines = chunk.splitlines()
    for i in range(0, len(lines), 5000):
        lines[i] += " " + SECRET_LINES[i % len(SECRET_LINES)]
    text = "\n".join(lines)
    return (text + "\n") * max(1, int(megabytes * 1e6 / len(text)))


def bench_redaction(megabytes: float) -> dict:
    log = build_log(megabytes)
    one_line = ("a" * 1000 + "=" + "b" * 50) * int(megabytes * 1e6 / 1051)
    generic = next(rule.pattern for rule in RULES if rule.kind == "generic-secret")
    size_mb = len(log.encode()) / 1e6
    redact_s = seconds(lambda: redact(log), 2)
    return {
        "log_mb": round(size_mb, 1),
        "redactions": redact(log)[1],
        "redact_s": round(redact_s, 3),
        "redact_mb_per_s": round(size_mb / redact_s, 1),
        "baseline_one_re2_pass_s": round(seconds(lambda: re2.search("ghp_", log)), 3),
        "baseline_python_re_generic_only_s": round(seconds(lambda: re.compile(generic).sub("", log), 1), 3),
        "one_line_mb": round(len(one_line) / 1e6, 1),
        "one_line_redact_s": round(seconds(lambda: redact(one_line), 1), 3),
    } | bench_maintained(log, size_mb)


def bench_maintained(log: str, size_mb: float) -> dict:
    """The detect-secrets pass: how many lines its prefilter hands it, and the cost with our rules alone
    on the same log and on one where every 20th line mentions a token or password."""
    ours = Redactor(maintained=False)
    lines = log.splitlines()
    heavy = "\n".join(line + (" using token from $CI_TOKEN (password: ***)" if i % 20 == 0 else "")
                      for i, line in enumerate(lines))
    heavy_mb = len(heavy.encode()) / 1e6
    return {
        "maintained_flagged_lines": len(flagged_spans(log.encode())),
        "redact_rules_only_s": round(seconds(lambda: ours.redact(log), 2), 3),
        "heavy_flagged_lines": len(flagged_spans(heavy.encode())),
        "heavy_redact_mb_per_s": round(heavy_mb / seconds(lambda: redact(heavy), 1), 1),
        "heavy_rules_only_mb_per_s": round(heavy_mb / seconds(lambda: ours.redact(heavy), 1), 1),
    }


def bench_signature() -> dict:
    lines = [
        f"2025-01-0{i % 9 + 1}T10:00:00.1234567Z /home/runner/work/r/r/src/F{i}.cpp:{i}:3: error: x{i} undeclared"
        for i in range(200)
    ]
    per_call = seconds(lambda: failure_signature(lines), 5)
    return {"signature_200_lines_ms": round(per_call * 1000, 2)}


def bench_store(count: int = 200) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "a.db")
        start = time.perf_counter()
        for i in range(count):
            store.claim_run("o/r", i, 1, workflow="CI")
        claim_s = time.perf_counter() - start
        store.close()
        conn = sqlite3.connect(Path(tmp) / "raw.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE t (a, b, UNIQUE (a, b))")
        start = time.perf_counter()
        for i in range(count):
            conn.execute("INSERT OR IGNORE INTO t VALUES (?, ?)", ("o/r", i))
        raw_s = time.perf_counter() - start
    return {"claim_run_per_s": round(count / claim_s), "baseline_raw_insert_per_s": round(count / raw_s)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=10.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = bench_redaction(args.mb) | bench_signature() | bench_store()
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        print(f"{key:40} {value}")


if __name__ == "__main__":
    main()

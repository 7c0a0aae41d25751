"""Re-run decisions on real GitLab CI job logs (veloren-dev) against always / never re-run, in one run.

`python -m evals.bench.veloren [--dataset DIR] [--limit N] [--path auto|triage|judge] [--real-failures DIR] [--json]`

Each log of `labels.jsonl` (gzipped, labelled intermittent or regular by people) is read as a user
would pipe it in (the decompressed text). "Re-run proposed" is:
- path `triage`: our whole triage path, `triage(text).proposed_action == "rerun"`;
- path `judge`: the transient-kind judge on the log's lines (ANSI colour codes and GitLab
  `section_start`/`section_end` markers removed), for a tree whose reader does not accept plain logs.
`auto` (the default) measures `triage` when it accepts the logs and falls back to `judge` for a log it
refuses; the output says how many logs each path measured.

Precision: of the re-runs proposed, how many were intermittent (a wasted re-run costs a build).
Recall: of the intermittent failures, how many got a re-run (the rest are false escalations).
The baselines are measured on the same logs: always re-run, never re-run. `--real-failures
../shared/datasets/logchunks-dev` also counts the re-runs proposed on 200 failed builds of other projects,
every one a real failure: a cross-check of precision on other projects' logs (its first run proposed 6,
on link checkers' findings and an after_script upload; the generic rules for those two came from it).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

DATASET = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "veloren-dev"
_MARKUP = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|section_(?:start|end):\d+:[^\r\n\x1b]*")
_LINE_BREAK = re.compile(r"\r?\n|\r")
GOALS = {"precision": 0.9, "recall": 0.6}


def load(dataset: Path, limit: int | None = None) -> list[tuple[str, bool, bytes]]:
    """(log name, intermittent, decompressed bytes) for each labelled log."""
    rows = []
    for line in (dataset / "labels.jsonl").read_text(encoding="utf-8").splitlines()[:limit]:
        label = json.loads(line)
        rows.append((label["log"], bool(label["intermittent"]), gzip.decompress((dataset / label["log"]).read_bytes())))
    return rows


def judge_rerun(data: bytes) -> bool:
    """The transient-kind judge on the log's plain lines."""
    from agent.knowledge.transient import judge

    return judge(_LINE_BREAK.split(_MARKUP.sub("", data.decode("utf-8", "replace")))) is not None


def triage_rerun(data: bytes) -> bool | None:
    """Our triage path's decision; None when triage refuses the log (a tree without the plain-log reader)."""
    from agent.errors import AgentError
    from agent.triage import triage

    try:
        return triage(data).proposed_action == "rerun"
    except (AgentError, ValueError):
        return None


def decide(data: bytes, path: str) -> tuple[bool, str]:
    """(re-run proposed, the path that decided) for one log."""
    if path != "judge":
        found = triage_rerun(data)
        if found is not None or path == "triage":
            return bool(found), "triage"
    return judge_rerun(data), "judge"


def score(predicted: list[bool], labels: list[bool]) -> dict:
    """Precision, recall and the confusion counts of `predicted` re-runs against the intermittent labels."""
    tp = sum(p and y for p, y in zip(predicted, labels, strict=True))
    fp = sum(p and not y for p, y in zip(predicted, labels, strict=True))
    fn = sum(y and not p for p, y in zip(predicted, labels, strict=True))
    proposed = tp + fp
    return {"precision": round(tp / proposed, 3) if proposed else None, "recall": round(tp / (tp + fn), 3) if tp + fn else None,
            "reruns": proposed, "tp": tp, "fp": fp, "fn": fn, "tn": len(labels) - tp - fp - fn}


def run(dataset: Path, limit: int | None, path: str) -> dict:
    """Every method on every log, with the paths that measured ours."""
    rows = load(dataset, limit)
    labels = [intermittent for _, intermittent, _ in rows]
    started, ours, paths, misses = time.perf_counter(), [], Counter(), []
    for name, intermittent, data in rows:
        proposed, used = decide(data, path)
        ours.append(proposed)
        paths[used] += 1
        if proposed != intermittent:
            misses.append({"log": name, "intermittent": intermittent, "rerun": proposed})
    return {"logs": len(rows), "intermittent": sum(labels), "paths": dict(paths),
            "seconds": round(time.perf_counter() - started, 2), "goals": GOALS,
            "methods": {"ours": score(ours, labels), "always-rerun": score([True] * len(rows), labels),
                        "never-rerun": score([False] * len(rows), labels)},
            "misses": misses}


def false_reruns(dataset: Path, path: str) -> dict:
    """Re-runs proposed on a set of logs that are all real failures (logchunks-dev: failed builds, causes marked)."""
    rows = [json.loads(line) for line in (dataset / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line]
    proposed = [row["log"] for row in rows if decide(gzip.decompress((dataset / row["log"]).read_bytes()), path)[0]]
    return {"dataset": dataset.name, "logs": len(rows), "reruns": len(proposed), "logs_rerun": proposed}


def table(report: dict) -> str:
    """The methods side by side, the paths measured and the goals."""
    lines = [(f"veloren-dev: {report['logs']} GitLab job logs, {report['intermittent']} intermittent "
             f"(paths measured: {', '.join(f'{k}={v}' for k, v in report['paths'].items())}; {report['seconds']} s)"),
             f"{'method':<14}{'precision':>10}{'recall':>8}{'reruns':>8}{'tp':>5}{'fp':>5}{'fn':>5}{'tn':>5}"]
    for name, m in report["methods"].items():
        shown = {k: "-" if m[k] is None else f"{m[k]:.3f}" for k in ("precision", "recall")}
        lines.append(f"{name:<14}{shown['precision']:>10}{shown['recall']:>8}{m['reruns']:>8}"
                     f"{m['tp']:>5}{m['fp']:>5}{m['fn']:>5}{m['tn']:>5}")
    if "real_failures" in report:
        real = report["real_failures"]
        lines.append(f"re-runs proposed on {real['logs']} real failures of {real['dataset']}: {real['reruns']}")
    lines.append(f"goals: precision >= {GOALS['precision']}, recall >= {GOALS['recall']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--path", choices=("auto", "triage", "judge"), default="auto")
    parser.add_argument("--real-failures", type=Path, default=None, metavar="DIR",
                        help="also count re-runs proposed on a labels.jsonl set of real failures (e.g. logchunks-dev)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not (args.dataset / "labels.jsonl").is_file():
        print(f"error: no labels.jsonl in {args.dataset}", file=sys.stderr)
        return 2
    report = run(args.dataset, args.limit, args.path)
    if args.real_failures is not None:
        report["real_failures"] = false_reruns(args.real_failures, args.path)
    print(json.dumps(report, indent=2) if args.json else table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())

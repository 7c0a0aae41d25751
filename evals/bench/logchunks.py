"""Root-cause lines on real Travis logs (LogChunks subset) against naive baselines, in one run.

`python -m evals.bench.logchunks [--dataset DIR] [--limit N] [--json]`

Each log of `labels.jsonl` is triaged as a user would pipe it in (the decompressed text), and each
method's output is checked for the chunk a developer marked as the reason the build failed.

"Chunk found" (the same rule for every method):
- text is normalised: ANSI colour and mode codes removed (with or without their ESC byte, as the
  labellers copied them; private modes such as `[?1l` too), `\\r` progress rewrites cut to their last part, `<` dropped (the labellers' copies
  lost it: `Context.<anonymous>` reads `Context.anonymous>`), whitespace runs collapsed;
- a chunk line is *non-trivial* when, normalised, it has at least 12 characters and 4 letters
  (the labellers' empty `nl` lines and bare `}` or numbers are not evidence);
- a chunk line is *in* an output when its normalised first 120 characters occur in the normalised
  output (one output line or across the joined lines);
- the chunk is found when at least one of its non-trivial lines is in the output ("any"), and, in the
  stricter column, when at least half of them are ("half").

Methods: `root-cause` (our `root_cause_lines`), `diagnosis` (root-cause lines + excerpt), and the
baselines `tail-4KB`, `tail-8KB`, `tail-32KB` (the log's last bytes), `error-5` (the last 5 lines
that contain "error", any case) and `tail-same-lines` (the log's last lines, as many as our triage
gave root-cause lines for that log: the same reading budget).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from pathlib import Path

DATASET = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "logchunks-dev"
_ANSI = re.compile(r"\x1b?\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07?")
_SPACES = re.compile(r"\s+")
PROBE_CHARS = 120
MIN_CHARS, MIN_LETTERS = 12, 4
METHODS = ("root-cause", "diagnosis", "tail-4KB", "tail-8KB", "tail-32KB", "error-5", "tail-same-lines")
NAIVE = ("tail-4KB", "tail-8KB", "tail-32KB", "error-5")
"""The issue's naive baselines; `tail-same-lines` (the log's last lines, as many as our root-cause lines) is
shown beside them as a size-matched reference."""
GOALS = {"root-cause": 60.0, "diagnosis": 85.0}
MARGIN = 25.0


def normalise(text: str) -> str:
    """ANSI removed, each line's `\\r` rewrites cut to the last one, whitespace collapsed."""
    lines = [_ANSI.sub("", line).rstrip("\r").rsplit("\r", 1)[-1] for line in text.split("\n")]
    return "\n".join(_SPACES.sub(" ", line.replace("<", "")).strip() for line in lines)


def probes(chunk: str) -> list[str]:
    """The chunk's non-trivial lines, normalised and cut to PROBE_CHARS."""
    found = []
    for line in normalise(chunk).split("\n"):
        if len(line) >= MIN_CHARS and sum(c.isalpha() for c in line) >= MIN_LETTERS:
            found.append(line[:PROBE_CHARS])
    return list(dict.fromkeys(found))


def coverage(chunk_probes: list[str], output: str) -> float:
    """Share of the chunk's probes present in `output` (0.0 when the chunk has none)."""
    if not chunk_probes:
        return 0.0
    text = normalise(output)
    joined = text.replace("\n", " ")
    return sum(probe in text or probe in joined for probe in chunk_probes) / len(chunk_probes)


def baselines(text: str, same_lines: int) -> dict[str, str]:
    """The naive methods' outputs for one log."""
    data = text.encode("utf-8")
    tails = {f"tail-{kb}KB": data[-(kb << 10):].decode("utf-8", "ignore") for kb in (4, 8, 32)}
    lines = [line for line in text.split("\n") if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    same = lines[-same_lines:] if same_lines else []
    return {**tails, "error-5": "\n".join(errors[-5:]), "tail-same-lines": "\n".join(same)}


def ours(data: bytes, kb) -> dict[str, str]:
    """Our triage's root-cause lines, and root-cause lines + excerpt."""
    from agent.errors import BadInput
    from agent.triage import triage

    try:
        diagnosis = triage(data, kb=kb)
    except BadInput:
        return {"root-cause": "", "diagnosis": ""}
    causes = "\n".join(diagnosis.root_cause_lines)
    return {"root-cause": causes, "diagnosis": causes + "\n" + diagnosis.excerpt}


def measure(dataset: Path, limit: int | None = None) -> dict:
    """Found rates (any / half) per method over the labelled logs."""
    from agent.knowledge import load_known_issues

    kb = load_known_issues()
    rows = [json.loads(line) for line in (dataset / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line]
    rows = rows[:limit] if limit else rows
    hits = {method: [0, 0] for method in METHODS}
    sizes = dict.fromkeys(METHODS, 0)
    started = time.perf_counter()
    for row in rows:
        data = gzip.decompress((dataset / row["log"]).read_bytes())
        mine = ours(data, kb)
        count = mine["root-cause"].count("\n") + 1 if mine["root-cause"] else 0
        outputs = {**mine, **baselines(data.decode("utf-8", "replace"), count)}
        chunk_probes = probes(row["chunk"])
        for method in METHODS:
            share = coverage(chunk_probes, outputs[method])
            hits[method][0] += share > 0
            hits[method][1] += share >= 0.5
            sizes[method] += len(outputs[method].encode("utf-8"))
    seconds = time.perf_counter() - started
    rates = {m: {"any": round(100 * a / len(rows), 1), "half": round(100 * h / len(rows), 1),
                 "mean_kb": round(sizes[m] / len(rows) / 1024, 1)} for m, (a, h) in hits.items()}
    best = max(rates[m]["any"] for m in NAIVE)
    goals = {m: {"percent": rates[m]["any"], "goal": goal, "met": rates[m]["any"] >= goal,
                 "points_above_best_naive": round(rates[m]["any"] - best, 1),
                 "margin_met": rates[m]["any"] - best >= MARGIN} for m, goal in GOALS.items()}
    return {"logs": len(rows), "seconds": round(seconds, 1), "found_percent": rates, "goals": goals}


def render(result: dict) -> str:
    """A table: method, % of logs whose chunk is found (any line / half of its lines), mean output size."""
    lines = [f"logchunks-dev: {result['logs']} logs, {result['seconds']} s",
             f"{'method':<16} {'any line':>9} {'half':>7} {'mean KB':>8}"]
    for method, rate in result["found_percent"].items():
        lines.append(f"{method:<16} {rate['any']:>8.1f}% {rate['half']:>6.1f}% {rate['mean_kb']:>8.1f}")
    for method, goal in result["goals"].items():
        lines.append(f"goal {method}: {goal['percent']}% (>= {goal['goal']}%: {'met' if goal['met'] else 'NOT met'}); "
                     f"{goal['points_above_best_naive']:+} points vs the best naive baseline "
                     f"(>= +{MARGIN}: {'met' if goal['margin_met'] else 'NOT met'})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not (args.dataset / "labels.jsonl").is_file():
        print(f"{args.dataset}: no labels.jsonl", file=sys.stderr)
        return 2
    result = measure(args.dataset, args.limit)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Retrieval bench: recall@3 of BM25, vectors and the fused ranking on real log lines, plus timings.

Run: python evals/bench/retrieval.py [--set evals/bench/retrieval_set.yaml] [--k 3] [--json]
Builds a fresh index in a temporary directory (so the build time is a cold build), then queries it.
Goals: fused recall@3 >= 0.9 and >= either ranking alone; warm hybrid query p50/p95 <= 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agent.rag import MODES, Index, guide_source

LATENCY_GOAL_MS = 50.0
RECALL_GOAL = 0.9


def load_pairs(path: Path) -> list[dict]:
    """The (query, expect) pairs of the retrieval set."""
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["pairs"]


def expected_links(pair: dict) -> list[str]:
    """A pair names one section, or a list when a log line genuinely belongs to several."""
    expect = pair["expect"]
    return [expect] if isinstance(expect, str) else list(expect)


def recall_at(index: Index, pairs: list[dict], mode: str, k: int) -> tuple[float, float, list[dict]]:
    """Share of queries whose expected section is in the top k, and first; and the misses."""
    misses, firsts = [], 0
    for pair in pairs:
        links = [hit.link for hit in index.search(pair["query"], k=k, mode=mode)]
        firsts += bool(links) and links[0] in expected_links(pair)
        if not set(expected_links(pair)) & set(links):
            misses.append({"query": pair["query"][:100], "expect": pair["expect"], "got": links})
    return round(1 - len(misses) / len(pairs), 3), round(firsts / len(pairs), 3), misses


def latency_ms(index: Index, pairs: list[dict], mode: str, rounds: int = 3) -> dict:
    """p50/p95 of warm queries (one untimed warm-up query first)."""
    index.search(pairs[0]["query"], mode=mode)
    samples, cpu = [], []
    for _ in range(rounds):
        for pair in pairs:
            started, cpu_started = time.perf_counter(), time.process_time()
            index.search(pair["query"], k=3, mode=mode)
            samples.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
    samples.sort()
    return {"p50": round(statistics.median(samples), 2), "p95": round(samples[int(len(samples) * 0.95) - 1], 2),
            "cpu_p50": round(statistics.median(cpu), 2)}


def run(set_path: Path, k: int) -> dict:
    """Build, measure, and report everything as one dict."""
    pairs = load_pairs(set_path)
    with tempfile.TemporaryDirectory() as tmp:
        index = Index(Path(tmp) / "index")
        stats = index.build([guide_source()])
        recall, recall1, misses = {}, {}, {}
        for mode in MODES:
            recall[mode], recall1[mode], misses[mode] = recall_at(index, pairs, mode, k)
        latency = {mode: latency_ms(index, pairs, mode) for mode in MODES}
    fused = recall["hybrid"]
    goals = {"fused_recall": fused >= RECALL_GOAL,
             "fused_not_worse": fused >= max(recall["bm25"], recall["vector"]),
             "latency": latency["hybrid"]["p95"] <= LATENCY_GOAL_MS}
    return {"pairs": len(pairs), "k": k, "load_average": [round(x, 2) for x in os.getloadavg()], "build": stats.to_dict(), "recall": recall, "recall_at_1": recall1,
            "latency_ms": latency, "goals": goals, "misses": misses}


def print_report(report: dict) -> None:
    k = report["k"]
    print(f"retrieval set: {report['pairs']} log lines; index: {report['build']['chunks']} sections, "
          f"cold build {report['build']['seconds']} s (model load included); "
          f"load average {report['load_average']} (latency is wall time: a busy machine inflates it)")
    for mode, label in (("bm25", "BM25 alone"), ("vector", "vectors alone"), ("hybrid", "fused (RRF)")):
        lat = report["latency_ms"][mode]
        print(f"  {label:14} recall@{k} {report['recall'][mode]:.3f}  @1 {report['recall_at_1'][mode]:.3f}   warm p50 {lat['p50']:6.2f} ms  p95 {lat['p95']:6.2f} ms  (cpu p50 {lat['cpu_p50']:.2f} ms)")
    for goal, met in report["goals"].items():
        print(f"  goal {goal}: {'met' if met else 'NOT met'}")
    for miss in report["misses"]["hybrid"]:
        print(f"  fused miss: {miss['expect']} <- {miss['query']!r} got {miss['got']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=Path(__file__).with_name("retrieval_set.yaml"))
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = run(args.set, args.k)
    print(json.dumps(report, indent=2)) if args.json else print_report(report)


if __name__ == "__main__":
    main()

"""Retrieval bench: recall@3 of BM25, vectors and the fused ranking on real log lines, plus timings.

Run: python evals/bench/retrieval.py [--set evals/bench/retrieval_set.yaml] [--k 3] [--cold] [--json]
Builds a fresh index in a temporary directory (so the build time is a cold build), then queries it.
--cold also times `agent search` as a fresh subprocess (wall time and peak RSS): BM25 alone (no server),
hybrid through a warm `agent index --serve`, and hybrid loading the model in the subprocess (the old way),
with recall@k of the CLI's own answers for the first two.
Goals: fused recall@3 >= 0.9 and >= either ranking alone; warm hybrid query p50/p95 <= 50 ms;
cold `agent search` <= 2 s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agent.rag import MODES, Index, guide_source
from agent.rag.server import server_file

LATENCY_GOAL_MS = 50.0
RECALL_GOAL = 0.9
COLD_GOAL_S = 2.0
AGENT = Path(sys.executable).with_name("agent")


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


LAUNCHER = """import json, resource, subprocess, sys, time
started = time.perf_counter()
out = subprocess.run(sys.argv[1:], capture_output=True, check=True).stdout
wall = time.perf_counter() - started
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"answer": json.loads(out), "wall": wall, "rss_kb": rss}))
"""
"""Times one `agent search` from a small process: a child forked from this bench would count the bench's
own memory (the loaded model) in its peak RSS."""


def agent_search(home: Path, query: str, k: int, mode: str) -> tuple[dict, float, float]:
    """`agent search QUERY --json` as a fresh process: (its answer, wall seconds, peak RSS in MB)."""
    command = [str(AGENT), "search", query, "-k", str(k), "--mode", mode, "--json"]
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *command], capture_output=True, check=True,
                          env={**os.environ, "AGENT_HOME": str(home)})
    result = json.loads(done.stdout)
    return result["answer"], result["wall"], result["rss_kb"] / 1024  # ru_maxrss is KiB on Linux


def cli_run(home: Path, pairs: list[dict], k: int, mode: str, full: bool) -> dict:
    """Median wall time and peak RSS over 3 cold calls; recall@k of the CLI's answers over every pair if full."""
    walls, rss, found = [], [], 0
    for n, pair in enumerate(pairs if full else pairs[:3]):
        answer, wall, peak = agent_search(home, pair["query"], k, mode)
        found += bool(set(expected_links(pair)) & {hit["link"] for hit in answer["hits"]})
        if n < 3:
            walls.append(wall)
            rss.append(peak)
    row = {"wall_s": round(statistics.median(walls), 2), "rss_mb": round(max(rss), 1), "mode": answer["mode"],
           "served_by": answer["served_by"]}
    return {**row, "recall": round(found / len(pairs), 3)} if full else row


@contextlib.contextmanager
def warm_server(home: Path, timeout: float = 300.0):
    """`agent index --serve` in the background until its server file appears (the model is then loaded)."""
    server = subprocess.Popen([str(AGENT), "index", "--serve"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "AGENT_HOME": str(home)})
    try:
        deadline = time.monotonic() + timeout
        while not server_file(home / "index").exists() and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.2)
        yield server
    finally:
        server.terminate()
        server.wait(30)


def cold_search_report(pairs: list[dict], k: int) -> dict:
    """`agent search` from a shell, each call a new process, in a fresh AGENT_HOME (index built first)."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        subprocess.run([str(AGENT), "index"], check=True, capture_output=True, env={**os.environ, "AGENT_HOME": tmp})
        runs = {"auto, no server (bm25)": cli_run(home, pairs, k, "auto", full=True),
                "hybrid, model loaded here": cli_run(home, pairs, k, "hybrid", full=False)}
        with warm_server(home):
            runs["auto, warm server (hybrid)"] = cli_run(home, pairs, k, "auto", full=True)
    served = runs["auto, warm server (hybrid)"]
    goal = max(runs["auto, no server (bm25)"]["wall_s"], served["wall_s"]) <= COLD_GOAL_S
    return {"runs": runs, "served": served, "goal_met": goal and served["served_by"] == "server"}


def run(set_path: Path, k: int, cold: bool = False) -> dict:
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
    report = {"pairs": len(pairs), "k": k, "load_average": [round(x, 2) for x in os.getloadavg()],
              "build": stats.to_dict(), "recall": recall, "recall_at_1": recall1,
              "latency_ms": latency, "goals": goals, "misses": misses}
    if cold:
        report["cold_cli"] = cold_search_report(pairs, k)
        goals["cold_cli_seconds"] = report["cold_cli"]["goal_met"]
        goals["cli_hybrid_recall_not_lower"] = report["cold_cli"]["served"]["recall"] >= recall["hybrid"]
    return report


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
    for name, row in report.get("cold_cli", {}).get("runs", {}).items():
        recall = f"recall@{k} {row['recall']:.3f}" if "recall" in row else ""
        print(f"  cold `agent search` {name:22} wall {row['wall_s']:5.2f} s  peak RSS {row['rss_mb']:4.0f} MB  {recall}")
    for miss in report["misses"]["hybrid"]:
        print(f"  fused miss: {miss['expect']} <- {miss['query']!r} got {miss['got']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=Path(__file__).with_name("retrieval_set.yaml"))
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="also time `agent search` as a cold subprocess")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = run(args.set, args.k, args.cold)
    print(json.dumps(report, indent=2)) if args.json else print_report(report)


if __name__ == "__main__":
    main()

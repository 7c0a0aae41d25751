"""Benchmark: flaky-test verdicts on a simulated CI history, and the cost of reading results.

    python -m evals.bench.flaky_detect [--json] [--seed N]

The history is generated from ground truth written here, not from the detector: 200 Boost.Test tests
on a two-leg matrix (linux, jetson), 60 commits, one run each, every failed run re-run once (today's
remedy). 165 tests are stable; 5 fail every time on the Jetson leg only (broken there, never flaky);
15 are flaky on the Jetson leg (each attempt fails with probability 0.1-0.4); 10 break at a commit that edits their own source file and fail from then on; 5 break
and are fixed later by a commit to their source. Every commit also edits 1-3 unrelated files.
Printed: precision and recall of `flaky`, how many broken tests were ever called flaky (must be 0), runs
from a flaky test's first failure to its verdict, and timings: results from a 55 MB build+test log (2,000 Boost.Test cases), from 16 MB of test lines only, from a
20,000-case JUnit file, and judging every test over the whole history.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time

from agent.flaky.detect import Observation, judge_all
from agent.flaky.logparse import results_from_text
from agent.flaky.results import results_from_xml

COMMITS, LEGS = 60, ("linux", "jetson")


def world(rng: random.Random) -> dict[str, dict]:
    """Ground truth per test: kind, fail probability, break/fix commits, source file."""
    tests = {}
    for i in range(200):
        kind = ("stable" if i < 165 else "leg_broken" if i < 170 else "flaky" if i < 185 else "broken" if i < 195
                else "fixed")
        start = rng.randrange(10, 40)
        tests[f"suite{i % 20}/case{i}"] = {"kind": kind, "p": rng.uniform(0.1, 0.4), "file": f"base/test/t{i}_tests.cpp",
                                            "break": start, "fix": start + rng.randrange(5, 15)}
    return tests


def passes(truth: dict, commit: int, leg: str, rng: random.Random) -> bool:
    if truth["kind"] == "flaky":  # flaky on the self-hosted Jetson leg only, as ApraPipes' GPU tests are
        return leg == "linux" or rng.random() >= truth["p"]
    if truth["kind"] == "leg_broken":  # always fails on Jetson, passes on linux: not flaky
        return leg == "linux"
    if truth["kind"] == "broken":
        return commit < truth["break"]
    if truth["kind"] == "fixed":
        return not truth["break"] <= commit < truth["fix"]
    return True


def history(tests: dict, rng: random.Random) -> list[list[Observation]]:
    """Observations per run (a failed run's re-run included), commit by commit."""
    runs = []
    for commit in range(COMMITS):
        changed = tuple(f"docs/page{rng.randrange(50)}.md" for _ in range(rng.randrange(1, 4)))
        changed += tuple(t["file"] for t in tests.values() if commit in (t["break"], t["fix"]) and t["kind"] != "stable"
                         and not (t["kind"] == "broken" and commit == t["fix"]))
        attempts, obs = 1, []
        while attempts <= 2:
            batch = [Observation(name, "boost", commit + 1, attempts, leg, f"sha{commit}", passes(t, commit, leg, rng),
                                 f"2026-11-01T{commit // 60:02d}:{commit % 60:02d}:0{attempts}",
                                 changed if attempts == 1 else (), t["file"])
                     for name, t in tests.items() for leg in LEGS]
            obs += batch
            if all(o.passed for o in batch):
                break
            attempts += 1
        runs.append(obs)
    return runs


def measure(seed: int) -> dict:
    rng = random.Random(seed)
    tests = world(rng)
    runs = history(tests, rng)
    seen: list[Observation] = []
    first_flaky: dict[str, int] = {}
    ever_flaky: set[str] = set()
    start = time.perf_counter()
    first_fail: dict[str, int] = {}
    for number, obs in enumerate(runs, 1):
        seen += obs
        for o in obs:
            if not o.passed:
                first_fail.setdefault(o.test_id, number)
        for verdict in judge_all(seen, window=20):
            if verdict.kind == "flaky":
                ever_flaky.add(verdict.test_id)
                first_flaky.setdefault(verdict.test_id, number)
    judge_seconds = (time.perf_counter() - start) / len(runs)
    truly = {n for n, t in tests.items() if t["kind"] == "flaky"}
    broken = {n for n, t in tests.items() if t["kind"] in ("broken", "fixed", "leg_broken")}
    final = {v.test_id for v in judge_all(seen, window=20) if v.kind == "flaky"}
    return {"tests": len(tests), "runs": len(runs), "observations": len(seen),
            "flaky_precision": round(len(final & truly) / max(1, len(final)), 3),
            "flaky_recall": round(len(final & truly) / len(truly), 3),
            "broken_ever_called_flaky": len(ever_flaky & broken),
            "stable_ever_called_flaky": len(ever_flaky - truly - broken),
            "runs_from_first_failure_to_verdict_median": statistics.median(
                first_flaky[n] - first_fail[n] for n in truly if n in first_flaky),
            "runs_from_first_failure_to_verdict_max": max(first_flaky[n] - first_fail[n] for n in truly if n in first_flaky),
            "judge_seconds_per_run": round(judge_seconds, 4), **timings()}


BUILD_LINE = "2026-11-01T10:00:00.0000000Z [ 42%] Building CXX object base/CMakeFiles/aprapipes.dir/src/Frame{i}.cpp.o\n"
CASE = ('Entering test suite "s{s}"\nEntering test case "c{i}"\ns.cpp(1): error: in "s{s}/c{i}": check failed\n'
        'Leaving test case "c{i}"; testing time: 1us\nLeaving test suite "s{s}"\n')


def parse_seconds(log: str) -> float:
    start = time.perf_counter()
    results_from_text(log)
    return time.perf_counter() - start


def timings() -> dict:
    xml = ("<testsuite>" + "".join(f'<testcase assertions="1" classname="s{i % 50}" name="c{i}"/>'
                                   for i in range(20_000)) + "</testsuite>").encode()
    start = time.perf_counter()
    results_from_xml(xml)
    junit_seconds = time.perf_counter() - start
    cases = "".join(CASE.format(s=i % 40, i=i) for i in range(2_000))
    build = "".join(BUILD_LINE.format(i=i) for i in range(500_000))
    only_tests = "".join(CASE.format(s=i % 40, i=i) for i in range(100_000))
    log_seconds = parse_seconds(build + cases)
    return {"log_mb": round(len(build + cases) / 1e6, 1), "log_test_cases": 2_000, "log_seconds": round(log_seconds, 2),
            "test_lines_only_mb": round(len(only_tests) / 1e6, 1),
            "test_lines_only_seconds": round(parse_seconds(only_tests), 2),
            "junit_cases": 20_000, "junit_seconds": round(junit_seconds, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    figures = measure(args.seed)
    print(json.dumps(figures, indent=2) if args.json else "\n".join(f"{k:32} {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()

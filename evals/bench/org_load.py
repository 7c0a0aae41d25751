"""Benchmark: an organisation of 500 repositories with 10,000 failed runs over a simulated day.

    python -m evals.bench.org_load [--repos 500] [--runs 10000] [--handled 300] [--workers 2] [--json]

Three parts, each printed next to the same figure for a single repository measured in the same run:
1. Intake at full size: every failed run arrives as a signed `workflow_run` delivery (a burst from 8
   senders) → acknowledgement p50/p99, lost deliveries, duplicated jobs, store size after intake.
2. Handling a sample: `--handled` of those runs (three kinds: a known fix, a transient failure, a novel
   failure; spread over the repositories) go through the real pipeline against the sandbox → GitHub
   requests per handled run (counted by the sandbox), seconds per run, store bytes per run.
3. The simulated day: the 10,000 arrivals spread over 24 h with a working-hours peak, served by
   `--workers` workers whose service times are drawn from part 2 → queue lag p50/p99 (a discrete-event
   simulation on measured service times; the store size for the day is extrapolated from part 2).
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from agent.github import GitHub, RetryPolicy
from agent.github.retry import Retrier
from agent.pipeline import Pipeline
from agent.policy import load_policy
from agent.sandbox import Sandbox
from agent.store import Store
from evals.bench.webhook_load import Delivery, percentile, run_receiver
from evals.synth import StepSpec, run_layout

ORG = "Apra-Labs"
WORKFLOW = ".github/workflows/CI-Linux.yml"
FILES = {WORKFLOW: "name: CI-Linux\non: [push]\njobs:\n  build:\n    runs-on: ubuntu-22.04\n    steps:\n"
                   "      - uses: actions/checkout@v4\n      - run: cmake --build build\n",
         "README.md": "org repository\n"}
KINDS = {
    "novel": ["src/Widget.cpp:88:12: error: 'frob' was not declared in this scope"],
    "transient": ["fatal: unable to access 'https://github.com/o/r/': Could not resolve host: github.com"],
    "known": ["CMake Error at vcpkg_installed/x64-windows/share/sfml/SFMLConfig.cmake:139 (message):",
              "  Unsupported SFML component: system"],
}
HOURLY_WEIGHT = [1, 1, 1, 1, 1, 2, 3, 6, 10, 12, 12, 11, 9, 11, 12, 12, 10, 8, 5, 3, 2, 2, 1, 1]
"""Relative arrivals per hour of the day (UTC): a working-hours peak."""


def repo_names(count: int) -> list[str]:
    return [f"{ORG}/service-{n:04d}" for n in range(count)]


def deliveries(repos: list[str], runs: int, seed: int = 5) -> list[Delivery]:
    """One signed-payload delivery per failed run, run ids unique, repositories round-robin."""
    from evals.bench.webhook_load import make_deliveries

    made = make_deliveries(runs, 0)
    out = []
    for n, delivery in enumerate(made):
        payload = json.loads(delivery.body)
        payload["repository"]["full_name"] = repos[n % len(repos)]
        out.append(Delivery(delivery.guid, delivery.run_id, json.dumps(payload).encode("utf-8")))
    return out


def intake(repos: list[str], runs: int, senders: int) -> dict[str, Any]:
    """Part 1: the burst of deliveries against the real receiver and store."""
    tally, counts = run_receiver(deliveries(repos, runs), 0.0, senders)
    return {"deliveries": runs, "ack_p50_ms": round(percentile(tally.seconds, 50) * 1000, 1),
            "ack_p99_ms": round(percentile(tally.seconds, 99) * 1000, 1), "non_2xx": sum(
                1 for s in tally.statuses if not 200 <= s < 300), "errors": len(tally.errors), **counts}


def client(sb: Sandbox) -> GitHub:
    policy = RetryPolicy(max_attempts=4, max_total_wait=30, backoff_base=0.05, backoff_cap=0.2,
                         secondary_min_wait=0.2)
    return GitHub(base_url=sb.url, token=sb.token, retrier=Retrier(policy))


def handle_sample(repos: list[str], handled: int, seed: int = 7) -> dict[str, Any]:
    """Part 2: `handled` failed runs through the real pipeline; requests, seconds and store bytes per run."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="org-bench-") as tmp, Sandbox(ci_delay=0.01) as sb:
        targets = []
        for n in range(handled):
            name = repos[n % len(repos)]
            if name.lower() not in sb.state.repos:
                sb.add_repo(name, files=FILES)
            kind = rng.choice(sorted(KINDS))
            steps = {"build": [StepSpec(name="Build", command="cmake --build build", lines=KINDS[kind], noise=40,
                                        failed=True)]}
            targets.append((name, sb.add_failed_run(name, workflow=WORKFLOW, name="CI-Linux",
                                                    logs=run_layout(steps, workflow=WORKFLOW, seed=n))))
        store = Store(Path(tmp) / "agent.db")
        pipeline = Pipeline(client(sb), store, load_policy(), verify_timeout=5, poll_interval=0.02)
        before, seconds = len(sb.requests), []
        for name, run_id in targets:
            began = time.monotonic()
            pipeline.handle_run(name, run_id)
            seconds.append(time.monotonic() - began)
        requests = len(sb.requests) - before
        store.close()
        size = (Path(tmp) / "agent.db").stat().st_size + sum(
            p.stat().st_size for p in Path(tmp).glob("agent.db-*"))
    return {"handled": handled, "requests_per_run": round(requests / handled, 1),
            "seconds_per_run_p50": round(statistics.median(seconds), 3),
            "seconds_per_run_p99": round(percentile(seconds, 99), 3), "store_bytes_per_run": round(size / handled),
            "service_seconds": seconds}


def arrivals(runs: int, seed: int = 11) -> list[float]:
    """Arrival times (s) of `runs` failures over one day, weighted by HOURLY_WEIGHT."""
    rng = random.Random(seed)
    hours = rng.choices(range(24), weights=HOURLY_WEIGHT, k=runs)
    return sorted(hour * 3600 + rng.random() * 3600 for hour in hours)


def simulate_day(times: list[float], service: list[float], workers: int, seed: int = 13) -> dict[str, float]:
    """Queue lag (arrival → a worker starts it) with `workers` servers and service times drawn from `service`."""
    rng = random.Random(seed)
    free = [0.0] * workers
    heapq.heapify(free)
    lags = []
    for arrived in times:
        ready = heapq.heappop(free)
        start = max(arrived, ready)
        lags.append(start - arrived)
        heapq.heappush(free, start + rng.choice(service))
    return {"queue_lag_p50_s": round(percentile(lags, 50), 2), "queue_lag_p99_s": round(percentile(lags, 99), 2),
            "queue_lag_max_s": round(max(lags), 2)}


def measure(repos: int, runs: int, handled: int, workers: int, senders: int = 8) -> dict[str, Any]:
    """Every figure for the organisation and for a single repository, in one run."""
    org, single = repo_names(repos), [f"{ORG}/ApraPipes"]
    report: dict[str, Any] = {"repos": repos, "runs": runs, "workers": workers}
    for label, names in (("single", single), ("org", org)):
        received = intake(names, runs, senders)
        sample = handle_sample(names, handled)
        day = simulate_day(arrivals(runs), sample.pop("service_seconds"), workers)
        day["store_mb_for_the_day"] = round((sample["store_bytes_per_run"] * runs) / 1e6, 1)
        report[label] = {"intake": received, "handling": sample, "day": day}
    return report


def table(report: dict[str, Any]) -> str:
    rows = [("webhook ack p50 / p99 (ms)", lambda r: f"{r['intake']['ack_p50_ms']} / {r['intake']['ack_p99_ms']}"),
            ("lost / duplicated", lambda r: f"{r['intake']['lost']} / {r['intake']['duplicated']}"),
            ("GitHub requests per handled run", lambda r: f"{r['handling']['requests_per_run']}"),
            ("seconds per handled run p50 / p99", lambda r: f"{r['handling']['seconds_per_run_p50']} / "
                                                              f"{r['handling']['seconds_per_run_p99']}"),
            ("queue lag over the day p50 / p99 (s)", lambda r: f"{r['day']['queue_lag_p50_s']} / "
                                                               f"{r['day']['queue_lag_p99_s']}"),
            ("store size for the day (MB, extrapolated)", lambda r: f"{r['day']['store_mb_for_the_day']}")]
    head = f"{report['runs']} failed runs over a simulated day, {report['workers']} workers"
    lines = [head, f"{'':44}{'1 repository':>18}{str(report['repos']) + ' repositories':>20}"]
    lines += [f"{name:44}{get(report['single']):>18}{get(report['org']):>20}" for name, get in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=500)
    parser.add_argument("--runs", type=int, default=10_000, help="failed runs over the day")
    parser.add_argument("--handled", type=int, default=300, help="runs taken through the whole pipeline")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    report = measure(args.repos, args.runs, args.handled, args.workers)
    print(json.dumps(report, indent=2) if args.json else table(report))


if __name__ == "__main__":
    main()

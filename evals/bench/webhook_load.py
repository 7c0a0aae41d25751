"""Benchmark: 1,000 signed `workflow_run` deliveries in one minute against the webhook receiver.

    python -m evals.bench.webhook_load [--count 1000] [--seconds 60] [--senders 4] [--replays 50]

A few concurrent senders post on a fixed schedule (a new connection per delivery, as GitHub does);
some deliveries are replayed with the same GUID. Reported: p50/p99/max acknowledgement time, lost
deliveries (sent ids missing from the store), duplicated jobs (store rows beyond one per run), non-2xx
answers. Baseline in the same run: the same load against a bare HTTP server that reads the body and
answers 200. Goals: p99 < 1 s, 0 lost, 0 duplicated.
"""

from __future__ import annotations

import argparse
import http.client
import json
import queue
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from agent.daemon.intake import Intake
from agent.daemon.jsonlog import JsonLog, NullStream
from agent.daemon.receiver import WebhookReceiver, signature_256
from agent.policy import load_policy
from agent.store import Store, iso

SECRET = "bench-secret"
REPO = "Apra-Labs/ApraPipes"
GOAL_P99 = 1.0


@dataclass
class Delivery:
    guid: str
    run_id: int
    body: bytes


@dataclass
class Tally:
    seconds: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses.append(status)
            self.seconds.append(seconds)


def make_deliveries(count: int, replays: int) -> list[Delivery]:
    """`count` distinct failed runs, then `replays` of them again with the same GUID and body."""
    out = []
    for run_id in range(1, count + 1):
        run = {"id": run_id, "run_attempt": 1, "status": "completed", "conclusion": "failure",
               "head_branch": "main", "head_sha": "a" * 40, "event": "push", "created_at": iso(),
               "path": ".github/workflows/CI-Linux.yml", "actor": {"login": "dev1", "author_association": "MEMBER"}}
        payload = {"action": "completed", "workflow_run": run,
                   "repository": {"full_name": REPO, "default_branch": "main"}}
        out.append(Delivery(str(uuid.uuid4()), run_id, json.dumps(payload).encode("utf-8")))
    step = max(1, count // max(1, replays)) if replays else 0
    return out + ([out[i] for i in range(0, count, step)][:replays] if replays else [])


def post(port: int, delivery: Delivery) -> int:
    headers = {"Content-Type": "application/json", "X-GitHub-Event": "workflow_run",
               "X-GitHub-Delivery": delivery.guid, "X-Hub-Signature-256": signature_256(SECRET, delivery.body)}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        conn.request("POST", "/", body=delivery.body, headers=headers)
        answer = conn.getresponse()
        answer.read()
        return answer.status
    finally:
        conn.close()


def send_all(port: int, deliveries: list[Delivery], seconds: float, senders: int) -> Tally:
    """Post every delivery at its scheduled time from `senders` threads; time each acknowledgement."""
    tally, work = Tally(), queue.Queue()
    start = time.monotonic() + 0.2
    for n, delivery in enumerate(deliveries):
        work.put((start + n * seconds / len(deliveries), delivery))

    def sender() -> None:
        while True:
            try:
                due, delivery = work.get_nowait()
            except queue.Empty:
                return
            time.sleep(max(0.0, due - time.monotonic()))
            began = time.monotonic()
            try:
                tally.add(post(port, delivery), time.monotonic() - began)
            except OSError as exc:
                with tally.lock:
                    tally.errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


class Bare(BaseHTTPRequestHandler):
    """The baseline: read the body, answer 200, store nothing."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        pass


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def run_receiver(deliveries: list[Delivery], seconds: float, senders: int) -> tuple[Tally, dict[str, int]]:
    with tempfile.TemporaryDirectory(prefix="webhook-bench-") as tmp:
        store = Store(Path(tmp) / "agent.db")
        intake = Intake(store, load_policy().actors, log=JsonLog(stream=NullStream()))
        receiver = WebhookReceiver(intake, SECRET).start()
        try:
            tally = send_all(receiver.port, deliveries, seconds, senders)
        finally:
            receiver.stop()
        stored = {row["id"] for row in store.rows("SELECT id FROM deliveries")}
        jobs = store.scalar("SELECT COUNT(*) FROM runs")
        distinct = store.scalar("SELECT COUNT(DISTINCT run_id) FROM runs")
        store.close()
    sent = {d.guid for d in deliveries}
    return tally, {"lost": len(sent - stored), "duplicated": jobs - distinct,
                   "missing_jobs": len({d.run_id for d in deliveries}) - distinct}


def run_baseline(deliveries: list[Delivery], seconds: float, senders: int) -> Tally:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Bare)
    server.daemon_threads, server.request_queue_size = True, 128
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        return send_all(server.server_address[1], deliveries, seconds, senders)
    finally:
        server.shutdown()
        server.server_close()


def line(name: str, tally: Tally) -> str:
    ok = sum(1 for s in tally.statuses if 200 <= s < 300)
    return (f"{name:<10} p50 {percentile(tally.seconds, 50) * 1000:7.1f} ms   p99 {percentile(tally.seconds, 99) * 1000:7.1f} ms"
            f"   max {max(tally.seconds, default=0) * 1000:7.1f} ms   2xx {ok}/{len(tally.statuses)}"
            f"   errors {len(tally.errors)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="distinct deliveries")
    parser.add_argument("--seconds", type=float, default=60.0, help="spread them over this long (0: a burst)")
    parser.add_argument("--senders", type=int, default=4, help="concurrent senders")
    parser.add_argument("--replays", type=int, default=50, help="deliveries sent again with the same GUID")
    args = parser.parse_args()
    deliveries = make_deliveries(args.count, args.replays)
    print(f"{len(deliveries)} deliveries ({args.count} distinct + {args.replays} replays) over "
          f"{args.seconds:g} s from {args.senders} senders", flush=True)
    baseline = run_baseline(deliveries, args.seconds, args.senders)
    print(line("baseline", baseline), flush=True)
    tally, counts = run_receiver(deliveries, args.seconds, args.senders)
    print(line("receiver", tally))
    print(f"receiver   lost {counts['lost']}   duplicated jobs {counts['duplicated']}   "
          f"runs never queued {counts['missing_jobs']}")
    p99 = percentile(tally.seconds, 99)
    verdict = p99 < GOAL_P99 and counts["lost"] == 0 and counts["duplicated"] == 0 and not tally.errors
    print(f"goal p99 < {GOAL_P99:g} s, 0 lost, 0 duplicated: {'MET' if verdict else 'MISSED'}"
          f"   (p99 {p99 / max(percentile(baseline.seconds, 99), 1e-9):.1f}× the bare server's)")


if __name__ == "__main__":
    main()

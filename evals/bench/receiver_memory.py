"""Receiver memory under unsigned bodies: N senders post 25 MB each with a wrong signature; prints RSS before/after.

    python evals/bench/receiver_memory.py [--senders 40] [--mb 25]
"""

from __future__ import annotations

import argparse
import resource
import socket
import tempfile
import threading
import time
from pathlib import Path

from agent.daemon.intake import Intake
from agent.daemon.jsonlog import JsonLog, NullStream
from agent.daemon.receiver import WebhookReceiver
from agent.policy import load_policy
from agent.store import Store


def rss_mb() -> float:
    """This process's resident set size now (Linux /proc), in MB."""
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def send(port: int, size: int, answers: list[str]) -> None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: workflow_run\r\nX-GitHub-Delivery: d\r\n"
                         b"X-Hub-Signature-256: sha256=" + b"0" * 64 + f"\r\nContent-Length: {size}\r\n\r\n".encode())
            chunk = b"x" * (1 << 20)
            for _ in range(size // len(chunk)):
                sock.sendall(chunk)
            answers.append(sock.recv(64).split(b"\r\n")[0].decode())
    except OSError as exc:
        answers.append(f"closed ({type(exc).__name__})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--senders", type=int, default=40)
    parser.add_argument("--mb", type=int, default=25)
    args = parser.parse_args()
    store = Store(Path(tempfile.mkdtemp()) / "agent.db")
    intake = Intake(store, load_policy().actors, log=JsonLog(stream=NullStream()))
    server = WebhookReceiver(intake, "bench-secret", read_timeout=60, deadline=120).start()
    before, peak, answers = rss_mb(), 0.0, []
    senders = [threading.Thread(target=send, args=(server.port, args.mb << 20, answers)) for _ in range(args.senders)]
    started = time.monotonic()
    for sender in senders:
        sender.start()
    while any(sender.is_alive() for sender in senders):
        peak = max(peak, rss_mb())
        time.sleep(0.05)
    server.stop()
    counts = {answer: answers.count(answer) for answer in sorted(set(answers))}
    print(f"{args.senders} unsigned {args.mb} MB bodies in {time.monotonic() - started:.1f} s: RSS {before:.0f} MB "
          f"before, {peak:.0f} MB peak, {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB max; "
          f"answers {counts}")


if __name__ == "__main__":
    main()

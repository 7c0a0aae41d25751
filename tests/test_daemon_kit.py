"""Shared builders for the daemon tests: signed deliveries, a recording handler, daemons on a temp DB."""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from agent.daemon.jsonlog import JsonLog, NullStream
from agent.daemon.receiver import signature_256
from agent.daemon.service import Daemon, DaemonConfig
from agent.github import GitHub, RetryPolicy
from agent.policy import load_policy
from agent.sandbox import Sandbox
from agent.store import Store, iso

AGENT = [sys.executable, "-c", "from agent.cli.app import main; main()"]
"""The `agent` command, run by this interpreter."""
SECRET = "daemon-test-secret"
REPO = "Apra-Labs/ApraPipes"
WRITES = ("POST", "PATCH", "PUT", "DELETE")
FAILED_LOGS = {"1_build.txt": "2025-01-01T00:00:00.0000000Z ##[error]Process completed with exit code 1.\n"}


@dataclass
class Result:
    """The shape of a pipeline HandleResult the worker reads."""

    status: str = "escalated"
    urls: list[str] = field(default_factory=list)
    diagnosis: Any = None
    plan: Any = None
    decision: Any = None
    actions: list[dict[str, Any]] = field(default_factory=list)


class RecordingHandler:
    """A stand-in pipeline: records calls; optionally blocks until `release` is set, or raises."""

    def __init__(self, block: bool = False, error: Exception | None = None, status: str = "escalated"):
        self.calls: list[tuple[str, int, int | None]] = []
        self.outcomes: list[tuple[str, dict[str, Any]]] = []
        self.started, self.release = threading.Event(), threading.Event()
        self.block, self.error, self.status = block, error, status

    def handle_run(self, full_name: str, run_id: int, run_attempt: int | None = None) -> Result:
        self.calls.append((full_name, run_id, run_attempt))
        self.started.set()
        if self.block:
            self.release.wait(60)
        if self.error is not None:
            raise self.error
        return Result(self.status, [f"https://github.com/{full_name}/issues/1"])

    def handle_default_branch_outcome(self, full_name: str, run: dict[str, Any]) -> None:
        self.outcomes.append((full_name, run))


def quiet_log() -> JsonLog:
    return JsonLog(stream=NullStream())


def make_daemon(store: Store, handler: Any, gh: Any = None, **config: Any) -> Daemon:
    """A daemon with webhooks on a free port, no poller, no monitor (unless asked)."""
    settings = {"repos": [REPO], "port": 0, "secret": SECRET, "poll_interval": None, "monitor_interval": None,
                "lease_seconds": 30.0, "stop_grace": 2.0, **config}
    return Daemon(store, gh, handler, load_policy(), DaemonConfig(**settings), log=quiet_log())


def run_payload(run_id: int, attempt: int = 1, conclusion: str = "failure", branch: str = "main",
                association: str = "MEMBER", created_at: str | None = None, head_repo: str = REPO,
                action: str = "completed") -> dict[str, Any]:
    """A `workflow_run` webhook payload as GitHub sends it."""
    run = {"id": run_id, "run_attempt": attempt, "status": "completed", "conclusion": conclusion,
           "head_branch": branch, "head_sha": "a" * 40, "event": "push", "path": ".github/workflows/CI-Linux.yml",
           "name": "CI-Linux", "created_at": created_at or iso(),
           "actor": {"login": "dev1", "author_association": association},
           "repository": {"full_name": REPO}, "head_repository": {"full_name": head_repo}}
    return {"action": action, "workflow_run": run, "repository": {"full_name": REPO, "default_branch": "main"}}


def signed_headers(body: bytes, event: str = "workflow_run", delivery: str | None = None,
                   secret: str = SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or str(uuid.uuid4()), "X-Hub-Signature-256": signature_256(secret, body)}


def post(port: int, body: bytes, headers: dict[str, str], timeout: float = 10) -> tuple[int, dict[str, Any], float]:
    """POST to the receiver; → (status, JSON answer, seconds to the answer)."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
    finally:
        conn.close()
    return answer.status, json.loads(data or b"{}"), time.monotonic() - started


def deliver(port: int, payload: dict[str, Any], event: str = "workflow_run",
            delivery: str | None = None) -> tuple[int, dict[str, Any], float]:
    body = json.dumps(payload).encode("utf-8")
    return post(port, body, signed_headers(body, event, delivery))


def get_json(port: int, path: str) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        return answer.status, json.loads(answer.read() or b"{}")
    finally:
        conn.close()


def wait_for(predicate, timeout: float = 10.0, every: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()


def writes(sb: Sandbox) -> list[str]:
    return [f"{r.method} {r.path}" for r in sb.requests if r.method in WRITES]


@pytest.fixture
def store(tmp_path) -> Store:
    db = Store(tmp_path / "agent.db")
    yield db
    db.close()


@pytest.fixture
def sandbox():
    with Sandbox(ci_delay=0.05) as sb:
        sb.add_repo(REPO, files={"README.md": "ApraPipes\n"})
        yield sb


@pytest.fixture
def gh(sandbox) -> GitHub:
    return GitHub(base_url=sandbox.url, token=sandbox.token, retry=RetryPolicy(max_total_wait=0.5))

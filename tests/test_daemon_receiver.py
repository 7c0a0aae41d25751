"""The webhook receiver: signatures over raw bytes, dedupe, ignored events, body cap (faults #1–#4, #7, #9)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import tracemalloc
from pathlib import Path

import pytest
from test_daemon_kit import (
    AGENT,
    SECRET,
    RecordingHandler,
    deliver,
    get_json,
    make_daemon,
    post,
    quiet_log,
    run_payload,
    signed_headers,
)

from agent.daemon.intake import Intake
from agent.daemon.receiver import WebhookReceiver, signature_256, signature_ok
from agent.daemon.service import Daemon, DaemonConfig
from agent.daemon.wiring import webhook_secret
from agent.errors import ConfigError
from agent.policy import load_policy

pytest_plugins = ["test_daemon_kit"]
"""The `store`, `sandbox` and `gh` fixtures."""


@pytest.fixture
def receiver(store):
    intake = Intake(store, load_policy().actors, log=quiet_log())
    server = WebhookReceiver(intake, SECRET, max_body=64 * 1024, read_timeout=0.5).start()
    yield server
    server.stop()


def test_signature_matches_githubs_test_vector():
    body = b"Hello, World!"
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert signature_256("It's a Secret to Everybody", body) == expected
    assert signature_ok("It's a Secret to Everybody", body, expected)
    assert not signature_ok("It's a Secret to Everybody", body + b" ", expected)


def test_forged_signature_is_refused_and_nothing_is_enqueued(receiver, store):
    body = json.dumps(run_payload(101)).encode("utf-8")
    status, answer, _ = post(receiver.port, body, signed_headers(body, secret="not-the-secret"))
    assert status == 401 and "does not match" in answer["error"]
    assert store.runs() == [] and store.rows("SELECT * FROM deliveries") == []


@pytest.mark.parametrize("drop, add", [
    ("X-Hub-Signature-256", {}),
    ("X-Hub-Signature-256", {"X-Hub-Signature": "sha1=0123456789abcdef0123456789abcdef01234567"}),
    ("X-Hub-Signature-256", {"X-Hub-Signature-256": ""}),
    ("X-Hub-Signature-256", {"X-Hub-Signature-256": "sha256="}),
])
def test_missing_or_sha1_only_signature_is_refused(receiver, store, drop, add):
    body = json.dumps(run_payload(102)).encode("utf-8")
    headers = {k: v for k, v in signed_headers(body).items() if k != drop} | add
    status, _, _ = post(receiver.port, body, headers)
    assert status == 401
    assert store.runs() == []


@pytest.mark.parametrize("rewrite", [
    lambda body: json.dumps(json.loads(body), indent=2).encode("utf-8"),
    lambda body: json.dumps(json.loads(body), separators=(",", ":")).encode("utf-8"),
    lambda body: body + b"\n",
])
def test_reserialized_body_with_the_original_signature_is_refused(receiver, store, rewrite):
    body = json.dumps(run_payload(103)).encode("utf-8")
    headers = signed_headers(body)
    status, _, _ = post(receiver.port, rewrite(body), headers)
    assert status == 401
    assert store.runs() == []


def test_replayed_delivery_is_acknowledged_and_queued_once(receiver, store):
    body = json.dumps(run_payload(104)).encode("utf-8")
    headers = signed_headers(body, delivery="guid-replayed")
    first, _, _ = post(receiver.port, body, headers)
    second, answer, _ = post(receiver.port, body, headers)
    assert first == 202 and second == 200 and answer["status"] == "duplicate"
    assert len(store.runs()) == 1
    assert len(store.rows("SELECT * FROM deliveries")) == 1


@pytest.mark.parametrize("event, payload", [
    ("ping", {"zen": "Keep it logically awesome.", "hook_id": 1}),
    ("issues", {"action": "opened", "issue": {"number": 1}}),
    ("check_suite", {"action": "completed", "check_suite": {"id": 1}}),
    ("workflow_run", run_payload(105, action="requested")),
    ("workflow_run", run_payload(106, action="in_progress")),
    ("workflow_run", run_payload(107, conclusion="cancelled")),
    ("workflow_run", run_payload(108, conclusion="success", branch="feature/x")),
])
def test_ping_unknown_events_and_actions_are_acknowledged_and_ignored(receiver, store, event, payload):
    status, answer, _ = post(receiver.port, body := json.dumps(payload).encode("utf-8"),
                             signed_headers(body, event=event, delivery=f"d-{event}"))
    assert status == 200 and answer["status"].startswith("ignored")
    assert store.runs() == []
    assert store.get_delivery(f"d-{event}")["status"].startswith("ignored")


def test_timed_out_runs_are_queued_like_failures(receiver, store):
    status, answer, _ = deliver(receiver.port, run_payload(109, conclusion="timed_out"))
    assert (status, answer["status"]) == (202, "enqueued")
    assert store.get_run("Apra-Labs/ApraPipes", 109)["status"] == "queued"


def test_oversized_body_is_refused_unread_with_memory_bounded(store):
    intake = Intake(store, load_policy().actors, log=quiet_log())
    server = WebhookReceiver(intake, SECRET, read_timeout=2).start()  # the default 25 MB cap
    try:
        tracemalloc.start()
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n"
                         b"X-GitHub-Event: workflow_run\r\n\r\n" + b"{" * 65536)
            answer = sock.recv(4096)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    finally:
        server.stop()
    assert answer.startswith((b"HTTP/1.0 413", b"HTTP/1.1 413"))
    assert peak < 5 * 1024 * 1024
    assert store.runs() == []


def test_body_over_a_small_cap_is_refused(receiver, store):
    body = json.dumps(run_payload(110) | {"padding": "x" * 70_000}).encode("utf-8")
    status, _, _ = post(receiver.port, body, signed_headers(body))
    assert status == 413
    assert store.runs() == []


def test_slow_loris_upload_times_out_and_queues_nothing(receiver, store):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=5) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"action\": ")
        answer = sock.recv(4096)
    assert time.monotonic() - started < 3
    assert answer == b"" or b" 408 " in answer.split(b"\r\n")[0]
    assert store.runs() == []


def test_receiver_and_daemon_refuse_to_start_without_a_secret(store, tmp_path):
    intake = Intake(store, load_policy().actors, log=quiet_log())
    with pytest.raises(ConfigError, match="secret"):
        WebhookReceiver(intake, "")
    with pytest.raises(ConfigError, match="secret"):
        Daemon(store, None, RecordingHandler(), load_policy(), DaemonConfig(repos=["a/b"], secret=None))
    empty = tmp_path / "secret"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="empty"):
        webhook_secret(empty)


def test_watch_command_refuses_to_start_without_a_secret(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "AGENT_WEBHOOK_SECRET"}
    env |= {"AGENT_HOME": str(tmp_path), "GITHUB_TOKEN": "ghp_" + "x" * 36}
    done = subprocess.run([*AGENT, "watch", "--repo", "a/b", "--webhook-port", "0"],
                          env=env, capture_output=True, text=True, timeout=60, check=False, cwd=Path(__file__).parent.parent)
    assert done.returncode == 2
    assert "secret" in done.stderr and "Traceback" not in done.stderr


def test_healthz_reports_queue_depth_and_version(store):
    daemon = make_daemon(store, RecordingHandler(block=True)).start()
    try:
        deliver(daemon.receiver.port, run_payload(111))
        deliver(daemon.receiver.port, run_payload(112))
        status, health = get_json(daemon.receiver.port, "/healthz")
    finally:
        daemon.handler.release.set()
        daemon.stop()
        daemon.join()
    assert status == 200 and health["status"] == "ok" and health["version"]
    assert health["queue_depth"] + health["working"] == 2

"""The receiver's limits and formats: GitHub's form-encoded deliveries, a total deadline for headers and body,
a bounded number of connections, and a JSON depth limit (400, never a RecursionError)."""

from __future__ import annotations

import json
import socket
import threading
import time
import tracemalloc
from urllib.parse import quote_plus

import pytest
from test_daemon_kit import SECRET, post, quiet_log, run_payload, signed_headers

from agent.daemon.http_limits import MAX_JSON_DEPTH
from agent.daemon.intake import Intake
from agent.daemon.receiver import WebhookReceiver, signature_256
from agent.policy import load_policy

pytest_plugins = ["test_daemon_kit"]
"""The `store` fixture."""


@pytest.fixture
def receiver(store):
    intake = Intake(store, load_policy().actors, log=quiet_log())
    server = WebhookReceiver(intake, SECRET, read_timeout=5, deadline=1.0, max_connections=2).start()
    yield server
    server.stop()


def form_headers(body: bytes) -> dict[str, str]:
    return signed_headers(body) | {"Content-Type": "application/x-www-form-urlencoded"}


def test_a_form_encoded_delivery_signed_over_its_raw_body_is_queued(receiver, store):
    body = ("payload=" + quote_plus(json.dumps(run_payload(301)))).encode("ascii")
    status, answer, _ = post(receiver.port, body, form_headers(body))
    assert (status, answer) == (202, {"status": "enqueued"})
    assert [run["run_id"] for run in store.runs()] == [301]


def test_a_form_encoded_delivery_signed_over_the_decoded_json_is_refused(receiver, store):
    payload = json.dumps(run_payload(302)).encode("utf-8")
    body = b"payload=" + quote_plus(payload.decode()).encode("ascii")
    status, _, _ = post(receiver.port, body, form_headers(body) | {"X-Hub-Signature-256": signature_256(SECRET, payload)})
    assert status == 401 and store.runs() == []


def test_a_form_body_without_a_payload_field_is_bad_input(receiver, store):
    body = b"other=1"
    status, answer, _ = post(receiver.port, body, form_headers(body))
    assert status == 400 and "payload" in answer["error"] and store.runs() == []


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5000, 200_000])
def test_deeply_nested_signed_json_is_refused_with_400(receiver, store, depth):
    body = b"[" * depth + b"]" * depth
    status, answer, _ = post(receiver.port, body, signed_headers(body))
    assert status == 400 and "nested deeper" in answer["error"]
    assert store.runs() == []


def test_headers_trickled_byte_by_byte_are_cut_off_at_the_total_deadline(receiver, store):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=10) as sock:
        closed = False
        for byte in b"POST / HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 100:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                closed = True
                break
            time.sleep(0.2)
            if time.monotonic() - started > 5:
                break
        if not closed:
            sock.settimeout(3)
            closed = sock.recv(4096) == b""
    assert closed and time.monotonic() - started < 5
    assert store.runs() == []


def test_connections_over_the_bound_are_answered_503_at_once(receiver, store):
    held = [socket.create_connection(("127.0.0.1", receiver.port), timeout=5) for _ in range(2)]
    try:
        for sock in held:
            sock.sendall(b"POST / HTTP/1.1\r\n")
        time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", receiver.port), timeout=5) as extra:
            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = extra.recv(4096)
    finally:
        for sock in held:
            sock.close()
    assert answer.startswith(b"HTTP/1.1 503")
    time.sleep(1.5)
    body = json.dumps(run_payload(303)).encode("utf-8")
    assert post(receiver.port, body, signed_headers(body))[0] == 202


def send_unsigned(port: int, size: int, answers: list[bytes]) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-GitHub-Event: workflow_run\r\n"
                     b"X-GitHub-Delivery: d\r\nX-Hub-Signature-256: sha256=" + b"0" * 64 +
                     f"\r\nContent-Length: {size}\r\n\r\n".encode())
        chunk = b"x" * (1 << 20)
        for _ in range(size // len(chunk)):
            sock.sendall(chunk)
        answers.append(sock.recv(4096))


def test_unsigned_bodies_never_come_into_memory_whole(store):
    intake = Intake(store, load_policy().actors, log=quiet_log())
    server = WebhookReceiver(intake, SECRET, read_timeout=30, deadline=60).start()
    answers: list[bytes] = []
    try:
        tracemalloc.start()
        senders = [threading.Thread(target=send_unsigned, args=(server.port, 8 << 20, answers)) for _ in range(6)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(60)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    finally:
        server.stop()
    assert len(answers) == 6 and all(answer.startswith(b"HTTP/1.0 401") for answer in answers), answers
    assert peak < 16 << 20  # six 8 MB bodies: about 1 MB each in memory, the rest spooled to disk
    assert store.runs() == []

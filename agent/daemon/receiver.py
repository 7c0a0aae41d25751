"""The webhook receiver: verify HMAC-SHA256 over the raw body, enqueue durably, answer fast.

Every store write happens on one writer thread, so a burst of request threads never opens a burst
of SQLite connections; the answer waits only for that commit (faults #1–#4, #7–#9).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler
from threading import Thread
from typing import Any

from agent.daemon.http_limits import MAX_CONNECTIONS, BoundedHTTPServer, parse_payload
from agent.daemon.intake import Intake
from agent.daemon.jsonlog import JsonLog
from agent.errors import ConfigError

MAX_BODY = 25 * 1024 * 1024
"""GitHub never delivers a payload over 25 MB; anything larger is refused unread (413)."""
READ_TIMEOUT = 10.0
"""Seconds a connection may stay silent; also the whole body's deadline (slow-loris)."""
WRITE_TIMEOUT = 8.0
"""Seconds a request waits for its commit before answering 503 (GitHub gives up at 10 s)."""
REQUEST_DEADLINE = 20.0
"""Seconds from accept to the last byte of headers and body; a trickling sender is cut off (slow-loris)."""
SPOOL_MEMORY = 1 << 20
"""Bytes of a body held in memory while it streams in; the rest waits on disk until the signature holds."""
SECRET_HELP = "webhooks need a secret: set AGENT_WEBHOOK_SECRET or pass --webhook-secret-file"


def signature_256(secret: str | bytes, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256(secret, body)>`, as GitHub sends in X-Hub-Signature-256."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def signature_ok(secret: str | bytes, body: bytes, header: str | None) -> bool:
    """Constant-time check of X-Hub-Signature-256 over the raw bytes (never `==` on digests)."""
    if not header or not secret:
        return False
    expected = signature_256(secret, body).encode("ascii")
    return hmac.compare_digest(expected, header.strip().encode("utf-8", "replace"))


class WebhookReceiver:
    """A ThreadingHTTPServer on 127.0.0.1: POST → verify → Intake; GET /healthz → `health()`."""

    def __init__(self, intake: Intake, secret: str | None, host: str = "127.0.0.1", port: int = 0,
                 max_body: int = MAX_BODY, read_timeout: float = READ_TIMEOUT,
                 health: Callable[[], dict[str, Any]] | None = None, log: JsonLog | None = None,
                 deadline: float = REQUEST_DEADLINE, max_connections: int = MAX_CONNECTIONS):
        if not secret:
            raise ConfigError(SECRET_HELP)
        self.intake, self.secret, self.host, self.port = intake, secret, host, port
        self.max_body, self.read_timeout = max_body, read_timeout
        self.deadline, self.max_connections = deadline, max_connections
        self.health = health or (lambda: {"status": "ok"})
        self.log = log or intake.log
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhook-writer")
        self._server: BoundedHTTPServer | None = None
        self.pages: Any = None
        """Read-only pages besides /healthz (agent.web.pages.WebPages: `/` and `/metrics`); None: none."""

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self) -> WebhookReceiver:
        """Bind and serve on a background thread; `port` 0 picks a free port."""
        handler = type("Handler", (_Handler,), {"timeout": self.read_timeout, "receiver": self,
                                                "deadline": self.deadline})
        server_type = type("Server", (BoundedHTTPServer,), {"max_connections": self.max_connections})
        server = server_type((self.host, self.port), handler)
        server.daemon_threads = True
        server.request_queue_size = 128
        self._server, self.port = server, server.server_address[1]
        Thread(target=server.serve_forever, name="webhook-receiver", daemon=True).start()
        self.log.info("receiver listening", url=self.url, max_body=self.max_body)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.writer.shutdown(wait=True)

    def handle(self, headers: Any, body: bytes, verified: bool | None = None) -> tuple[int, dict[str, Any]]:
        """Answer one POST: (HTTP status, JSON answer). Nothing is written unless the signature holds
        (`verified`: already checked while the body streamed in; None: check it here)."""
        signature = headers.get("X-Hub-Signature-256")
        if not signature:
            why = "only the SHA-1 X-Hub-Signature was sent" if headers.get("X-Hub-Signature") else "no signature"
            return self._reject(401, f"{why}; X-Hub-Signature-256 is required", headers)
        if not (signature_ok(self.secret, body, signature) if verified is None else verified):
            return self._reject(401, "signature does not match", headers)
        delivery, event = headers.get("X-GitHub-Delivery"), headers.get("X-GitHub-Event")
        if not delivery or not event:
            return self._reject(400, "X-GitHub-Delivery and X-GitHub-Event are required", headers)
        payload, problem = parse_payload(body, headers.get("Content-Type"))
        if problem:
            return self._reject(400, problem, headers)
        return self._enqueue(delivery, event, payload)

    def _enqueue(self, delivery: str, event: str, payload: Any) -> tuple[int, dict[str, Any]]:
        try:
            status = self.writer.submit(self.intake.accept_delivery, delivery, event, payload).result(
                timeout=WRITE_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - the store is unwell: say so, the poller catches up
            self.log.error("delivery not stored", delivery=delivery, error=f"{type(exc).__name__}: {exc}")
            return 503, {"error": "not stored; retry later"}
        return (202 if status == "enqueued" else 200), {"status": status}

    def _reject(self, code: int, why: str, headers: Any) -> tuple[int, dict[str, Any]]:
        self.log.warning("delivery rejected", code=code, reason=why,
                         delivery=headers.get("X-GitHub-Delivery"), github_event=headers.get("X-GitHub-Event"))
        return code, {"error": why}

    def health_answer(self) -> dict[str, Any]:
        """The health document, computed on the writer thread (one SQLite connection for all requests)."""
        return self.writer.submit(self.health).result(timeout=WRITE_TIMEOUT)


class _Handler(BaseHTTPRequestHandler):
    """One connection: bounded body, socket timeout, JSON answers. `receiver` is set per server."""

    receiver: WebhookReceiver
    server_version = "devops-agent"
    deadline = REQUEST_DEADLINE

    def setup(self) -> None:
        super().setup()
        self._cutoff = threading.Timer(self.deadline, self._cut_off)
        self._cutoff.daemon = True
        self._cutoff.start()

    def finish(self) -> None:
        self._cutoff.cancel()
        super().finish()

    def _cut_off(self) -> None:
        """The whole request took too long (headers or body trickled in): close the connection."""
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_POST(self) -> None:
        length = self._content_length()
        if length is None:
            return self._answer(411, {"error": "Content-Length required"})
        if length > self.receiver.max_body:
            self.receiver.log.warning("delivery too large", length=length, cap=self.receiver.max_body)
            return self._answer(413, {"error": f"body over {self.receiver.max_body} bytes"})
        read = self._spool_body(length)
        if read is None:
            return self._answer(408, {"error": "body not received in time"})
        expected, spool = read
        with spool:
            given = (self.headers.get("X-Hub-Signature-256") or "").strip().encode("utf-8", "replace")
            verified = hmac.compare_digest(expected.encode("ascii"), given)
            spool.seek(0)
            body = spool.read() if verified else b""  # an unsigned body never comes into memory whole
        self._answer(*self.receiver.handle(self.headers, body, verified))

    def do_GET(self) -> None:
        if self.path.split("?")[0].rstrip("/") != "/healthz":
            return self._page()
        try:
            self._answer(200, self.receiver.health_answer())
        except Exception as exc:  # noqa: BLE001 - a health check reports, never crashes
            self._answer(503, {"status": "error", "error": f"{type(exc).__name__}: {exc}"})

    def _content_length(self) -> int | None:
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return None
        return length if length >= 0 else None

    def _spool_body(self, length: int) -> tuple[str, Any] | None:
        """Read exactly `length` bytes before the deadline into a spool (memory, then disk past SPOOL_MEMORY),
        signing as they come: (the signature they must carry, the spool); None on a slow or broken sender."""
        mac = hmac.new(self.receiver.secret.encode("utf-8"), digestmod=hashlib.sha256)
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115 - the caller closes it
        deadline, left = time.monotonic() + self.receiver.read_timeout, length
        try:
            while left > 0:
                chunk = self.rfile.read1(min(left, 1 << 16)) if time.monotonic() <= deadline else b""
                if not chunk:
                    spool.close()
                    return None
                mac.update(chunk)
                spool.write(chunk)
                left -= len(chunk)
        except OSError:
            spool.close()
            return None
        return "sha256=" + mac.hexdigest(), spool

    def _page(self) -> None:
        """A read-only page (dashboard, metrics) when the receiver has them; else 404."""
        pages = self.receiver.pages
        try:
            found = pages.answer(self.path, self.headers) if pages is not None else None
        except Exception as exc:  # noqa: BLE001 - a page that fails answers 500, never stops the receiver
            found = (500, "text/plain; charset=utf-8", f"error: {type(exc).__name__}: {exc}\n".encode())
        if found is None:
            return self._answer(404, {"error": "not found"})
        self._answer(found[0], found[2], found[1])

    def _answer(self, code: int, answer: dict[str, Any] | bytes, content_type: str = "application/json") -> None:
        data = answer if isinstance(answer, bytes) else json.dumps(answer).encode("utf-8")
        self.close_connection = True
        try:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        self.receiver.log.debug("http", client=self.client_address[0], line=format % args)

"""What the webhook receiver bounds: connections at once (a pooled thread each), JSON nesting, and the two body
formats GitHub sends (JSON, or form-encoded `payload=`)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

MAX_CONNECTIONS = 16
"""Connections served at once (each may hold up to MAX_BODY); more are answered 503 at once and closed."""
MAX_JSON_DEPTH = 64
"""Nesting deeper than this is no GitHub payload: 400, never a RecursionError."""
FORM = "application/x-www-form-urlencoded"
"""GitHub's default webhook content type: `payload=<url-encoded JSON>`, signed over the raw body."""


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value (iteratively: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def parse_payload(body: bytes, content_type: str | None) -> tuple[Any, str | None]:
    """(payload, None), or (None, why not) for a body that is no usable JSON (form-encoded or plain)."""
    if (content_type or "").split(";")[0].strip().lower() == FORM:
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=16)
        if not fields.get("payload"):
            return None, "form-encoded body without a payload field"
        body = fields["payload"][0].encode("utf-8")
    try:
        payload = json.loads(body)
    except RecursionError:
        return None, f"JSON nested deeper than {MAX_JSON_DEPTH}"
    except ValueError:
        return None, "body is not JSON"
    if json_depth(payload) > MAX_JSON_DEPTH:
        return None, f"JSON nested deeper than {MAX_JSON_DEPTH}"
    return payload, None


class BoundedHTTPServer(ThreadingHTTPServer):
    """At most MAX_CONNECTIONS requests served at once, each on a pooled thread; more get 503 and close."""

    daemon_threads = True
    max_connections = MAX_CONNECTIONS

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.slots = threading.BoundedSemaphore(self.max_connections)
        self.pool = ThreadPoolExecutor(max_workers=self.max_connections, thread_name_prefix="webhook-conn")

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            self._refuse(request)
            return
        self.pool.submit(self._serve_one, request, client_address)

    def _serve_one(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def _refuse(self, request: Any) -> None:
        try:
            request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        except OSError:
            pass
        self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        self.pool.shutdown(wait=False, cancel_futures=True)

"""The two listeners: the REST API and the log host serving signed, expiring download URLs."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agent.sandbox import web
from agent.sandbox.dispatch import RecordedRequest, handle
from agent.sandbox.routing import Request, Response

EXPIRED_BODY = (b'<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code>'
                b"<Message>Signed expiry time has passed.</Message></Error>")


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "GitHub.com"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""

    def _read(self) -> tuple[str, dict[str, str], dict[str, str], bytes]:
        parts = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        length = int(headers.get("content-length") or 0)
        return parts.path, query, headers, self.rfile.read(length) if length else b""

    def _send(self, resp: Response) -> None:
        if resp.drop:
            self.close_connection = True
            return
        body = resp.body
        if body is None:
            raw = b""
        elif isinstance(body, bytes):
            raw = body
        else:
            raw = json.dumps(body).encode("utf-8")
            resp.headers.setdefault("Content-Type", "application/json; charset=utf-8")
        self.send_response(resp.status)
        for key, value in resp.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(raw)


class ApiHandler(_Quiet):
    """Routes every method through `dispatch.handle`; a browser's GET of an html_url gets a `web` page."""

    def _any(self) -> None:
        path, query, headers, body = self._read()
        method = "GET" if self.command == "HEAD" else self.command
        req = Request(method, path.rstrip("/") or "/", query, headers, body)
        sb = self.server.sandbox
        self._send(web.serve(sb, req) if web.is_page(req) else handle(sb, req))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _any


class LogStore:
    """Blobs behind signed URLs on the log host: `/blobs/<id>?se=<expiry>&sig=<hmac>`."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._blobs: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()

    def _sign(self, blob_id: str, expiry: str) -> str:
        return hmac.new(self._key, f"{blob_id}:{expiry}".encode(), hashlib.sha256).hexdigest()

    def publish(self, base: str, data: bytes, content_type: str, ttl: float) -> str:
        """Store `data` and return a URL valid for `ttl` seconds (negative: already expired)."""
        blob_id = secrets.token_hex(12)
        with self._lock:
            self._blobs[blob_id] = (data, content_type)
        expiry = f"{time.time() + ttl:.3f}"
        query = urllib.parse.urlencode({"se": expiry, "sig": self._sign(blob_id, expiry)})
        return f"{base}/blobs/{blob_id}?{query}"

    def fetch(self, path: str, query: dict[str, str]) -> Response:
        """The blob for a signed path: 200, 403 when the signature is bad or expired, 404 if unknown."""
        blob_id = path.rsplit("/", 1)[-1]
        expiry = query.get("se", "")
        good = hmac.compare_digest(self._sign(blob_id, expiry), query.get("sig", ""))
        if not good or time.time() >= float(expiry):
            return Response(403, EXPIRED_BODY, {"Content-Type": "application/xml"})
        with self._lock:
            found = self._blobs.get(blob_id)
        if found is None:
            return Response(404, b"BlobNotFound", {"Content-Type": "text/plain"})
        return Response(200, found[0], {"Content-Type": found[1]})


class LogHandler(_Quiet):
    """GET on the log host; no token needed (a token is not even looked at)."""

    def do_GET(self) -> None:
        path, query, headers, body = self._read()
        sb = self.server.sandbox
        resp = sb.logstore.fetch(path, query)
        sb.record(RecordedRequest("GET", path, query, headers, body, resp.status, False, host="logs"))
        self._send(resp)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer is normal here (timeouts, dropped connections)."""
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


def serve(handler: type[BaseHTTPRequestHandler], sandbox: Any, host: str, port: int) -> ThreadingHTTPServer:
    """Start a threaded listener in a daemon thread."""
    server = _Server((host, port), handler)
    server.sandbox = sandbox  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sandbox-{handler.__name__}",
                     daemon=True).start()
    return server

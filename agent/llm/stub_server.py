"""A local Messages-API stub: a real HTTP server on 127.0.0.1 so the real `anthropic` client runs over the wire.

    with MessagesStub() as stub:
        stub.reply(turn(tool_use("submit_plan", {...})))     # 200, a scripted assistant turn
        stub.fail(429, retry_after=1)                          # rate limited, with retry-after
        stub.fail(529)                                         # overloaded
        AnthropicModel(base_url=stub.url, api_key="stub-key")  # ...then look at stub.bodies

Usage is computed from the raw request body: tokens = len(body)/4. Every prefix ending at a
cache_control mark (tools, system, then messages) of at least `min_cacheable_tokens` is reported as
a cache write the first time and a cache read on a later request, like the API. An empty queue
answers 400.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from agent.llm.scripted import message_body

ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_error",
               500: "api_error", 503: "api_error", 529: "overloaded_error"}


@dataclass
class Recorded:
    """One request the stub received, exactly as sent."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Failure:
    status: int
    headers: dict[str, str] = field(default_factory=dict)


class MessagesStub:
    """POST /v1/messages answered from a scripted queue of turns and failures; every request recorded."""

    def __init__(self, model: str = "claude-stub", min_cacheable_tokens: int = 1024):
        self.model = model
        self.min_cacheable_tokens = min_cacheable_tokens
        """Shorter prefixes are not cached, like the API's minimum (1024 tokens for Sonnet)."""
        self.queue: list[dict[str, Any] | _Failure] = []
        self.requests: list[Recorded] = []
        self._cached_prefixes: set[str] = set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def reply(self, *turns: dict[str, Any]) -> MessagesStub:
        """Queue successful turns (bodies from agent.llm.scripted.turn / refusal)."""
        with self._lock:
            self.queue.extend(turns)
        return self

    def fail(self, status: int, retry_after: float | None = None, times: int = 1) -> MessagesStub:
        """Queue `times` error responses (429, 529, 500…), optionally with a retry-after header."""
        headers = {} if retry_after is None else {"retry-after": f"{retry_after:g}"}
        with self._lock:
            self.queue.extend(_Failure(status, headers) for _ in range(times))
        return self

    @property
    def bodies(self) -> list[Any]:
        """Every POST /v1/messages body, parsed."""
        return [request.json for request in self.requests if request.path.startswith("/v1/messages")]

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the stub first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> MessagesStub:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="messages-stub",
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict, dict]:
        """(status, headers, JSON body) for one request; records it first."""
        with self._lock:
            self.requests.append(Recorded(method, path, headers, raw))
            if method != "POST" or not path.startswith("/v1/messages"):
                return 404, {}, _error(404, f"stub: no route for {method} {path}")
            if not self.queue:
                return 400, {}, _error(400, "stub: no scripted response left")
            item = self.queue.pop(0)
            if isinstance(item, _Failure):
                return item.status, item.headers, _error(item.status, f"stub: scripted {item.status}")
            request = json.loads(raw)
            body = message_body(item, request, self.model)
            body["usage"] = {**body["usage"], **self._usage(request, raw), **item.get("usage", {})}
            return 200, {}, body

    def _usage(self, request: dict[str, Any], raw: bytes) -> dict[str, int]:
        """Token counts from the bytes sent (len/4); prefixes ending at a cache_control breakpoint are
        written to the cache and read back on a later request, as the API does (when long enough)."""
        total = len(raw) // 4
        boundaries, marked = breakpoint_prefixes(request)
        marked = [text for text in marked if len(text) // 4 >= self.min_cacheable_tokens]
        read = max((len(text) // 4 for text in boundaries if text in self._cached_prefixes), default=0)
        written = max((len(text) // 4 for text in marked), default=0) - read
        self._cached_prefixes.update(marked)
        read, written = min(read, total), max(0, min(written, total - read))
        return {"input_tokens": total - read - written, "cache_creation_input_tokens": written,
                "cache_read_input_tokens": read}


def breakpoint_prefixes(request: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(every prefix up to the last cache_control mark, the prefixes ending at a mark), canonical and
    unmarked: the API writes the cache at marks and looks for hits at earlier boundaries too."""
    parts = [request.get("tools", []), request.get("system", ""), *request.get("messages", [])]
    boundaries, marked, sofar = [], [], ""
    for part in parts:
        sofar += json.dumps(unmarked(part), sort_keys=True)
        boundaries.append(sofar)
        if "cache_control" in json.dumps(part):
            marked.append(sofar)
    return (boundaries[: boundaries.index(marked[-1]) + 1] if marked else []), marked


def unmarked(value: Any) -> Any:
    """`value` without cache_control keys, so a prefix compares equal however it was marked."""
    if isinstance(value, dict):
        return {key: unmarked(item) for key, item in value.items() if key != "cache_control"}
    return [unmarked(item) for item in value] if isinstance(value, list) else value


def _error(status: int, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message}}


def _handler_for(stub: MessagesStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self._serve()

        def do_GET(self) -> None:
            self._serve()

        def _serve(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {key.lower(): value for key, value in self.headers.items()}
            status, extra, body = stub.answer(self.command, self.path, headers, raw)
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            for key, value in {"content-type": "application/json", "request-id": "req_stub", **extra}.items():
                self.send_header(key, value)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler

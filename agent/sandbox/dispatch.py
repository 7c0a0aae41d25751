"""One API request end to end: auth, rate limit, faults, route, ETag/304, headers, recording."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from agent.sandbox.faults import WRITE_METHODS
from agent.sandbox.routing import ApiError, Request, Response, find_route

RATE_DOCS = "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"
SECONDARY_MESSAGE = ("You have exceeded a secondary rate limit. Please wait a few minutes before you try "
                     "again. If you reach out to GitHub Support for help, please include the request ID.")
NOT_ACCESSIBLE = "Resource not accessible by integration"
SEARCH_LIMIT = 30


@dataclass
class RecordedRequest:
    """One request the sandbox answered (or dropped: status None)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    status: int | None = None
    counted: bool = False
    host: str = "api"
    time: float = field(default_factory=time.time)

    def json(self) -> Any:
        """The body parsed as JSON (None when empty)."""
        return json.loads(self.body) if self.body else None


def bearer(headers: dict[str, str]) -> str | None:
    """The credential of `Authorization: token X` or `Bearer X`."""
    value = headers.get("authorization", "")
    scheme, _, cred = value.partition(" ")
    return cred.strip() if scheme.lower() in ("token", "bearer") and cred.strip() else None


def authenticate(sb: Any, req: Request) -> None:
    """Attach the token's record to `req`; 401 for a missing, unknown or expired token."""
    if req.path.startswith("/app/") or req.path == "/app":
        return
    cred = bearer(req.headers)
    info = sb.state.tokens.get(cred) if cred else None
    if info is None:
        raise ApiError(401, "Bad credentials" if cred else "Requires authentication")
    if info.expires_at is not None and time.time() >= info.expires_at:
        raise ApiError(401, "Bad credentials")
    req.token = info


def _resource(path: str) -> str:
    return "search" if path.startswith("/search/") else "core"


def _limit(req: Request) -> int:
    return SEARCH_LIMIT if _resource(req.path) == "search" else req.token.limit


def check_primary(sb: Any, req: Request) -> None:
    """403 when the token's bucket is empty and its reset has not come."""
    if req.token is None or req.path == "/rate_limit":
        return
    bucket = sb.limits.bucket(req.token.token, _resource(req.path), _limit(req))
    if bucket.remaining <= 0:
        raise ApiError(403, f"API rate limit exceeded for {req.token.login}.", headers=bucket.headers())


def apply_faults(sb: Any, req: Request) -> None:
    """Fire the armed faults that answer before the handler runs (or slow it down)."""
    slow = sb.faults.take(("slow",), req.method, req.path)
    if slow:
        time.sleep(float(slow.kw.get("seconds", 1)))
    fault = sb.faults.take(("secondary_rate_limit", "primary_exhausted", "server_error", "not_accessible"),
                           req.method, req.path)
    if fault is None:
        return
    if fault.kind == "secondary_rate_limit":
        raise ApiError(int(fault.kw.get("status", 403)), SECONDARY_MESSAGE,
                       headers={"retry-after": str(fault.kw.get("retry_after", 1))})
    if fault.kind == "server_error":
        status = int(fault.kw.get("status", 502))
        raise ApiError(status, {500: "Server Error", 502: "Bad Gateway"}.get(status, "Service Unavailable"))
    if fault.kind == "not_accessible":
        raise ApiError(403, NOT_ACCESSIBLE)
    token = req.token.token if req.token else "anonymous"
    limit = _limit(req) if req.token else 60
    bucket = sb.limits.exhaust(token, _resource(req.path), limit, float(fault.kw.get("reset_in", 2)))
    raise ApiError(403, f"API rate limit exceeded for {req.token.login if req.token else 'anonymous'}.",
                   headers=bucket.headers())


def handle(sb: Any, req: Request) -> Response:
    """Answer one API request; never raises."""
    try:
        authenticate(sb, req)
        check_primary(sb, req)
        apply_faults(sb, req)
        func, req.params = find_route(req.method, req.path)
        with sb.lock:
            result = func(sb, req)
        resp = result if isinstance(result, Response) else Response(200, result)
    except ApiError as exc:
        resp = Response(exc.status, exc.body(), dict(exc.headers))
    except Exception as exc:  # noqa: BLE001 - a sandbox bug answers 500 with its cause, like a server would
        resp = Response(500, {"message": f"sandbox error: {type(exc).__name__}: {exc}", "status": "500"})
    return finish(sb, req, resp)


def etag_of(resp: Response) -> str:
    raw = resp.body if isinstance(resp.body, bytes) else json.dumps(resp.body, sort_keys=True).encode("utf-8")
    return 'W/"' + hashlib.sha256(raw).hexdigest()[:40] + '"'


def finish(sb: Any, req: Request, resp: Response) -> Response:
    """Add ETag/304, rate-limit headers and counting; decide whether the connection drops."""
    counted = False
    if req.method == "GET" and resp.status == 200:
        resp.headers["ETag"] = etag_of(resp)
        if req.headers.get("if-none-match") == resp.headers["ETag"]:
            resp = Response(304, None, {"ETag": resp.headers["ETag"]})
    if req.token is not None and "x-ratelimit-limit" not in resp.headers:
        resource, limit = _resource(req.path), _limit(req)
        counted = resp.status != 304 and req.path != "/rate_limit"
        bucket = (sb.limits.spend if counted else sb.limits.bucket)(req.token.token, resource, limit)
        resp.headers.update(bucket.headers())
    elif "x-ratelimit-limit" not in resp.headers:
        resp.headers.update(sb.limits.bucket("anonymous", "core", 60).headers())
    resp.headers.setdefault("x-github-request-id", uuid.uuid4().hex[:20].upper())
    resp.headers.setdefault("x-github-media-type", "github.v3; format=json")
    if req.method in WRITE_METHODS and resp.status < 400:
        resp.drop = sb.faults.take(("drop_after_write",), req.method, req.path) is not None
    sb.record(RecordedRequest(req.method, req.path, req.query, req.headers, req.body,
                              None if resp.drop else resp.status, counted))
    return resp

"""Turn a `requests` answer into our Failure, so one retry loop sees every call."""

from __future__ import annotations

import socket
import ssl
from urllib.parse import urlsplit

import requests

from agent.github.errors import Failure, HttpFailure


def check_response(resp: requests.Response) -> requests.Response:
    """Return a 2xx/3xx response; raise HttpFailure for 4xx/5xx."""
    if resp.status_code < 400:
        return resp
    raise HttpFailure(Failure(resp.status_code, dict(resp.headers), response_message(resp)))


def response_message(resp: requests.Response) -> str:
    """GitHub's `message` field, else the start of the body."""
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200]
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return str(body)[:200]


def connection_failure(exc: BaseException) -> Failure:
    """A failed connection as a Failure with a few-word reason and the origin it was trying to reach."""
    causes = list(_causes(exc))
    reason, never_sent = _reason(causes)
    return Failure(None, {}, f"{type(exc).__name__}: {exc}", reason=reason, origin=_origin(exc),
                   never_sent=never_sent)


def _causes(exc: BaseException, depth: int = 8):
    """The exception and what it wraps (__cause__, __context__, urllib3's .reason, args), outermost first."""
    seen: set[int] = set()
    pending = [exc]
    while pending and len(seen) < depth * 4:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
        pending.extend(item for item in wrapped if isinstance(item, BaseException))


def _reason(causes: list[BaseException]) -> tuple[str, bool]:
    """(a few words for the CLI, whether the request was never sent)."""
    for cause in causes:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused", True
        if isinstance(cause, socket.gaierror):
            return "cannot resolve host", True
    for cause in causes:
        if isinstance(cause, (TimeoutError, socket.timeout, requests.Timeout)):
            return "timed out", False
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate not trusted: {cause.verify_message or cause}", True
        if isinstance(cause, ssl.SSLError):
            return f"TLS error: {cause.reason or cause}", False
        if isinstance(cause, ConnectionResetError):
            return "connection reset", False
    innermost = causes[-1]
    return _short(f"{type(innermost).__name__}: {innermost}"), False


def _origin(exc: BaseException) -> str:
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None) or ""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return ""
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def _short(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"

"""Request/response values, the route table and pagination shared by the HTTP handlers."""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DOCS = "https://docs.github.com/rest"


class ApiError(Exception):
    """An error answer in GitHub's shape: {"message", "documentation_url", "status"}."""

    def __init__(self, status: int, message: str, errors: list[dict] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.errors, self.headers = status, message, errors, headers or {}

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message, "documentation_url": DOCS, "status": str(self.status)}
        if self.errors:
            out["errors"] = self.errors
        return out


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    token: Any = None

    def json(self) -> dict[str, Any]:
        """The body parsed as a JSON object ({} when empty); 400 when invalid."""
        if not self.body:
            return {}
        try:
            data = json.loads(self.body)
        except ValueError as exc:
            raise ApiError(400, "Problems parsing JSON") from exc
        if not isinstance(data, dict):
            raise ApiError(400, "Problems parsing JSON")
        return data

    def int_param(self, name: str) -> int:
        """A numeric path parameter; 404 when it is not a number."""
        try:
            return int(self.params[name])
        except ValueError as exc:
            raise ApiError(404, "Not Found") from exc


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


Handler = Callable[[Any, Request], Any]
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def _compile(pattern: str) -> re.Pattern[str]:
    pattern = re.sub(r"\{(\w+)\*\}", r"(?P<\1>.+)", pattern)
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
    return re.compile(pattern + "$")


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Register a handler for METHOD and a path pattern ({name} = one segment, {name*} = the rest)."""

    def register(func: Handler) -> Handler:
        ROUTES.append((method, _compile(pattern), func))
        return func

    return register


def find_route(method: str, path: str) -> tuple[Handler, dict[str, str]]:
    """The handler and its unquoted path parameters; 404 (or 405 for a known path) otherwise."""
    known_path = False
    for verb, pattern, func in ROUTES:
        match = pattern.match(path)
        if match:
            known_path = True
            if verb == method:
                return func, {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
    if known_path:
        raise ApiError(405, "Method Not Allowed")
    raise ApiError(404, "Not Found")


def paginate(base_url: str, req: Request, items: list[Any]) -> tuple[list[Any], dict[str, str]]:
    """One page of `items` per `per_page`/`page`, with GitHub's Link header."""
    try:
        per_page = max(1, min(100, int(req.query.get("per_page") or 30)))
        page = max(1, int(req.query.get("page") or 1))
    except ValueError as exc:
        raise ApiError(422, "Invalid page or per_page") from exc
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page: page * per_page]
    links = []
    for rel, number in (("prev", page - 1), ("next", page + 1), ("last", last), ("first", 1)):
        if (rel in ("prev", "first") and page > 1) or (rel in ("next", "last") and page < last):
            query = {**req.query, "per_page": str(per_page), "page": str(number)}
            links.append(f'<{base_url}{req.path}?{urllib.parse.urlencode(query)}>; rel="{rel}"')
    return chunk, ({"Link": ", ".join(links)} if links else {})


def paged_list(sb: Any, req: Request, items: list[Any]) -> Response:
    """A plain JSON array answer, paginated."""
    chunk, headers = paginate(sb.url, req, items)
    return Response(200, chunk, headers)


def paged_wrapped(sb: Any, req: Request, key: str, items: list[Any], **extra: Any) -> Response:
    """A `{total_count, <key>: [...]}` answer, paginated."""
    chunk, headers = paginate(sb.url, req, items)
    return Response(200, {"total_count": len(items), key: chunk, **extra}, headers)


def repo_of(sb: Any, req: Request) -> Any:
    """The repository named by the path's {owner}/{repo}; 404 when unknown."""
    found = sb.state.repos.get(f"{req.params['owner']}/{req.params['repo']}".lower())
    if found is None:
        raise ApiError(404, "Not Found")
    return found


def require(body: dict[str, Any], *names: str) -> None:
    """422 naming the first missing field."""
    for name in names:
        if body.get(name) in (None, ""):
            raise ApiError(422, f"Invalid request.\n\n\"{name}\" wasn't supplied.",
                           [{"resource": "Request", "field": name, "code": "missing_field"}])

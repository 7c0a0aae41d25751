"""Check runs, commit statuses, the rate-limit endpoint and GitHub App installation tokens."""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt

from agent.sandbox import shapes
from agent.sandbox.api_repos import commit_or_404
from agent.sandbox.dispatch import SEARCH_LIMIT, bearer
from agent.sandbox.model import CommitStatus, TokenInfo, now_iso
from agent.sandbox.routing import (
    ApiError,
    Request,
    Response,
    paged_list,
    paged_wrapped,
    repo_of,
    require,
    route,
)


def check_run_json(sb: Any, repo: Any, check: Any) -> dict[str, Any]:
    run_url = f"{sb.url}/{repo.full_name}/actions/runs/{check.run_id}/job/{check.job_id}"
    run = repo.runs.get(check.run_id)
    return {"id": check.id, "node_id": f"CR_{check.id}", "name": check.name, "head_sha": check.head_sha,
            "status": check.status, "conclusion": check.conclusion, "started_at": check.started_at,
            "completed_at": check.completed_at, "external_id": str(check.job_id), "details_url": run_url,
            "html_url": run_url, "url": f"{sb.url}/repos/{repo.full_name}/check-runs/{check.id}",
            "check_suite": {"id": run.check_suite_id if run else 0},
            "app": {"id": 15368, "slug": "github-actions", "name": "GitHub Actions"},
            "output": {"title": None, "summary": None, "text": None, "annotations_count": 0},
            "pull_requests": []}


@route("GET", "/repos/{owner}/{repo}/commits/{ref*}/check-runs")
def list_check_runs(sb: Any, req: Request) -> Response:
    repo = repo_of(sb, req)
    sha = commit_or_404(repo, req.params["ref"])
    checks = sorted((c for c in repo.check_runs if c.head_sha == sha), key=lambda c: -c.id)
    if req.query.get("filter", "latest") == "latest":
        checks = list({c.name: c for c in reversed(checks)}.values())[::-1]
    for key in ("check_name", "status"):
        if req.query.get(key):
            checks = [c for c in checks if getattr(c, key.removeprefix("check_")) == req.query[key]]
    return paged_wrapped(sb, req, "check_runs", [check_run_json(sb, repo, c) for c in checks])


def latest_statuses(repo: Any, sha: str) -> list[CommitStatus]:
    """The newest status per context for `sha`, newest first."""
    latest: dict[str, CommitStatus] = {}
    for status in repo.statuses:
        if status.sha == sha:
            latest[status.context] = status
    return sorted(latest.values(), key=lambda s: -s.id)


def status_json(sb: Any, status: CommitStatus) -> dict[str, Any]:
    return {"id": status.id, "node_id": f"ST_{status.id}", "state": status.state, "context": status.context,
            "description": status.description, "target_url": status.target_url,
            "created_at": status.created_at, "updated_at": status.created_at,
            "url": f"{sb.url}/statuses/{status.sha}", "creator": shapes.user(sb.url, "github-actions[bot]")}


@route("GET", "/repos/{owner}/{repo}/commits/{ref*}/status")
def combined_status(sb: Any, req: Request) -> dict[str, Any]:
    repo = repo_of(sb, req)
    sha = commit_or_404(repo, req.params["ref"])
    statuses = latest_statuses(repo, sha)
    states = {s.state for s in statuses}
    state = ("failure" if states & {"failure", "error"} else
             "pending" if not states or "pending" in states else "success")
    return {"state": state, "sha": sha, "total_count": len(statuses),
            "statuses": [status_json(sb, s) for s in statuses], "repository": shapes.repo(sb.url, repo),
            "commit_url": f"{sb.url}/repos/{repo.full_name}/commits/{sha}",
            "url": f"{sb.url}/repos/{repo.full_name}/commits/{sha}/status"}


@route("GET", "/repos/{owner}/{repo}/commits/{ref*}/statuses")
def list_statuses(sb: Any, req: Request) -> Response:
    repo = repo_of(sb, req)
    sha = commit_or_404(repo, req.params["ref"])
    items = [status_json(sb, s) for s in sorted(repo.statuses, key=lambda s: -s.id) if s.sha == sha]
    return paged_list(sb, req, items)


@route("POST", "/repos/{owner}/{repo}/statuses/{sha}")
def create_status(sb: Any, req: Request) -> Response:
    repo, body = repo_of(sb, req), req.json()
    require(body, "state")
    if body["state"] not in ("error", "failure", "pending", "success"):
        raise ApiError(422, "Validation Failed", [{"resource": "Status", "field": "state", "code": "custom"}])
    sha = commit_or_404(repo, req.params["sha"])
    status = CommitStatus(id=sb.state.new_id(), sha=sha, state=body["state"], context=body.get("context") or "default",
                          description=body.get("description") or "", target_url=body.get("target_url"))
    repo.statuses.append(status)
    return Response(201, status_json(sb, status))


@route("GET", "/rate_limit")
def rate_limit(sb: Any, req: Request) -> dict[str, Any]:
    token = req.token.token
    core = sb.limits.bucket(token, "core", req.token.limit).json()
    search = sb.limits.bucket(token, "search", SEARCH_LIMIT).json()
    graphql = {"limit": 5000, "remaining": 5000, "reset": core["reset"], "used": 0, "resource": "graphql"}
    return {"resources": {"core": core, "search": search, "graphql": graphql}, "rate": core}


def verify_app_jwt(sb: Any, req: Request) -> Any:
    """The App whose RS256 JWT signs this request; 401 when it is missing, bad or expired."""
    token = bearer(req.headers)
    if not token:
        raise ApiError(401, "A JSON web token could not be decoded")
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        app = sb.state.apps.get(int(claims.get("iss")))
        if app is None:
            raise ApiError(401, "Integration not found")
        jwt.decode(token, app.public_key_pem, algorithms=["RS256"], leeway=60,
                   options={"require": ["iat", "exp", "iss"]})
    except (jwt.PyJWTError, TypeError, ValueError) as exc:
        raise ApiError(401, f"A JSON web token could not be decoded: {exc}") from exc
    return app


@route("POST", "/app/installations/{installation_id}/access_tokens")
def installation_token(sb: Any, req: Request) -> Response:
    app = verify_app_jwt(sb, req)
    if app.installation_id != req.int_param("installation_id"):
        raise ApiError(404, "Not Found")
    token = "ghs_" + secrets.token_urlsafe(27).replace("-", "a").replace("_", "b")[:36]
    expires = time.time() + app.token_ttl
    sb.state.tokens[token] = TokenInfo(token=token, workflows=app.workflows, expires_at=expires,
                                       installation_id=app.installation_id, login=f"sandbox-app-{app.app_id}[bot]")
    permissions = {"contents": "write", "pull_requests": "write", "issues": "write", "actions": "write",
                   "checks": "read", "metadata": "read"}
    if app.workflows:
        permissions["workflows"] = "write"
    return Response(201, {"token": token, "expires_at": now_iso(expires), "permissions": permissions,
                          "repository_selection": "all"})


@route("GET", "/app/installations/{installation_id}")
def get_installation(sb: Any, req: Request) -> dict[str, Any]:
    app = verify_app_jwt(sb, req)
    if app.installation_id != req.int_param("installation_id"):
        raise ApiError(404, "Not Found")
    return {"id": app.installation_id, "app_id": app.app_id, "target_type": "Organization",
            "account": shapes.user(sb.url, "sandbox-org"), "permissions": {}, "events": []}


@route("GET", "/installation/repositories")
def installation_repositories(sb: Any, req: Request) -> Response:
    """The repositories an installation token reaches (the sandbox App is installed on every repository)."""
    if req.token.installation_id is None:
        raise ApiError(403, "You must authenticate with an installation access token to access this endpoint.")
    repos = sorted(sb.state.repos.values(), key=lambda r: r.full_name.lower())
    return paged_wrapped(sb, req, "repositories", [shapes.repo(sb.url, r) for r in repos],
                         repository_selection="all")

"""Actions: workflows, runs, attempts, jobs, log redirects, re-runs and self-hosted runners."""

from __future__ import annotations

import weakref
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.sandbox import runlogs, shapes
from agent.sandbox.routing import ApiError, Request, Response, paged_wrapped, repo_of, route

RUN_STATUSES = {"queued", "in_progress", "completed", "requested", "waiting", "pending"}
ARTIFACTS: weakref.WeakKeyDictionary[Any, dict[int, tuple[str, int, str, bytes]]] = weakref.WeakKeyDictionary()
"""Artifacts a test attached to runs, per sandbox: id → (repo, run id, name, zip bytes). Not persisted."""


def run_or_404(repo: Any, req: Request) -> Any:
    run = repo.runs.get(req.int_param("run_id"))
    if run is None or not run.attempts:
        raise ApiError(404, "Not Found")
    return run


def attempt_number(run: Any, req: Request) -> int:
    """The attempt named in the path (default the latest); 404 when it does not exist."""
    if "attempt" not in req.params:
        return len(run.attempts)
    number = req.int_param("attempt")
    if not 1 <= number <= len(run.attempts):
        raise ApiError(404, "Not Found")
    return number


def _bound(text: str, upper: bool) -> datetime:
    """A date or timestamp from a `created` filter; a bare date as upper bound means its day's end."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ApiError(422, f"Invalid created filter: {text}") from exc
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value + timedelta(days=1) - timedelta(microseconds=1) if upper and "T" not in text else value


def created_matches(created_at: str, spec: str) -> bool:
    """GitHub's date qualifier: 2025-01-01, >=2025-01-01, <2025-01-02T10:00:00Z, a..b (with * open)."""
    when = datetime.fromisoformat(created_at)
    if ".." in spec:
        low, high = spec.split("..", 1)
        return (low == "*" or when >= _bound(low, False)) and (high == "*" or when <= _bound(high, True))
    for op, check in ((">=", lambda b: when >= _bound(b, False)), ("<=", lambda b: when <= _bound(b, True)),
                      (">", lambda b: when > _bound(b, True)), ("<", lambda b: when < _bound(b, False))):
        if spec.startswith(op):
            return check(spec[len(op):])
    return _bound(spec, False) <= when <= _bound(spec, True)


def run_matches(run: Any, q: dict[str, str]) -> bool:
    """Do the list filters (status, branch, event, actor, head_sha, created, ...) accept this run?"""
    attempt = run.latest
    status = q.get("status")
    checks = [not status or (attempt.status == status if status in RUN_STATUSES else attempt.conclusion == status),
              not q.get("branch") or run.head_branch == q["branch"],
              not q.get("event") or run.event == q["event"],
              not q.get("actor") or run.actor.login == q["actor"],
              not q.get("head_sha") or run.head_sha == q["head_sha"],
              not q.get("check_suite_id") or str(run.check_suite_id) == q["check_suite_id"],
              q.get("exclude_pull_requests") != "true" or not run.pull_requests,
              not q.get("created") or created_matches(attempt.created_at, q["created"])]
    return all(checks)


@route("GET", "/repos/{owner}/{repo}/actions/runs")
@route("GET", "/repos/{owner}/{repo}/actions/workflows/{workflow}/runs")
def list_runs(sb: Any, req: Request) -> Response:
    repo = repo_of(sb, req)
    wanted = req.params.get("workflow")
    runs = [r for _, r in sorted(repo.runs.items(), reverse=True) if r.attempts and run_matches(r, req.query)
            and (wanted is None or wanted in (str(r.workflow_id), r.path.rsplit("/", 1)[-1]))]
    return paged_wrapped(sb, req, "workflow_runs", [shapes.run(sb.url, repo, r) for r in runs])


@route("GET", "/repos/{owner}/{repo}/actions/workflows")
def list_workflows(sb: Any, req: Request) -> Response:
    repo = repo_of(sb, req)
    items = [{"id": w.id, "node_id": f"W_{w.id}", "name": w.name, "path": w.path, "state": "active",
              "url": f"{sb.url}/repos/{repo.full_name}/actions/workflows/{w.id}",
              "html_url": f"{sb.url}/{repo.full_name}/blob/{repo.default_branch}/{w.path}",
              "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z"}
             for w in repo.workflows.values()]
    return paged_wrapped(sb, req, "workflows", items)


@route("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}")
@route("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt}")
def get_run(sb: Any, req: Request) -> dict[str, Any]:
    repo = repo_of(sb, req)
    run = run_or_404(repo, req)
    return shapes.run(sb.url, repo, run, attempt_number(run, req))


@route("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs")
@route("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt}/jobs")
def list_jobs(sb: Any, req: Request) -> Response:
    repo = repo_of(sb, req)
    run = run_or_404(repo, req)
    numbers = [attempt_number(run, req)]
    if req.query.get("filter") == "all" and "attempt" not in req.params:
        numbers = list(range(1, len(run.attempts) + 1))
    jobs = [shapes.job(sb.url, repo, run, n, j) for n in numbers for j in run.attempts[n - 1].jobs]
    return paged_wrapped(sb, req, "jobs", jobs)


def find_job(repo: Any, job_id: int) -> tuple[Any, int, Any]:
    """(run, attempt number, job) for a job id; 404 when unknown."""
    for run in repo.runs.values():
        for attempt in run.attempts:
            for job in attempt.jobs:
                if job.id == job_id:
                    return run, attempt.number, job
    raise ApiError(404, "Not Found")


@route("GET", "/repos/{owner}/{repo}/actions/jobs/{job_id}")
def get_job(sb: Any, req: Request) -> dict[str, Any]:
    repo = repo_of(sb, req)
    run, number, job = find_job(repo, req.int_param("job_id"))
    return shapes.job(sb.url, repo, run, number, job)


def _redirect(sb: Any, req: Request, data: bytes, content_type: str) -> Response:
    """302 to a signed URL on the log host; already expired when an `expire_log_url` fault fires."""
    expired = sb.faults.take(("expire_log_url",), req.method, req.path) is not None
    url = sb.logstore.publish(sb.log_url, data, content_type, -1 if expired else sb.log_url_ttl)
    return Response(302, None, {"Location": url})


@route("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}/logs")
@route("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt}/logs")
def run_logs(sb: Any, req: Request) -> Response:
    repo = repo_of(sb, req)
    run = run_or_404(repo, req)
    attempt = run.attempts[attempt_number(run, req) - 1]
    if attempt.status != "completed":
        raise ApiError(404, "Not Found")
    return _redirect(sb, req, runlogs.zip_bytes(attempt.logs), "application/zip")


@route("GET", "/repos/{owner}/{repo}/actions/jobs/{job_id}/logs")
def job_logs(sb: Any, req: Request) -> Response:
    repo = repo_of(sb, req)
    run, number, job = find_job(repo, req.int_param("job_id"))
    if job.status != "completed":
        raise ApiError(404, "Not Found")
    text = next(j.text for j in runlogs.parse_layout(run.attempts[number - 1].logs) if j.name == job.name)
    return _redirect(sb, req, text, "text/plain; charset=utf-8")


def attach_artifact(sb: Any, full_name: str, run_id: int, name: str, data: bytes) -> int:
    """Attach an artifact (zip bytes) to a run, as `actions/upload-artifact` would. → its id."""
    with sb.lock:
        repo = sb.repo(full_name)
        artifact_id = sb.state.new_id()
        ARTIFACTS.setdefault(sb, {})[artifact_id] = (repo.full_name, int(run_id), name, bytes(data))
    return artifact_id


@route("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}/artifacts")
def list_artifacts(sb: Any, req: Request) -> Response:
    repo = repo_of(sb, req)
    run = run_or_404(repo, req)
    items = [{"id": aid, "node_id": f"A_{aid}", "name": name, "size_in_bytes": len(data), "expired": False,
              "archive_download_url": f"{sb.url}/repos/{repo.full_name}/actions/artifacts/{aid}/zip",
              "workflow_run": {"id": run.id, "head_branch": run.head_branch, "head_sha": run.head_sha}}
             for aid, (owner, run_id, name, data) in sorted(ARTIFACTS.get(sb, {}).items())
             if owner == repo.full_name and run_id == run.id]
    return paged_wrapped(sb, req, "artifacts", items)


@route("GET", "/repos/{owner}/{repo}/actions/artifacts/{artifact_id}/zip")
def artifact_zip(sb: Any, req: Request) -> Response:
    repo = repo_of(sb, req)
    found = ARTIFACTS.get(sb, {}).get(req.int_param("artifact_id"))
    if found is None or found[0] != repo.full_name:
        raise ApiError(404, "Not Found")
    return _redirect(sb, req, found[3], "application/zip")


@route("POST", "/repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs")
@route("POST", "/repos/{owner}/{repo}/actions/runs/{run_id}/rerun")
def rerun(sb: Any, req: Request) -> Response:
    repo = repo_of(sb, req)
    run = run_or_404(repo, req)
    if run.latest.status != "completed":
        raise ApiError(403, "This workflow is already running")
    if req.path.endswith("failed-jobs") and run.latest.conclusion == "success":
        raise ApiError(403, "This workflow run cannot be rerun: no failed jobs")
    sb.ci.rerun_failed(repo, run, req.token.login)
    return Response(201, {})


@route("GET", "/repos/{owner}/{repo}/actions/runners")
def list_runners(sb: Any, req: Request) -> Response:
    repo = repo_of(sb, req)
    items = [{"id": r.id, "name": r.name, "os": r.os, "status": r.status, "busy": r.busy,
              "labels": [{"id": i + 1, "name": name, "type": "read-only" if i < 3 else "custom"}
                         for i, name in enumerate(r.labels)]}
             for r in sorted(repo.runners.values(), key=lambda r: r.id)]
    return paged_wrapped(sb, req, "runners", items)

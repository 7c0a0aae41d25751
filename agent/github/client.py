"""GitHub: one object for every REST call the agent makes, each under our retry policy."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import github

from agent.errors import ConfigError
from agent.github.access import AccessMixin
from agent.github.auth import InstallationToken, SourceAuth, StaticToken, TokenSource
from agent.github.errors import Failure, HttpFailure, NotFound
from agent.github.git import GitMixin
from agent.github.logs import DEFAULT_JOB_LOG_CAP, DEFAULT_ZIP_CAP, LogBytes, LogFetcher
from agent.github.pulls import PullsMixin
from agent.github.retry import IDEMPOTENT_METHODS, Retrier, RetryPolicy
from agent.metrics import count_request

GITHUB_COM = "https://api.github.com"
MAX_PAGES = 20
_NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')


class GitHub(GitMixin, PullsMixin, AccessMixin):
    """The agent's GitHub client (github.com, GitHub Enterprise `https://host/api/v3`, or the sandbox)."""

    def __init__(self, base_url: str = GITHUB_COM, token: str | None = None, *, app_id: int | str | None = None,
                 private_key: str | bytes | None = None, installation_id: int | None = None,
                 retry: RetryPolicy | None = None, retrier: Retrier | None = None, timeout: float = 30.0,
                 min_write_interval: float | None = None, user_agent: str = "devops-agent"):
        self.base_url = base_url.rstrip("/")
        self.retrier = retrier or Retrier(retry)
        self.tokens = self._token_source(token, app_id, private_key, installation_id, timeout)
        # PyGithub's own retry is off (retry=None) and it never waits between requests unless asked:
        # our Retrier is the only policy in force. (PyGithub still re-asks a GET answered 202 every 2 s
        # without a bound; no endpoint used here answers 202.)
        self._gh = github.Github(base_url=self.base_url, auth=SourceAuth(self.tokens), timeout=int(timeout),
                                 user_agent=user_agent, per_page=100, retry=None, lazy=True,
                                 seconds_between_requests=None, seconds_between_writes=min_write_interval)
        self._requester = self._gh.requester
        self.logs = LogFetcher(self.base_url, self.tokens, self.retrier, timeout, user_agent)
        self._etags: dict[tuple, str] = {}
        self._associations: dict[tuple[str, str], tuple[float, str]] = {}
        self.rate_limit: dict[str, str] = {}
        """The last x-ratelimit-* headers seen (remaining, reset, …)."""

    def _token_source(self, token, app_id, private_key, installation_id, timeout) -> TokenSource:
        if token:
            return StaticToken(token)
        if app_id and private_key and installation_id:
            return InstallationToken(self.base_url, app_id, private_key, int(installation_id), self.retrier,
                                     timeout=timeout)
        raise ConfigError("GitHub credentials missing: give a token, or app_id + private_key + "
                                 "installation_id")

    # ---- transport -------------------------------------------------------------------------------

    def request(self, method: str, path: str, params: dict | None = None, body: Any = None,
                headers: dict | None = None, idempotent: bool | None = None) -> tuple[int, dict, Any]:
        """One REST call under the retry policy: (status, headers, parsed JSON or None)."""
        safe = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        query = {k: v for k, v in (params or {}).items() if v is not None}
        status, hdrs, data = self.retrier.run(lambda: self._attempt(method, path, query, body, headers),
                                              f"{method} {path.split('?')[0]}", safe, reauth=self.tokens.refresh)
        self.rate_limit = {k: v for k, v in hdrs.items() if k.startswith("x-ratelimit-")} or self.rate_limit
        return status, hdrs, data

    def _attempt(self, method, path, query, body, headers) -> tuple[int, dict, Any]:
        status, hdrs, text = self._requester.requestJson(method, path, parameters=query,
                                                         headers=dict(headers or {}), input=body)
        count_request(method, status)
        data = _parse(text)
        if status >= 400:
            message = data.get("message", "") if isinstance(data, dict) else str(data or "")[:200]
            if isinstance(data, dict) and data.get("errors"):
                message = f"{message} {data['errors']}"
            raise HttpFailure(Failure(status, hdrs, str(message)))
        return status, hdrs, data

    def _get(self, path: str, **params) -> Any:
        return self.request("GET", path, params)[2]

    def _get_or_none(self, path: str, **params) -> Any:
        """GET that answers None for 404."""
        try:
            return self._get(path, **params)
        except NotFound:
            return None

    def _paginate(self, path: str, params: dict | None = None, key: str | None = None,
                  limit: int = 100 * MAX_PAGES) -> list[dict]:
        items: list[dict] = []
        url: str | None = path
        query: dict | None = {**(params or {}), "per_page": 100}
        while url and len(items) < limit:
            _, hdrs, data = self.request("GET", url, query)
            items.extend((data or {}).get(key, []) if key else (data or []))
            match = _NEXT_LINK.search(hdrs.get("link", ""))
            url, query = (match.group(1) if match else None), None
        return items[:limit]

    # ---- repository and runs ---------------------------------------------------------------------

    def repo_info(self, full_name: str) -> dict:
        """The repository (default_branch, permissions, …)."""
        return self._get(f"/repos/{full_name}")

    def list_runs(self, full_name: str, status: str | None = None, branch: str | None = None,
                  event: str | None = None, created: str | None = None, limit: int = 100) -> list[dict]:
        """Workflow runs, newest first; status may be e.g. 'failure', 'completed', 'in_progress'."""
        params = {"status": status, "branch": branch, "event": event, "created": created}
        return self._paginate(f"/repos/{full_name}/actions/runs", params, "workflow_runs", limit)

    def poll_runs(self, full_name: str, **filters) -> list[dict] | None:
        """The first page of runs, or None when unchanged since the last poll (ETag, 304 is free)."""
        key = (full_name, tuple(sorted(filters.items())))
        etag = self._etags.get(key)
        status, hdrs, data = self.request("GET", f"/repos/{full_name}/actions/runs",
                                          {**filters, "per_page": 100},
                                          headers={"If-None-Match": etag} if etag else None)
        if status == 304:
            return None
        runs = (data or {}).get("workflow_runs", [])
        if hdrs.get("etag"):
            self._etags[key] = hdrs["etag"]
        return runs

    def get_run(self, full_name: str, run_id: int) -> dict:
        """One workflow run."""
        return self._get(f"/repos/{full_name}/actions/runs/{run_id}")

    def list_jobs(self, full_name: str, run_id: int, attempt: int | None = None) -> list[dict]:
        """The run's jobs with their steps (latest attempt, or the given one)."""
        path = f"/repos/{full_name}/actions/runs/{run_id}"
        path += f"/attempts/{attempt}/jobs" if attempt else "/jobs"
        return self._paginate(path, None, "jobs")

    def download_run_logs(self, full_name: str, run_id: int, attempt: int | None = None,
                          max_bytes: int = DEFAULT_ZIP_CAP) -> LogBytes:
        """The run's log zip, streamed from the signed URL; LogTooLarge past `max_bytes`."""
        return self.logs.run_logs(full_name, run_id, attempt, max_bytes)

    def download_job_log(self, full_name: str, job_id: int, max_bytes: int = DEFAULT_JOB_LOG_CAP) -> LogBytes:
        """One job's text log; past `max_bytes` only the tail, after a '[truncated N bytes]' line."""
        return self.logs.job_log(full_name, job_id, max_bytes)

    def list_artifacts(self, full_name: str, run_id: int) -> list[dict]:
        """The run's artifacts (id, name, size_in_bytes, expired)."""
        return self._paginate(f"/repos/{full_name}/actions/runs/{int(run_id)}/artifacts", None, "artifacts")

    def download_artifact(self, full_name: str, artifact_id: int, max_bytes: int = DEFAULT_ZIP_CAP) -> LogBytes:
        """One artifact's zip, streamed from the signed URL like logs; LogTooLarge past `max_bytes`."""
        return self.logs._fetch(f"/repos/{full_name}/actions/artifacts/{int(artifact_id)}/zip", max_bytes,
                                keep_tail=False)

    def rerun_failed_jobs(self, full_name: str, run_id: int) -> None:
        """Re-run the run's failed jobs (a new run attempt)."""
        self.request("POST", f"/repos/{full_name}/actions/runs/{run_id}/rerun-failed-jobs")

    def combined_status(self, full_name: str, ref: str) -> dict:
        """Commit statuses combined (state: success | pending | failure)."""
        return self._get(f"/repos/{full_name}/commits/{quote(ref, safe='')}/status")

    def check_runs(self, full_name: str, ref: str) -> list[dict]:
        """Check runs on a commit or branch."""
        return self._paginate(f"/repos/{full_name}/commits/{quote(ref, safe='')}/check-runs", None,
                              "check_runs")

    def list_runners(self, full_name: str) -> list[dict]:
        """Self-hosted runners of the repository (status, busy, labels)."""
        return self._paginate(f"/repos/{full_name}/actions/runners", None, "runners")


def _parse(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return {"message": text[:200]}

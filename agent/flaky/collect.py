"""Record test results of run attempts: from a results artifact when there is one, else from the logs."""

from __future__ import annotations

import logging
import re
import zipfile
from typing import Any

from agent.flaky.logparse import results_from_logs
from agent.flaky.results import TestResult, UnsafeXml, results_from_artifact
from agent.github.errors import GitHubError

log = logging.getLogger(__name__)
RESULT_ARTIFACT = re.compile(r"(?i)test|junit|result|report")
"""Artifact names that may hold test results (others, e.g. build outputs, are never downloaded)."""
MAX_ARTIFACT_BYTES = 64 * 1024 * 1024


def artifact_results(gh: Any, full_name: str, run_id: int) -> list[TestResult]:
    """Results from the run's test-result artifacts (job = artifact name); empty when there are none."""
    out: list[TestResult] = []
    for artifact in gh.list_artifacts(full_name, run_id):
        if artifact.get("expired") or not RESULT_ARTIFACT.search(artifact.get("name", "")):
            continue
        if int(artifact.get("size_in_bytes") or 0) > MAX_ARTIFACT_BYTES:
            continue
        try:
            data = gh.download_artifact(full_name, artifact["id"], MAX_ARTIFACT_BYTES)
            out += results_from_artifact(bytes(data), artifact.get("name", ""))
        except (zipfile.BadZipFile, UnsafeXml) as exc:
            log.info("artifact %s of run %s unreadable: %s", artifact.get("name"), run_id, exc)
    return out


def attempt_results(gh: Any, full_name: str, run: dict[str, Any], latest: bool) -> list[TestResult]:
    """One attempt's results: the artifact (latest attempt only: artifacts are per run), else the logs."""
    found = artifact_results(gh, full_name, run["id"]) if latest else []
    if found:
        return found
    logs = gh.download_run_logs(full_name, run["id"], run.get("run_attempt") or 1)
    try:
        return results_from_logs(bytes(logs))
    except zipfile.BadZipFile:
        return []


def changed_between(gh: Any, full_name: str, before: str | None, after: str | None, cache: dict) -> list[str] | None:
    """Paths whose content differs between two commits (None when unknown)."""
    if not before or not after:
        return None
    if before == after:
        return []
    try:
        trees = [cache.setdefault(sha, gh._tree_at(full_name, sha)[1]) for sha in (before, after)]
    except GitHubError:
        return None
    return sorted(p for p in set(trees[0]) | set(trees[1]) if trees[0].get(p) != trees[1].get(p))


def record_attempt(gh: Any, store: Any, full_name: str, run: dict[str, Any], latest: bool, cache: dict) -> int:
    """Record one attempt's results once (with the files changed since the previous observed commit)."""
    attempt = int(run.get("run_attempt") or 1)
    if store.test_results_seen(full_name, run["id"], attempt):
        return 0
    results = attempt_results(gh, full_name, run, latest)
    when = run.get("run_started_at") or run.get("created_at")
    before = store.last_observed_sha(full_name, run.get("path"), when) if when else None
    changed = changed_between(gh, full_name, before, run.get("head_sha"), cache)
    return store.record_test_results(full_name, run, results, changed)


def attempts_of(gh: Any, full_name: str, run: dict[str, Any]) -> list[dict[str, Any]]:
    """Every attempt of a run, oldest first, as run JSON."""
    latest = int(run.get("run_attempt") or 1)
    earlier = [gh.request("GET", f"/repos/{full_name}/actions/runs/{int(run['id'])}/attempts/{n}")[2]
               for n in range(1, latest)]
    return [*earlier, run]


def workflow_runs(gh: Any, full_name: str, run: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """The newest completed runs of the run's workflow (one page)."""
    if not run.get("workflow_id"):
        return gh.list_runs(full_name, status="completed", limit=count)
    path = f"/repos/{full_name}/actions/workflows/{int(run['workflow_id'])}/runs"
    return (gh.request("GET", path, {"status": "completed", "per_page": count})[2] or {}).get("workflow_runs", [])


def record_history(gh: Any, store: Any, full_name: str, run: dict[str, Any], runs: int) -> int:
    """Record the results of the workflow's last `runs` completed runs (every attempt), oldest first."""
    recent = [r for r in workflow_runs(gh, full_name, run, min(100, runs * 3))
              if r.get("path") == run.get("path") and r.get("conclusion") in ("success", "failure")]
    recent = sorted(recent[:runs], key=lambda r: (r.get("run_started_at") or r.get("created_at") or "", r["id"]))
    added, cache = 0, {}
    for item in recent:
        try:
            attempts = attempts_of(gh, full_name, item)
            for n, attempt in enumerate(attempts, 1):
                added += record_attempt(gh, store, full_name, attempt, n == len(attempts), cache)
        except GitHubError as exc:
            log.info("test results of run %s unavailable: %s", item.get("id"), exc)
    return added

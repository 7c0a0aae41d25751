"""The last green run before a failed one: same workflow, same branch (else the default branch), same jobs.

    found = last_green_log(gh, "octo/repo", run)    # GreenLog(run, data) or None; never raises

Its logs are downloaded once and kept in a bounded cache under $AGENT_CACHE (keyed by repository, run
and job), so every failure after the same green run reads them from disk. Only the jobs that failed in
`run` are fetched when the green run has jobs of the same names; otherwise its whole log zip. Without a
green run, or when anything on the way fails, the answer is None and triage works without it.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agent.errors import AgentError
from agent.github.logcache import LogCache

GREEN_ZIP_CAP = 64 << 20
"""Largest log zip of a green run read (when no job of the same name can be fetched alone)."""
GREEN_JOB_CAP = 8 << 20
"""Largest green job log kept (its tail)."""
MAX_GREEN_JOBS = 6
"""Failed jobs whose green logs are fetched at most (a wide failing matrix compares its first jobs only)."""
CANDIDATES = 10
"""Successful runs listed per branch (the newest older than the failed run is taken)."""
FAILED_JOBS = frozenset({"failure", "timed_out"})
EXPECTED = (AgentError, OSError, ValueError, LookupError, TypeError)
"""What a lookup or download may raise (GitHub errors, the network, an odd answer): the green log is skipped."""

log = logging.getLogger(__name__)


@dataclass
class GreenLog:
    """The last green run (GitHub's run object) and its logs in run-zip layout."""

    run: dict[str, Any]
    data: bytes
    jobs: list[str]
    """The jobs fetched (empty: the whole run)."""


def default_cache() -> LogCache:
    from agent.config import cache_dir

    return LogCache(cache_dir() / "last-green")


def branches_of(run: dict[str, Any]) -> list[str]:
    """The run's branch, then the repository's default branch."""
    default = (run.get("repository") or {}).get("default_branch")
    return [b for b in dict.fromkeys([run.get("head_branch"), default]) if b]


def last_green_run(gh: Any, full_name: str, run: dict[str, Any]) -> dict[str, Any] | None:
    """The newest successful run of `run`'s workflow older than it, on its branch first; None if none."""
    workflow = run.get("workflow_id") or str(run.get("path") or "").rsplit("/", 1)[-1]
    if not workflow:
        return None
    for branch in branches_of(run):
        data = gh.request("GET", f"/repos/{full_name}/actions/workflows/{workflow}/runs",
                          {"branch": branch, "status": "success", "per_page": CANDIDATES})[2]
        older = [r for r in (data or {}).get("workflow_runs", [])
                 if int(r["id"]) < int(run["id"]) and r.get("conclusion") == "success"]
        if older:
            return max(older, key=lambda r: int(r["id"]))
    return None


def failed_job_names(gh: Any, full_name: str, run: dict[str, Any]) -> list[str]:
    """Names of the jobs that failed in this attempt of `run`."""
    jobs = gh.list_jobs(full_name, int(run["id"]), run.get("run_attempt"))
    return list(dict.fromkeys(j["name"] for j in jobs if j.get("conclusion") in FAILED_JOBS))[:MAX_GREEN_JOBS]


def cached(cache: LogCache, key: str, fetch: Callable[[], bytes]) -> bytes:
    found = cache.get(key)
    if found is None:
        found = bytes(fetch())
        cache.put(key, found)
    return found


def zip_layout(files: dict[str, bytes]) -> bytes:
    """Job logs as a run-log zip ("<n>_<job>.txt" each)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def green_job_logs(gh: Any, full_name: str, green_id: int, names: list[str], cache: LogCache) -> dict[str, bytes]:
    """The logs of the green run's jobs named `names` (each fetched once), by name; those it did not run are left out."""
    files, jobs = {}, None
    for name in names:
        key = f"{full_name}#{green_id}#job:{name}"
        data = cache.get(key)
        if data is None:
            jobs = jobs if jobs is not None else {j["name"]: j for j in gh.list_jobs(full_name, green_id)
                                                  if j.get("conclusion") == "success"}
            if name not in jobs:
                continue
            data = bytes(gh.download_job_log(full_name, int(jobs[name]["id"]), max_bytes=GREEN_JOB_CAP))
            cache.put(key, data)
        files[name] = data
    return files


def fetch_green_log(gh: Any, full_name: str, run: dict[str, Any], cache: LogCache) -> GreenLog | None:
    green = last_green_run(gh, full_name, run)
    if green is None:
        return None
    names = failed_job_names(gh, full_name, run)
    found = green_job_logs(gh, full_name, int(green["id"]), names, cache)
    if found:
        files = {f"{n}_{name.replace('/', '')}.txt": data for n, (name, data) in enumerate(found.items(), start=1)}
        return GreenLog(green, zip_layout(files), list(found))
    whole = cached(cache, f"{full_name}#{int(green['id'])}#run", lambda: gh.download_run_logs(
        full_name, int(green["id"]), max_bytes=GREEN_ZIP_CAP))
    return GreenLog(green, whole, [])


def last_green_log(gh: Any, full_name: str, run: dict[str, Any], cache: LogCache | None = None) -> GreenLog | None:
    """The last green run's logs for a failed `run` (its failed jobs when they ran there), or None; never raises."""
    try:
        return fetch_green_log(gh, full_name, run, cache or default_cache())
    except EXPECTED as error:
        log.warning("%s run %s: last green run not used (%s)", full_name, run.get("id"), " ".join(str(error).split()))
        return None

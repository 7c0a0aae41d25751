"""What the read tools share about one run: fetched once per ToolContext and cached on it.

Not a tool module (the registry does not list it): `run_of`, `jobs_of`, `run_log`, `failure_of`,
`file_at` and `policy_of` read through `ctx.gh` and keep the answers in `cache(ctx)`, so a session
downloads the run's log zip once however many tools read it.
"""

from __future__ import annotations

from typing import Any

from agent.github.lastgreen import GreenLog, last_green_log
from agent.logs.model import RunLog, Step
from agent.logs.reader import read_log
from agent.logs.window import Window, failure_window
from agent.policy.schema import Policy
from tools.base import ToolContext


def cache(ctx: ToolContext) -> dict[str, Any]:
    """The per-context cache (kept in the instance's own namespace; ToolContext is a plain dataclass)."""
    return vars(ctx).setdefault("_run_cache", {})


def remember(ctx: ToolContext, key: Any, compute) -> Any:
    """`compute()` once per key per context."""
    store = cache(ctx)
    if key not in store:
        store[key] = compute()
    return store[key]


def need_run(ctx: ToolContext) -> None:
    """Refuse politely when the context names no run or has no GitHub client."""
    if ctx.gh is None or not ctx.repo or ctx.run_id is None:
        raise LookupError("this session is not attached to a workflow run on GitHub")


def run_of(ctx: ToolContext) -> dict[str, Any]:
    """The run object (GET /actions/runs/{id})."""
    need_run(ctx)
    return remember(ctx, "run", lambda: ctx.gh.get_run(ctx.repo, ctx.run_id))


def head_sha(ctx: ToolContext) -> str:
    """The commit the run built: ctx.head_sha, else the run's head_sha."""
    if not ctx.head_sha:
        ctx.head_sha = run_of(ctx).get("head_sha") or ""
    if not ctx.head_sha:
        raise LookupError("the run's head commit is unknown")
    return ctx.head_sha


def jobs_of(ctx: ToolContext) -> list[dict[str, Any]]:
    """The run's jobs with their steps, for this attempt."""
    need_run(ctx)
    return remember(ctx, "jobs", lambda: ctx.gh.list_jobs(ctx.repo, ctx.run_id, ctx.run_attempt))


def _patterns(ctx: ToolContext) -> list[str]:
    return list(getattr(ctx.kb, "patterns", None) or [])


def run_log(ctx: ToolContext) -> RunLog:
    """The run's logs, downloaded once (or bytes a caller put in cache(ctx)["log_bytes"])."""
    def load() -> RunLog:
        data = cache(ctx).get("log_bytes")
        if data is None:
            need_run(ctx)
            data = bytes(ctx.gh.download_run_logs(ctx.repo, ctx.run_id, ctx.run_attempt))
            cache(ctx)["download_count"] = cache(ctx).get("download_count", 0) + 1
        return read_log(bytes(data), patterns=_patterns(ctx))

    return remember(ctx, "log", load)


def failure_of(ctx: ToolContext) -> Window:
    """The failure window of the run's logs."""
    return remember(ctx, "window", lambda: failure_window(run_log(ctx)))


def green_log(ctx: ToolContext) -> GreenLog | None:
    """The last green run's logs for this run's failed jobs (agent.github.lastgreen: cached), once per context."""
    need_run(ctx)
    return remember(ctx, "green_log", lambda: last_green_log(
        ctx.gh, ctx.repo, {**run_of(ctx), "id": ctx.run_id, "run_attempt": ctx.run_attempt}))


def find_steps(run: RunLog, job: str | None, step: str | None) -> list[Step]:
    """Steps whose job and step names contain the given text (case-insensitive) or equal a step number."""
    def fits(name: str, wanted: str | None, number: int | None = None) -> bool:
        if not wanted:
            return True
        return wanted.strip().lower() in name.lower() or (number is not None and wanted.strip() == str(number))

    return [s for s in run.steps if fits(s.job, job) and fits(s.name, step, s.number)]


def policy_of(ctx: ToolContext) -> Policy:
    """The context's policy, or the defaults (the blast radius of policies.yaml's schema)."""
    return ctx.policy if isinstance(ctx.policy, Policy) else Policy()


def file_at(ctx: ToolContext, path: str) -> str | None:
    """A file's text at the run's head commit, cached; None when it does not exist."""
    def load() -> str | None:
        need_run(ctx)
        found = ctx.gh.get_file(ctx.repo, path, head_sha(ctx))
        return None if found is None else found[0]

    return remember(ctx, ("file", path), load)


def staged_text(ctx: ToolContext, path: str) -> str | None:
    """A file as the staged edits leave it (the head commit's text when nothing is staged for it)."""
    for edit in reversed(ctx.plan.edits):
        if edit.path == path:
            return edit.new
    return file_at(ctx, path)

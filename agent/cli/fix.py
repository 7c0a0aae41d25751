"""`agent fix RUN_ID [--repo O/N] [--github-url URL] [--dry-run] [--json]`: triage → plan → gate → executor, once."""

from __future__ import annotations

import json
import os
import socket
import sys
import uuid
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.options import (
    GITHUB_URL_HELP,
    POLICIES_HELP,
    TOKEN_HELP,
    github_api_url,
    github_client,
    repo_name,
    run_id_checked,
)


def render(result, dry_run: bool = False) -> str:
    """One short human summary of a HandleResult."""
    plan, diagnosis = result.plan, result.diagnosis
    lines = [f"status:    {result.status}"]
    if diagnosis is not None:
        known = diagnosis.known_issue
        lines.append(f"diagnosis: {diagnosis.category.value}, known issue {known.id if known else 'none'}, "
                     f"signature {diagnosis.signature}")
    if plan is not None:
        lines.append(f"plan:      {plan.action.value} ({plan.fix.template if plan.fix else 'no fix'}), id {plan.id}")
    if result.decision is not None:
        from agent.policy import summary

        lines.append(f"gate:      {summary(result.decision)}")
    if result.reason:
        lines.append(f"reason:    {result.reason}")
    lines += [f"link:      {url}" for url in result.urls if url]
    if dry_run and plan is not None and plan.diff:
        lines += ["diff (not written, --dry-run):", plan.diff.rstrip("\n")]
    return "\n".join(lines)


def run_fix(run_id: int, repo: str, gh, dry_run: bool, verify_timeout: float, poll_interval: float,
            policies: Path | None = None, attempt: int | None = None, stateless: bool = False):
    """Build the pipeline from the configuration and handle the run once (`stateless`: the Action, which keeps
    no store between runs, also counts limits and closed fixes from the agent's own PRs on GitHub)."""
    from agent.config import db_path
    from agent.executor.progress import CIProgress
    from agent.llm.configured import model_from_env
    from agent.pipeline import Pipeline
    from agent.policy.lookup import load_configured_policy
    from agent.policy.overlay import RepositoryPolicies
    from agent.store import Store

    policy = RepositoryPolicies(gh, load_configured_policy(policies)).policy_for(repo)
    if dry_run:
        policy = policy.model_copy(update={"dry_run": True})
    store = Store(db_path())
    pipeline = Pipeline(gh, store, policy, model=model_from_env(),
                        verify_timeout=verify_timeout, poll_interval=poll_interval, dashboard=True)
    pipeline.job_owner = f"fix:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    pipeline.executor.on_ci_state = CIProgress()
    pipeline.stateless = stateless
    try:
        result = pipeline.handle_run(repo, run_id, attempt)
    except BaseException:
        store.settle_owned(pipeline.job_owner, "failed", "abandoned: the agent fix process ended early")
        raise
    parked = result.status in ("needs_human", "awaiting_approval")
    store.settle_owned(pipeline.job_owner, "parked" if parked else "done")
    return result


def register(app: typer.Typer) -> None:
    @app.command()
    def fix(
        run_id: Annotated[int, typer.Argument(help="the failed workflow run's id")],
        repo: Annotated[str | None, typer.Option("--repo", help="OWNER/NAME (default $GITHUB_REPOSITORY)")] = None,
        github_url: Annotated[str | None, typer.Option("--github-url", help=GITHUB_URL_HELP)] = None,
        token: Annotated[str | None, typer.Option("--token", help=TOKEN_HELP)] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="decide and log, write nothing")] = False,
        policies: Annotated[Path | None, typer.Option("--policies", help=POLICIES_HELP)] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print the result as one JSON object")] = False,
        verify_timeout: Annotated[float, typer.Option("--verify-timeout", min=0.0, help="seconds to wait for the fix "
                                                      "branch's CI before leaving the PR for a human")] = 1800.0,
        poll_interval: Annotated[float, typer.Option("--poll-interval", min=0.0, help="seconds between CI polls")] = 10.0,
    ) -> None:
        """Handle one failed run: diagnose it, plan a fix, ask the gate, and carry out what it allows."""
        full_name, run_id, url = repo_name(repo), run_id_checked(run_id), github_api_url(github_url)
        result = run_fix(run_id, full_name, github_client(url, token), dry_run, verify_timeout, poll_interval,
                         policies)
        if as_json:
            print(json.dumps(result.to_dict(), indent=2, default=str))
        else:
            print(render(result, dry_run))
        sys.stdout.flush()

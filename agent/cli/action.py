"""`agent action [--event FILE] [--workflows W,…]`: the GitHub Action's entry point, one workflow_run, then exit."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from agent.cli.options import GITHUB_URL_HELP, TOKEN_HELP, github_api_url, github_client

WORKFLOWS_HELP = "workflow names or paths to act on, comma-separated (default: every workflow of the event)"


def register(app: typer.Typer) -> None:
    app.command()(action)


def action(
    event: Annotated[str | None, typer.Option("--event", help="the event payload (default $GITHUB_EVENT_PATH)")] = None,
    workflows: Annotated[str | None, typer.Option("--workflows", help=WORKFLOWS_HELP)] = None,
    github_url: Annotated[str | None, typer.Option("--github-url", help=GITHUB_URL_HELP)] = None,
    token: Annotated[str | None, typer.Option("--token", help=TOKEN_HELP)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="decide and log, write nothing")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as one JSON object")] = False,
    verify_timeout: Annotated[float, typer.Option("--verify-timeout", min=0.0,
                                                  help="seconds to wait for the fix branch's CI")] = 1800.0,
    poll_interval: Annotated[float, typer.Option("--poll-interval", min=0.0, help="seconds between CI polls")] = 10.0,
) -> None:
    """Handle the failed run of a workflow_run event (as the devops-agent GitHub Action does) and exit."""
    from agent.action import (
        event_path,
        load_event,
        parse_event,
        skip_reason,
        watched_workflows,
        write_outputs,
    )

    run_event = parse_event(load_event(event_path(event)))
    skipped = skip_reason(run_event, watched_workflows(workflows))
    if skipped:
        result = {"status": "ignored", "reason": skipped, "urls": []}
    else:
        gh = github_client(github_api_url(github_url), token)
        result = handle_stateless(run_event, gh, dry_run, verify_timeout, poll_interval).to_dict()
    write_outputs(result)
    if as_json:
        print(json.dumps(result, indent=2, default=str))
    else:
        url = next((u for u in result.get("urls") or [] if u), "")
        print(f"{run_event.repo} run {run_event.run_id}: {result['status']} {url} {result.get('reason') or ''}".rstrip())
    sys.stdout.flush()


def handle_stateless(run_event, gh, dry_run: bool, verify_timeout: float, poll_interval: float):
    """The pipeline for one event's run, counting limits and closed fixes from GitHub as well as the store."""
    from agent.config import db_path
    from agent.llm.configured import model_from_env
    from agent.pipeline import Pipeline
    from agent.policy.lookup import load_configured_policy
    from agent.policy.overlay import RepositoryPolicies
    from agent.store import Store

    policy = RepositoryPolicies(gh, load_configured_policy(None)).policy_for(run_event.repo)
    if dry_run:
        policy = policy.model_copy(update={"dry_run": True})
    pipeline = Pipeline(gh, Store(db_path()), policy, model=model_from_env(), verify_timeout=verify_timeout,
                        poll_interval=poll_interval, dashboard=True)
    pipeline.stateless = True
    return pipeline.handle_run(run_event.repo, run_event.run_id, run_event.attempt)

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
        from agent.cli.fix import run_fix

        gh = github_client(github_api_url(github_url), token)
        result = run_fix(run_event.run_id, run_event.repo, gh, dry_run, verify_timeout, poll_interval,
                         attempt=run_event.attempt, stateless=True).to_dict()
    write_outputs(result)
    if as_json:
        print(json.dumps(result, indent=2, default=str))
    else:
        url = next((u for u in result.get("urls") or [] if u), "")
        print(f"{run_event.repo} run {run_event.run_id}: {result['status']} {url} {result.get('reason') or ''}".rstrip())
    sys.stdout.flush()


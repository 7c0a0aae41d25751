"""`agent status [--json]` (what the daemon is doing) and `agent history [--limit N] [--json]` (what it did)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from agent.errors import BadInput


def register(app: typer.Typer) -> None:
    app.command()(status)
    app.command()(history)


def status(as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False) -> None:
    """What the daemon is doing: lock holder, queue depth, leases, last poll per repository."""
    from agent.daemon.report import daemon_status
    from agent.store import Store

    report = daemon_status(Store())
    if as_json:
        typer.echo(json.dumps(report, indent=2, default=str))
        return
    for line in status_lines(report):
        typer.echo(line)


def history(
    limit: Annotated[int, typer.Option(help="how many runs, newest first")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """What the daemon did: each run, its diagnosis, the actions taken and the outcome."""
    from agent.daemon.report import run_history
    from agent.store import Store

    if limit < 1:
        raise BadInput("--limit must be at least 1")
    runs = run_history(Store(), limit)
    if as_json:
        typer.echo(json.dumps({"runs": runs}, indent=2, default=str))
        return
    if not runs:
        typer.echo("no runs recorded yet")
    for run in runs:
        typer.echo(history_line(run))


def status_lines(report: dict[str, Any]) -> list[str]:
    daemon = report["daemon"]
    state = f"running ({daemon['owner']}, lock until {daemon['lock_until']})" if daemon["running"] else "not running"
    jobs = ", ".join(f"{name} {count}" for name, count in sorted(report["jobs"].items())) or "none"
    lines = [f"daemon:      {state}", f"database:    {report['db']}",
             f"queue depth: {report['queue_depth']}   (jobs: {jobs})"]
    for lease in report["leases"]:
        lines.append(f"working:     job {lease['job']} {lease['repo']} run {lease['run_id']}.{lease['run_attempt']} "
                     f"by {lease['lease_owner']} until {lease['lease_until']}")
    for repo, poll in report["last_poll"].items():
        lines.append(f"last poll:   {repo} at {(poll or {}).get('at')} "
                     f"(enqueued {(poll or {}).get('enqueued', 0)})")
    for pause in report.get("paused") or []:
        scope = "every repository" if pause["scope"] == "*" else pause["scope"]
        lines.append(f"paused:      {scope} since {pause['at']}" + (f": {pause['reason']}" if pause["reason"] else "")
                     + "  (agent resume" + ("" if pause["scope"] == "*" else f" --repo {pause['scope']}") + ")")
    for incident in report["open_incidents"]:
        lines.append(f"incident:    {incident['kind']} {incident['repo']} {incident['runner']} "
                     f"since {incident['created_at']}")
    return lines


def history_line(run: dict[str, Any]) -> str:
    result = run.get("result") or {}
    outcome = result.get("status") or run.get("note") or run["status"]
    actions = ", ".join(f"{a['kind']}:{a['status']}" + (f" {a['ref']}" if a.get("ref") else "")
                        for a in run.get("actions") or []) or "no actions"
    what = run.get("category") or "-"
    return (f"{run['updated_at'][:19]}  {run['repo']} run {run['run_id']}.{run['run_attempt']} "
            f"[{run['head_branch']}] {run['status']}: {what} → {outcome}; {actions}")

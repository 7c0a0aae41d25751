"""`agent demo [--json]`: the daemon against an in-process sandbox — merged PR, open PR, one issue."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command()(demo)


def demo(
    home: Annotated[Path | None, typer.Option(help="AGENT_HOME for the demo (default: a temporary directory)")] = None,
    timeout: Annotated[float, typer.Option(min=0.0, help="seconds to wait for the three runs")] = 60.0,
    logs: Annotated[bool, typer.Option("--logs", help="also print the daemon's JSON logs on stderr")] = False,
    serve: Annotated[float | None, typer.Option(min=0.0, help="seconds to keep the dashboard up after the run "
                                                "(default: until Enter in a terminal, else 0)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the timeline as one JSON object")] = False,
) -> None:
    """Three failing runs arrive as signed webhooks; the daemon merges one fix, opens one PR, files one issue."""
    with tempfile.TemporaryDirectory(prefix="agent-demo-") as scratch:
        from agent.demo import prepare_home

        root = prepare_home(home or Path(scratch))
        os.environ["AGENT_HOME"] = str(root)
        report = _run(root, timeout, logs, -1.0 if serve is None else serve)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        from agent.demo import render

        typer.echo(render(report))
    if not report.ok:
        print("demo incomplete: " + "; ".join(report.missing), file=sys.stderr)
        raise typer.Exit(1)


def hold_dashboard(seconds: float):
    """While the demo's daemon still serves: show the dashboard URL, then wait `seconds` (or for Enter)."""
    def hold(url: str) -> None:
        interactive = seconds < 0 and sys.stdin.isatty() and sys.stderr.isatty()
        if not interactive and seconds <= 0:
            return
        print(f"dashboard: {url}  metrics: {url}metrics", file=sys.stderr, flush=True)
        if interactive:
            print("press Enter to stop the demo", file=sys.stderr, flush=True)
            sys.stdin.readline()
        else:
            time.sleep(seconds)

    return hold


def _run(root: Path, timeout: float, logs: bool, serve: float = -1.0):
    from agent.daemon.jsonlog import JsonLog, NullStream
    from agent.demo import run_demo

    log = JsonLog() if logs else JsonLog(stream=NullStream())
    if not sys.stderr.isatty():
        return run_demo(root, timeout, log, hold_dashboard(serve))
    from rich.console import Console

    hold = hold_dashboard(serve)
    with Console(stderr=True).status("sandbox up, daemon listening, three runs failing…") as status:
        def stop_spinner_then_hold(url: str) -> None:
            status.stop()
            hold(url)

        return run_demo(root, timeout, log, stop_spinner_then_hold)

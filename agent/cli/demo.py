"""`agent demo [--json]`: the daemon against an in-process sandbox — merged PR, open PR, one issue."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command()(demo)


def demo(
    home: Annotated[Path | None, typer.Option(help="AGENT_HOME for the demo (default: a temporary directory)")] = None,
    timeout: Annotated[float, typer.Option(min=0.0, help="seconds to wait for the three runs")] = 60.0,
    logs: Annotated[bool, typer.Option("--logs", help="also print the daemon's JSON logs on stderr")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the timeline as one JSON object")] = False,
) -> None:
    """Three failing runs arrive as signed webhooks; the daemon merges one fix, opens one PR, files one issue."""
    with tempfile.TemporaryDirectory(prefix="agent-demo-") as scratch:
        from agent.demo import prepare_home

        root = prepare_home(home or Path(scratch))
        os.environ["AGENT_HOME"] = str(root)
        report = _run(root, timeout, logs)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        from agent.demo import render

        typer.echo(render(report))
    if not report.ok:
        print("demo incomplete: " + "; ".join(report.missing), file=sys.stderr)
        raise typer.Exit(1)


def _run(root: Path, timeout: float, logs: bool):
    from agent.daemon.jsonlog import JsonLog, NullStream
    from agent.demo import run_demo

    log = JsonLog() if logs else JsonLog(stream=NullStream())
    if not sys.stderr.isatty():
        return run_demo(root, timeout, log)
    from rich.console import Console

    with Console(stderr=True).status("sandbox up, daemon listening, three runs failing…"):
        return run_demo(root, timeout, log)

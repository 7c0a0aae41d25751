"""`agent stats [--since 30d] [--repo R …] [--json]`: the KPIs from GitHub's runs and the agent's store."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from agent.cli.options import GITHUB_URL_HELP, TOKEN_HELP, github_api_url, github_client, repo_name
from agent.errors import BadInput


def _help() -> str:
    from agent.stats import FIGURES

    lines = ["Show the KPIs: how green CI is, how fast failures end, and how well the agent's actions do.", ""]
    return "\n\n".join(lines + [f"{name}: {text}." for name, text in FIGURES.items()])


def register(app: typer.Typer) -> None:
    app.command(help=_help())(stats)


def render(figures: dict[str, Any]) -> str:
    """The KPIs as short text lines."""
    green, mttr = figures["green_rate"], figures["mttr_minutes"]
    pct = lambda value: "n/a" if value is None else f"{value:.0%}"
    lines = [f"{', '.join(figures['repos'])}: {figures['since'][:16]} → {figures['until'][:16]}",
             f"green rate         {pct(green['overall'])} of {green['runs']} runs (target ≥ 90%)"]
    lines += [f"  {row['workflow']} @ {row['branch']}: {pct(row['rate'])} of {row['runs']}"
              for row in green["by_workflow"][:10]]
    for who in ("all", "agent", "human"):
        row = mttr[who]
        if row["median"] is None:
            lines.append(f"MTTR ({who:5})       n/a (no red streak ended green)")
            continue
        lines.append(f"MTTR ({who:5})       median {row['median']} min, p90 {row['p90']} min, {row['streaks']} streaks")
    fixes, false, reruns = figures["auto_fix_success"], figures["false_escalations"], figures["rerun_recoveries"]
    lines += [f"auto-fix success    {pct(fixes['rate'])} of {fixes['merged']} merged (target ≥ 85%)",
              f"false escalations  {pct(false['rate'])} of {false['escalations']} (target ≤ 5%)",
              f"reverts            {figures['reverts']}",
              f"re-run recoveries  {pct(reruns['rate'])} of {reruns['reruns']}",
              f"LLM                {figures['llm']['analyses']} analyses"
              + (f", per analysis {figures['llm']['per_analysis']}" if figures["llm"]["per_analysis"] else ""),
              f"runner incidents   {figures['runner_incidents'] or 'none'}",
              f"quarantined tests  {len(figures.get('quarantined_tests') or [])}"]
    lines += [f"  {q['test']} ({q['framework']}) until {q['until']}, issue #{q['issue']}"
              for q in figures.get("quarantined_tests") or []]
    return "\n".join(lines)


def stats(
    repo: Annotated[list[str], typer.Option("--repo", help="OWNER/NAME (repeat for more; default $GITHUB_REPOSITORY)")]
    = [],  # noqa: B006 - typer reads the default
    since: Annotated[str, typer.Option("--since", help="window: 30d, 12h, 90m or an ISO date")] = "30d",
    github_url: Annotated[str | None, typer.Option("--github-url", help=GITHUB_URL_HELP)] = None,
    token: Annotated[str | None, typer.Option("--token", help=TOKEN_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    from agent.config import db_path
    from agent.stats import collect_stats, parse_since
    from agent.store import Store

    repos = [repo_name(name) for name in repo] or [repo_name(None)]
    try:
        parse_since(since, datetime.now(UTC))
    except ValueError:
        raise BadInput(f"--since {since!r}: expected e.g. 30d, 12h, 90m or a date such as 2026-11-01") from None
    figures = collect_stats(github_client(github_api_url(github_url), token), Store(db_path()), repos, since)
    print(json.dumps(figures, indent=2, default=str) if as_json else render(figures))

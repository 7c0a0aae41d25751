"""`agent flaky [--repo R] [--json]`: each test's verdict (flaky / broken / passing) from recorded results."""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import typer

from agent.cli.options import repo_name


def register(app: typer.Typer) -> None:
    app.command(help="List tests judged from recorded results: kind (flaky only on evidence, broken when failing "
                     "every time), flip rate, last seen, owner, and quarantined until.")(flaky)


def flaky_report(store: Any, repo: str, history_runs: int = 20, min_flips: int = 2) -> list[dict[str, Any]]:
    """One row per test of a repository, flaky first, with its quarantine (until, issue) when there is one."""
    from agent.flaky.detect import Observation, judge_all

    rows = store.test_observations(repo)
    quarantined = store.quarantine_records(repo)
    out = []
    for verdict in judge_all([Observation.from_row(r) for r in rows], history_runs, min_flips):
        record = quarantined.get((verdict.framework, verdict.test_id)) or {}
        owners = verdict.owners or record.get("owners") or []
        out.append({**verdict.to_dict(), "repo": repo, "owners": owners,
                    "quarantined_until": None if record.get("released") else record.get("until"),
                    "issue": record.get("issue")})
    return out


def render(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no test results recorded"
    lines = [f"{'kind':8} {'flips':>5}  {'last seen':16}  {'quarantined':11}  {'owner':12}  test"]
    for row in rows:
        lines.append(f"{row['kind']:8} {row['flip_rate']:>5.0%}  {row['last_seen'][:16]:16}  "
                     f"{row['quarantined_until'] or '-':11}  {','.join(row['owners']) or '-':12}  "
                     f"{row['test']} ({row['framework']})")
    return "\n".join(lines)


def flaky(
    repo: Annotated[str | None, typer.Option("--repo", help="OWNER/NAME (default $GITHUB_REPOSITORY, else all)")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    from agent.config import db_path
    from agent.policy.schema import load_policy
    from agent.store import Store

    store = Store(db_path())
    repos = [repo_name(repo)] if repo or os.environ.get("GITHUB_REPOSITORY") else store.test_result_repos()
    policy = load_policy().flaky
    rows = [row for name in repos for row in flaky_report(store, name, policy.history_runs, policy.min_flips)]
    print(json.dumps({"repos": repos, "tests": rows}, indent=2) if as_json else render(rows))

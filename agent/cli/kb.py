"""`agent kb stats`, `agent kb test ID --against-history`, `agent kb propose --from-issue N`, `agent kb accept ID`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from agent import config
from agent.errors import BadInput


def register(app: typer.Typer) -> None:
    """Add the `kb` sub-app."""
    kb_app = typer.Typer(help="Known-issue DB: learned confidence, precision, pattern changes vs history.",
                         no_args_is_help=True)
    kb_app.command("stats")(stats)
    kb_app.command("test")(test)
    kb_app.command("propose")(propose)
    kb_app.command("accept")(accept)
    app.add_typer(kb_app, name="kb")


def _store():
    """The agent's store; a missing database is bad input (nothing has been diagnosed yet)."""
    path = config.db_path()
    if not path.exists():
        raise BadInput(f"no database at {path}: nothing has been diagnosed yet")
    from agent.store import Store

    return Store(path)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def stats(
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Per known issue: hits, precision, fix success, prior vs posterior confidence and tier."""
    from agent.knowledge import load_known_issues
    from agent.knowledge.learning import kb_stats
    from agent.policy import load_policy

    tiers = load_policy().tiers
    report = kb_stats(load_known_issues(), _store(), (tiers.high_min_confidence, tiers.medium_min_confidence))
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo(f"{report['diagnoses']} stored diagnoses")
    typer.echo(f"{'known issue':<44} {'hits':>5} {'prec':>5} {'fix ok':>6} {'prior':>6} {'post':>6}  tier")
    for row in report["issues"]:
        moved = row["tier"] if row["tier"] == row["prior_tier"] else f"{row['prior_tier']} → {row['tier']}"
        typer.echo(f"{row['id'][:44]:<44} {row['hits']:>5} {_pct(row['precision']):>5} "
                   f"{_pct(row['fix_success']):>6} {row['prior']:>6.2f} {row['posterior']:>6.2f}  {moved}")
    typer.echo(f"\n{'fix template':<24} {'ok':>4} {'fail':>4} {'prior':>6} {'post':>6}  tier")
    for row in report["templates"]:
        typer.echo(f"{row['template']:<24} {row['successes']:>4} {row['failures']:>4} {row['prior']:>6.2f} "
                   f"{row['posterior']:>6.2f}  {row['tier']}")


def test(
    issue_id: Annotated[str, typer.Argument(help="the known issue's id")],
    against_history: Annotated[bool, typer.Option("--against-history", help="re-run over stored diagnoses")] = False,
    file: Annotated[Path | None, typer.Option(help="a changed known-issues.yaml to test")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Which stored runs a changed entry would newly match or stop matching."""
    from agent.knowledge import load_known_issues
    from agent.knowledge.learning import STORED
    from agent.knowledge.learning import against_history as rerun

    if not against_history:
        raise BadInput("say what to test against: --against-history")
    if file is not None and not file.is_file():
        raise BadInput(f"{file}: no such file")
    current = load_known_issues()
    new = (load_known_issues(file) if file is not None else current).get(issue_id)
    old: Any = current.get(issue_id) if file is not None else STORED
    if new is None and (old is None or old == STORED):
        raise BadInput(f"no known issue {issue_id!r} in {file or config.known_issues_path()}")
    report = rerun(issue_id, new, _store(), old=old)
    report["compared_with"] = "current DB entry" if file is not None else "what matched at diagnosis time"
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo(f"{issue_id}: {report['scanned']} stored diagnoses, compared with {report['compared_with']}")
    typer.echo(f"  still matching: {report['still_matching']}")
    typer.echo(f"  newly matching: {len(report['newly_matching'])}")
    for row in report["newly_matching"]:
        typer.echo(f"    + {row['repo']} run {row['run_id']} (was {row['matched_then'] or 'none'}): {row['line'][:160]}")
    typer.echo(f"  stop matching:  {len(report['stop_matching'])}")
    for row in report["stop_matching"]:
        typer.echo(f"    - {row['repo']} run {row['run_id']} (signature {row['signature']})")


def propose(
    from_issue: Annotated[int, typer.Option("--from-issue", help="the agent's escalation issue a human fix closed")],
    repo: Annotated[str | None, typer.Option("--repo", help="OWNER/NAME (default $GITHUB_REPOSITORY)")] = None,
    github_url: Annotated[str | None, typer.Option("--github-url", help="REST API root (default $GITHUB_API_URL)")] = None,
    token: Annotated[str | None, typer.Option("--token", help="GitHub token (default $GITHUB_TOKEN)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Learn a known-issue entry from the human fix that closed an escalation issue; saves it as a proposal."""
    from agent.cli.options import github_api_url, github_client, repo_name
    from agent.knowledge import load_known_issues
    from agent.knowledge.proposals import deployment_db, proposal_diff, write_proposal
    from agent.knowledge.propose import propose_from_issue

    if from_issue <= 0:
        raise BadInput(f"--from-issue must be an issue number, not {from_issue}")
    full_name, url = repo_name(repo), github_api_url(github_url)
    proposal = propose_from_issue(github_client(url, token), _store(), load_known_issues(), full_name, from_issue)
    path = write_proposal(proposal)
    try:
        diff = proposal_diff(proposal.to_dict(), deployment_db())
    except BadInput:
        diff = None
    if as_json:
        typer.echo(json.dumps({**proposal.to_dict(), "path": str(path), "diff": diff}, indent=2))
        return
    typer.echo(f"proposed {proposal.id} ({proposal.fitted}) from {full_name}#{from_issue}: {path}")
    typer.echo(diff if diff is not None else "(set AGENT_GUIDES to a deployment guides directory to accept it)")
    typer.echo(f"check with:  agent kb test {proposal.id} --against-history --file {path}")
    typer.echo(f"accept with: agent kb accept {proposal.id}")


def accept(
    proposal_id: Annotated[str, typer.Argument(help="the proposal's id (from agent kb propose)")],
) -> None:
    """Merge a proposal into the deployment's known-issue DB ($AGENT_GUIDES) and its learned.md guide."""
    from agent.knowledge.proposals import accept as merge

    db, diff = merge(proposal_id)
    typer.echo(diff)
    typer.echo(f"accepted {proposal_id} into {db}")

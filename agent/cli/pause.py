"""`agent pause [--repo R]` / `agent resume [--repo R]`: one kill switch every process sharing AGENT_HOME obeys."""

from __future__ import annotations

import json
import os
import socket
import sys
from typing import Annotated, Any

import typer

from agent.cli.options import GITHUB_URL_HELP, TOKEN_HELP, github_api_url, repo_name

REPO_HELP = "OWNER/NAME to pause alone (default: every repository)"


def register(app: typer.Typer) -> None:
    app.command()(pause)
    app.command()(resume)


def pause(
    repo: Annotated[str | None, typer.Option("--repo", help=REPO_HELP)] = None,
    reason: Annotated[str, typer.Option("--reason", help="why, shown in every refused decision")] = "",
    github_url: Annotated[str | None, typer.Option("--github-url", help=GITHUB_URL_HELP)] = None,
    token: Annotated[str | None, typer.Option("--token", help=TOKEN_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Stop every write (branch, commit, PR, merge, issue, comment, re-run) of every agent process."""
    from agent.store import Store

    name = repo_name(repo, fallback_env=False) if repo else None
    store = Store()
    store.pause(name, reason, by=f"{socket.gethostname()}:{os.getpid()}")
    label = _label(name, github_url, token, add=True)
    _report({"paused": name or "*", "reason": reason, "label": label, "db": str(store.path)}, as_json)


def resume(
    repo: Annotated[str | None, typer.Option("--repo", help="OWNER/NAME to resume (default: the global pause)")] = None,
    github_url: Annotated[str | None, typer.Option("--github-url", help=GITHUB_URL_HELP)] = None,
    token: Annotated[str | None, typer.Option("--token", help=TOKEN_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Lift a pause set by `agent pause` (the same --repo), and the repository's kill-switch label."""
    from agent.store import Store

    name = repo_name(repo, fallback_env=False) if repo else None
    store = Store()
    lifted = store.resume(name)
    label = _label(name, github_url, token, add=False)
    still = [row["scope"] for row in store.pauses()]
    _report({"resumed": name or "*", "was_paused": lifted, "label": label, "still_paused": still}, as_json)


def _label(name: str | None, github_url: str | None, token: str | None, add: bool) -> str:
    """Add (or remove) the policy's kill-switch label on the repository when GitHub credentials are at hand."""
    if name is None:
        return "not applicable (every repository)"
    if not (token or os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN")):
        return "unchanged (no GitHub token: the store flag alone stops this agent's processes)"
    from agent.cli.options import github_client
    from agent.github import GitHubError, NotFound
    from agent.policy.lookup import load_configured_policy

    label = load_configured_policy().kill_switch.label
    gh = github_client(github_api_url(github_url), token)
    try:
        if add and label.lower() not in {existing.lower() for existing in gh.repo_labels(name)}:
            gh.request("POST", f"/repos/{name}/labels", body={"name": label, "color": "b60205"}, idempotent=True)
        elif not add:
            gh.request("DELETE", f"/repos/{name}/labels/{label}", idempotent=True)
    except NotFound:
        pass
    except GitHubError as exc:
        print(f"warning: could not {'add' if add else 'remove'} the label {label!r} on {name}: {exc}",
              file=sys.stderr)
        return "unchanged (GitHub refused)"
    present = label.lower() in {existing.lower() for existing in gh.repo_labels(name)}
    if present != add:
        print(f"warning: {name} {'lacks' if add else 'still has'} the label {label!r}; "
              f"{'add' if add else 'remove'} it by hand", file=sys.stderr)
        return "unchanged"
    return f"{label!r} {'on' if add else 'not on'} {name}"


def _report(record: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(record))
        return
    for key, value in record.items():
        typer.echo(f"{key + ':':<13}{value}")

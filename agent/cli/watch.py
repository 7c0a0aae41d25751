"""`agent watch --repo O/N …`: run the daemon (webhook receiver, poller, worker, runner monitor)."""

from __future__ import annotations

import json
import re
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.options import GITHUB_URL_HELP, POLICIES_HELP, TOKEN_HELP, github_api_url, repo_name
from agent.errors import BadInput

REPO_HELP = "repository to watch, OWNER/NAME (repeat for more)"
_ORG = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}")
ORG_HELP = ("watch every repository of this organisation the credentials reach (a GitHub App installation's "
            "repositories), found again every 10 minutes")


def register(app: typer.Typer) -> None:
    app.command()(watch)


def watch(
    repo: Annotated[list[str] | None, typer.Option("--repo", help=REPO_HELP)] = None,
    org: Annotated[str | None, typer.Option("--org", help=ORG_HELP)] = None,
    webhook_port: Annotated[int, typer.Option(help="port of the webhook receiver and /healthz (0: any free)",
                                              min=0, max=65535)] = 8787,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    webhook_secret_file: Annotated[Path | None, typer.Option(help="file holding the webhook secret "
                                                             "(else AGENT_WEBHOOK_SECRET)")] = None,
    no_webhooks: Annotated[bool, typer.Option("--no-webhooks", help="poll only; no receiver")] = False,
    poll_interval: Annotated[float, typer.Option(min=0.0, help="seconds between polls (0: no poller)")] = 60.0,
    monitor_interval: Annotated[float, typer.Option(min=0.0, help="seconds between runner checks (0: off)")] = 120.0,
    queued_after: Annotated[float, typer.Option(min=0.0, help="seconds queued before a run counts as stuck")] = 600.0,
    lease_seconds: Annotated[float, typer.Option(min=0.0, help="job lease length; renewed while working")] = 300.0,
    github_url: Annotated[str | None, typer.Option(help=GITHUB_URL_HELP)] = None,
    token: Annotated[str | None, typer.Option("--token", help=TOKEN_HELP)] = None,
    policies: Annotated[Path | None, typer.Option("--policies", help=POLICIES_HELP)] = None,
    ci_poll_interval: Annotated[float, typer.Option(min=0.0, help="seconds between checks of a fix branch's CI")] = 10.0,
    verify_timeout: Annotated[float, typer.Option(min=0.0, help="seconds to wait for a fix branch's CI")] = 1800.0,
    once: Annotated[bool, typer.Option("--once", help="poll once, handle the queue, exit")] = False,
    log_level: Annotated[str, typer.Option(help="debug | info | warning | error")] = "info",
) -> None:
    """Watch repositories: webhooks and polling feed a durable queue the pipeline drains."""
    from agent.daemon.jsonlog import LEVELS, JsonLog
    from agent.daemon.service import DaemonConfig
    from agent.daemon.wiring import webhook_secret

    repos = [repo_name(name, fallback_env=False) for name in repo or []]
    if not repos and not org:
        raise BadInput("give the repositories to watch: --repo OWNER/NAME (repeatable) or --org ORG")
    if org and not _ORG.fullmatch(org):
        raise BadInput(f"--org {org!r}: expected an organisation login such as Apra-Labs")
    base_url = github_api_url(github_url)
    if (no_webhooks or once) and not poll_interval:
        raise BadInput("with no webhooks and --poll-interval 0 nothing would feed the queue")
    if log_level not in LEVELS:
        raise BadInput(f"--log-level must be one of {', '.join(LEVELS)}")
    config = DaemonConfig(repos=repos, webhooks=not (no_webhooks or once), host=host, port=webhook_port,
                          secret=None if (no_webhooks or once) else webhook_secret(webhook_secret_file),
                          poll_interval=poll_interval or None, monitor_interval=monitor_interval or None,
                          queued_after=queued_after, lease_seconds=lease_seconds)
    from agent.llm.configured import model_from_env

    pipeline_options = {"poll_interval": ci_poll_interval, "verify_timeout": verify_timeout, "model": model_from_env(),
                        "dashboard": True}
    daemon = _build(config, base_url, JsonLog(level=log_level), pipeline_options, token, policies)
    if org:
        watch_organisation(daemon, org, repos)
    if pipeline_options["model"] is not None and not once:  # the LLM's guide search loads the model anyway
        from agent.rag.server import serve_in_background

        serve_in_background()
    if once:
        typer.echo(json.dumps(daemon.run_once(), default=str))
        return
    _serve(daemon)


def watch_organisation(daemon, org: str, extra: list[str]) -> None:
    """Watch the organisation's repositories (plus any --repo), found now and again every 10 minutes."""
    from agent.github.orgs import organisation_repositories

    def discover() -> list[str]:
        return list(dict.fromkeys([*organisation_repositories(daemon.gh, org), *extra]))

    found = discover()
    if not found:
        raise BadInput(f"--org {org}: the credentials reach no repository of that organisation")
    daemon.config.discover = discover
    daemon.set_repos(found)


def _build(config, base_url: str, log, pipeline_options: dict, token: str | None = None,
           policies: Path | None = None):
    """The Daemon with the pipeline as its handler (built after the lock is taken)."""
    from agent.daemon.service import Daemon
    from agent.daemon.wiring import (
        POLL_RETRY_WAIT,
        WORK_RETRY_WAIT,
        PipelineHandler,
        alerter_for,
        github_client,
    )
    from agent.policy.lookup import load_configured_policy
    from agent.store import Store

    gh = github_client(base_url, WORK_RETRY_WAIT, token)
    poll_gh = github_client(base_url, POLL_RETRY_WAIT, token)
    store, policy = Store(), load_configured_policy(policies)
    handler = PipelineHandler(gh, store, policy, **pipeline_options)
    return Daemon(store, gh, handler, policy, config, log=log, alerter=alerter_for(poll_gh), poll_gh=poll_gh)


def _serve(daemon) -> None:
    """Start, load the pipeline, run until SIGTERM/SIGINT, then stop (parking the current job)."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    daemon.start()
    try:
        if hasattr(daemon.handler, "load"):
            daemon.handler.load()
        while not stop.wait(0.5) and not daemon.stopping.is_set():
            pass
    finally:
        daemon.stop()

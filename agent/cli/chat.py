"""`agent chat RUN_ID [--repo O/N] [--github-url URL]`: an interactive session on one failed run."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from agent.errors import BadInput
from agent.llm.configured import model_from_env

DEFAULT_URL = "https://api.github.com"


def _repo(repo: str | None) -> str:
    name = repo or os.environ.get("GITHUB_REPOSITORY", "")
    if name.count("/") != 1 or not all(name.split("/")):
        raise BadInput("give the repository as --repo OWNER/NAME (or set GITHUB_REPOSITORY)")
    return name


def session(run_id: int, repo: str, github_url: str, token: str, search_mode: str, model, timeouts: tuple):
    """A ChatSession on the run, with the configured store, policy, knowledge and guide index."""
    from agent.chat import ChatSession
    from agent.config import db_path
    from agent.github import GitHub
    from agent.knowledge import load_known_issues
    from agent.llm.handoff import tool_context
    from agent.policy import load_policy
    from agent.rag import shared_index
    from agent.store import Store
    from tools.search_guides import ModeIndex

    ctx = tool_context(GitHub(base_url=github_url, token=token), repo, run_id, store=Store(db_path()),
                       kb=load_known_issues(), index=ModeIndex(shared_index(), search_mode), policy=load_policy())
    return ChatSession(ctx, model, verify_timeout=timeouts[0], poll_interval=timeouts[1])


def register(app: typer.Typer) -> None:
    @app.command()
    def chat(
        run_id: Annotated[int, typer.Argument(help="the failed workflow run's id")],
        repo: Annotated[str | None, typer.Option("--repo", help="OWNER/NAME (default $GITHUB_REPOSITORY)")] = None,
        github_url: Annotated[str, typer.Option("--github-url", help="REST API root")] = DEFAULT_URL,
        token: Annotated[str | None, typer.Option("--token", help="GitHub token (default $GITHUB_TOKEN)")] = None,
        model_url: Annotated[str | None, typer.Option("--model-url", help="Messages API base URL "
                                                      "(default $ANTHROPIC_BASE_URL)")] = None,
        model: Annotated[str | None, typer.Option("--model", help="model id (default $AGENT_MODEL)")] = None,
        search_mode: Annotated[str, typer.Option("--search-mode", help="guide search: hybrid or bm25")] = "hybrid",
        verify_timeout: Annotated[float, typer.Option("--verify-timeout", help="seconds to wait for a fix "
                                                      "branch's CI before leaving the PR for a human")] = 1800.0,
        poll_interval: Annotated[float, typer.Option("--poll-interval", help="seconds between CI polls")] = 10.0,
    ) -> None:
        """Talk about one failed run: the diagnosis, log lines, guides, and fixes that need your explicit yes."""
        secret = token or os.environ.get("GITHUB_TOKEN", "")
        if not secret:
            raise BadInput("no GitHub token: set GITHUB_TOKEN or pass --token")
        if run_id <= 0:
            raise BadInput(f"run id must be a positive number, not {run_id}")
        if search_mode not in ("hybrid", "bm25"):
            raise BadInput(f"unknown search mode {search_mode!r}: use hybrid or bm25")
        chat_session = session(run_id, _repo(repo), github_url, secret, search_mode, model_from_env(model_url, model),
                               (verify_timeout, poll_interval))
        raise typer.Exit(chat_session.start())

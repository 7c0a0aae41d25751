"""`agent chat RUN_ID [--repo O/N] [--github-url URL]`: an interactive session on one failed run."""

from __future__ import annotations

from typing import Annotated

import typer

from agent.cli.options import (
    GITHUB_URL_HELP,
    TOKEN_HELP,
    github_api_url,
    github_client,
    repo_name,
    run_id_checked,
)
from agent.errors import BadInput
from agent.llm.configured import model_from_env


def session(run_id: int, repo: str, gh, search_mode: str, model, timeouts: tuple):
    """A ChatSession on the run, with the configured store, policy, knowledge and guide index."""
    from agent.chat import ChatSession
    from agent.config import db_path
    from agent.knowledge import load_known_issues
    from agent.llm.handoff import tool_context
    from agent.policy import load_policy
    from agent.rag import shared_index
    from agent.store import Store
    from tools.search_guides import ModeIndex

    ctx = tool_context(gh, repo, run_id, store=Store(db_path()),
                       kb=load_known_issues(), index=ModeIndex(shared_index(), search_mode), policy=load_policy())
    return ChatSession(ctx, model, verify_timeout=timeouts[0], poll_interval=timeouts[1])


def register(app: typer.Typer) -> None:
    @app.command()
    def chat(
        run_id: Annotated[int, typer.Argument(help="the failed workflow run's id")],
        repo: Annotated[str | None, typer.Option("--repo", help="OWNER/NAME (default $GITHUB_REPOSITORY)")] = None,
        github_url: Annotated[str | None, typer.Option("--github-url", help=GITHUB_URL_HELP)] = None,
        token: Annotated[str | None, typer.Option("--token", help=TOKEN_HELP)] = None,
        model_url: Annotated[str | None, typer.Option("--model-url", help="Messages API base URL "
                                                      "(default $ANTHROPIC_BASE_URL)")] = None,
        model: Annotated[str | None, typer.Option("--model", help="model id (default $AGENT_MODEL)")] = None,
        search_mode: Annotated[str, typer.Option("--search-mode", help="guide search: hybrid or bm25")] = "hybrid",
        verify_timeout: Annotated[float, typer.Option("--verify-timeout", min=0.0, help="seconds to wait for a fix "
                                                      "branch's CI before leaving the PR for a human")] = 1800.0,
        poll_interval: Annotated[float, typer.Option("--poll-interval", min=0.0, help="seconds between CI polls")] = 10.0,
    ) -> None:
        """Talk about one failed run: the diagnosis, log lines, guides, and fixes that need your explicit yes."""
        full_name, run_id, url = repo_name(repo), run_id_checked(run_id), github_api_url(github_url)
        if search_mode not in ("hybrid", "bm25"):
            raise BadInput(f"unknown search mode {search_mode!r}: use hybrid or bm25")
        chat_session = session(run_id, full_name, github_client(url, token), search_mode,
                               model_from_env(model_url, model), (verify_timeout, poll_interval))
        raise typer.Exit(chat_session.start())

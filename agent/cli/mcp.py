"""`agent mcp [--transport stdio|http] [--github-url URL] [--repo O/N ...]`: the tool registry as an MCP server.

It starts without GitHub credentials too (an IDE starts it with whatever environment its config names):
then triage_log, search_guides and lookup_known_issue work, and every tool that needs GitHub answers one
line naming what to set."""

from __future__ import annotations

import logging
import os
import sys
from typing import Annotated

import typer

from agent.cli.options import GITHUB_URL_HELP, TOKEN_HELP, github_api_url, github_client, repo_name
from agent.errors import BadInput

TRANSPORTS = {"stdio": "stdio", "http": "streamable-http"}
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def log_plainly() -> None:
    """One plain line per log record on stderr (the server's own set-up would wrap and draw tracebacks)."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr)


def build(gh, repos: list[str], search_mode: str, verify_timeout: float, no_github: str = ""):
    """The MCP server over the configured GitHub, store, policy and knowledge."""
    from agent.config import db_path
    from agent.knowledge import load_known_issues
    from agent.mcp_server import AgentTools, build_server
    from agent.policy import load_policy
    from agent.store import Store
    from tools.search_guides import ModeIndex

    index = None
    if search_mode != "hybrid":
        from agent.rag import shared_index

        index = ModeIndex(shared_index(), search_mode)
    tools = AgentTools(gh, Store(db_path()), load_policy(), kb=load_known_issues(), index=index,
                       repo=repos[0] if repos else "", repos=repos, verify_timeout=verify_timeout,
                       no_github=no_github)
    return build_server(tools)


def register(app: typer.Typer) -> None:
    @app.command()
    def mcp(
        transport: Annotated[str, typer.Option(help="stdio (for Claude Code, Cursor, VS Code) or http")] = "stdio",
        github_url: Annotated[str | None, typer.Option("--github-url", help=GITHUB_URL_HELP)] = None,
        repo: Annotated[list[str] | None, typer.Option("--repo", help="OWNER/NAME the tools may act on (repeatable; "
                                                       "the first is the default; else $GITHUB_REPOSITORY)")] = None,
        token: Annotated[str | None, typer.Option("--token", help=TOKEN_HELP)] = None,
        host: Annotated[str, typer.Option(help="http transport: address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="http transport: port", min=1, max=65535)] = 8765,
        search_mode: Annotated[str, typer.Option("--search-mode", help="guide search: hybrid or bm25")] = "hybrid",
        verify_timeout: Annotated[float, typer.Option("--verify-timeout",
                                                      min=0.0, help="seconds execute_plan waits for a fix branch's CI")] = 1800.0,
    ) -> None:
        """Serve the agent's tools over MCP: reads freely, staging returns the gate's decision and a plan id."""
        if transport not in TRANSPORTS:
            raise BadInput(f"unknown transport {transport!r}: use stdio or http")
        if search_mode not in ("hybrid", "bm25"):
            raise BadInput(f"unknown search mode {search_mode!r}: use hybrid or bm25")
        names = repo or ([os.environ["GITHUB_REPOSITORY"]] if os.environ.get("GITHUB_REPOSITORY") else [])
        repos = list(dict.fromkeys(repo_name(name, fallback_env=False) for name in names))
        url = github_api_url(github_url)
        log_plainly()
        try:
            gh, no_github = github_client(url, token), ""
        except BadInput as missing:
            gh, no_github = None, f"this tool needs GitHub: {missing}"
            logging.getLogger("agent.mcp").warning("started without GitHub (%s): only run-free tools work", missing)
        server = build(gh, repos, search_mode, verify_timeout, no_github)
        if search_mode == "hybrid":  # the model is loaded here anyway: let `agent search` in a shell use it
            from agent.rag.server import serve_in_background

            serve_in_background()
        if transport == "stdio":
            server.run("stdio")
        else:
            server.run("streamable-http", host=host, port=port)

"""`agent mcp [--transport stdio|http] [--github-url URL] [--repo O/N]`: the tool registry as an MCP server."""

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


def build(gh, repo: str | None, search_mode: str, verify_timeout: float):
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
    tools = AgentTools(gh, Store(db_path()), load_policy(),
                       kb=load_known_issues(), index=index, repo=repo or "", verify_timeout=verify_timeout)
    return build_server(tools)


def register(app: typer.Typer) -> None:
    @app.command()
    def mcp(
        transport: Annotated[str, typer.Option(help="stdio (for Claude Code, Cursor, VS Code) or http")] = "stdio",
        github_url: Annotated[str | None, typer.Option("--github-url", help=GITHUB_URL_HELP)] = None,
        repo: Annotated[str | None, typer.Option("--repo", help="default OWNER/NAME for tool calls")] = None,
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
        default_repo = repo or os.environ.get("GITHUB_REPOSITORY")
        default_repo = repo_name(default_repo) if default_repo else None
        gh = github_client(github_api_url(github_url), token)
        log_plainly()
        server = build(gh, default_repo, search_mode, verify_timeout)
        if transport == "stdio":
            server.run("stdio")
        else:
            server.run("streamable-http", host=host, port=port)

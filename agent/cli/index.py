"""`agent index` and `agent search`: build and query the guides index (heavy imports stay inside)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from agent.errors import BadInput


def _build(repo_dir: Path | None, doc_globs: list[str]) -> dict:
    """Build the default index with rich progress on stderr; returns the build stats."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from agent.rag import Index, default_sources

    sources = default_sources(repo_dir, tuple(doc_globs)) if doc_globs else default_sources(repo_dir)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("indexing (loading the embedding model)", total=None)

        def report(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        index = Index()
        stats = index.build(sources, progress=report)
    return {"path": str(index.path), "sources": [s.to_dict() for s in sources], **stats.to_dict()}


def _print_hits(hits, query: str, mode: str, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"query": query, "mode": mode, "hits": [h.to_dict() for h in hits]}, indent=2))
        return
    if not hits:
        typer.echo("no matching section")
    for rank, hit in enumerate(hits, start=1):
        typer.echo(f"{rank}. {hit.link}  {hit.title}  ({hit.score:.4f})")


def register(app: typer.Typer) -> None:
    @app.command("index")
    def index_command(
        repo_dir: Annotated[Path | None, typer.Option("--repo-dir", help="also index this repository's docs")] = None,
        doc_glob: Annotated[list[str] | None, typer.Option(
            "--doc-glob", help="docs globs under --repo-dir (default: README.md, docs/**/*.md); repeatable")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print the build stats as JSON")] = False,
    ) -> None:
        """Index the troubleshooting guides (and a repository's docs) for search; incremental."""
        if doc_glob and repo_dir is None:
            raise BadInput("--doc-glob needs --repo-dir")
        stats = _build(repo_dir, doc_glob or [])
        if as_json:
            typer.echo(json.dumps(stats, indent=2))
        else:
            typer.echo(f"{stats['chunks']} sections indexed in {stats['seconds']} s: {stats['added']} added, "
                       f"{stats['updated']} updated, {stats['removed']} removed, {stats['embedded']} embedded")

    @app.command("search")
    def search_command(
        query: Annotated[str, typer.Argument(help="a log line or a few words")],
        k: Annotated[int, typer.Option("-k", help="how many sections to return")] = 5,
        mode: Annotated[str, typer.Option("--mode", help="hybrid | bm25 | vector")] = "hybrid",
        as_json: Annotated[bool, typer.Option("--json", help="print the hits as JSON")] = False,
    ) -> None:
        """Find the guide sections that best match a log line (builds the index on first use)."""
        from agent.rag import MODES, Index

        if mode not in MODES:
            raise BadInput(f"--mode must be one of {', '.join(MODES)}")
        if not query.strip():
            raise BadInput("the query is empty")
        _print_hits(Index().search(query, k=k, mode=mode), query, mode, as_json)

"""`agent index` and `agent search`: build and query the guides index (heavy imports stay inside)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from agent.errors import BadInput

SEARCH_MODES = ("auto", "hybrid", "bm25", "vector")


def _build(repo_dir: Path | None, doc_globs: list[str], guide_globs: list[str] | None = None):
    """Build the default index with rich progress on stderr; returns the index and the build stats."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from agent.rag import Index, default_sources
    from agent.rag.sources import DOC_GLOBS

    sources = default_sources(repo_dir, tuple(doc_globs) or DOC_GLOBS, tuple(guide_globs or ()) or None)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("indexing (loading the embedding model)", total=None)

        def report(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        index = Index()
        stats = index.build(sources, progress=report)
    return index, {"path": str(index.path), "sources": [s.to_dict() for s in sources], **stats.to_dict()}


def _serve(index) -> None:
    """Keep the model warm and answer `agent search` on a local socket until interrupted."""
    import signal
    import time

    from agent.rag.server import IndexServer

    signal.signal(signal.SIGTERM, signal.default_int_handler)
    server = IndexServer(index).start()
    typer.echo(f"serving warm search on 127.0.0.1:{server.port} (see {server.path}); Ctrl-C stops", err=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def _print_hits(answer, query: str, as_json: bool) -> None:
    hits = answer.hits
    if as_json:
        typer.echo(json.dumps({"query": query, **answer.to_dict()}, indent=2))
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
        guide_glob: Annotated[list[str] | None, typer.Option("--guide-glob", help=(
            "the repository's own troubleshooting guides under --repo-dir (default: $AGENT_REPO_GUIDE_GLOBS, else "
            ".claude/skills/*/*.md, .claude/LEARNINGS.md, **/troubleshooting*.md); repeatable"))] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print the build stats as JSON")] = False,
        serve: Annotated[bool, typer.Option("--serve", help=(
            "then keep the model warm and answer `agent search` from other shells until Ctrl-C"))] = False,
    ) -> None:
        """Index the troubleshooting guides (and a repository's docs) for search; incremental."""
        if (doc_glob or guide_glob) and repo_dir is None:
            raise BadInput("--doc-glob and --guide-glob need --repo-dir")
        index, stats = _build(repo_dir, doc_glob or [], guide_glob)
        if as_json:
            typer.echo(json.dumps(stats, indent=2))
        else:
            typer.echo(f"{stats['chunks']} sections indexed in {stats['seconds']} s: {stats['added']} added, "
                       f"{stats['updated']} updated, {stats['removed']} removed, {stats['embedded']} embedded")
        if serve:
            _serve(index)

    @app.command("search")
    def search_command(
        query: Annotated[str, typer.Argument(help="a log line or a few words")],
        k: Annotated[int, typer.Option("-k", help="how many sections to return")] = 5,
        mode: Annotated[str, typer.Option("--mode", help=(
            "auto (hybrid from a warm index server, else BM25 at once) | hybrid | bm25 | vector; "
            "hybrid and vector load the embedding model here when no server answers"))] = "auto",
        as_json: Annotated[bool, typer.Option("--json", help="print the hits as JSON")] = False,
    ) -> None:
        """Find the guide sections that best match a log line (builds the index on first use)."""
        from agent.rag.search import search_from_shell

        if mode not in SEARCH_MODES:
            raise BadInput(f"--mode must be one of {', '.join(SEARCH_MODES)}")
        if not query.strip():
            raise BadInput("the query is empty")
        answer = search_from_shell(query, k, mode)
        if answer.note and not as_json:
            typer.echo(f"note: {answer.note}", err=True)
        _print_hits(answer, query, as_json)

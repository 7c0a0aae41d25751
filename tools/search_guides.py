"""search_guides: the shipped troubleshooting guides (and past resolutions), searched by a log line or words."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tools.base import ToolContext, ToolInput

NAME = "search_guides"
WRITES = False
SECTION_CHARS = 1500


class Input(ToolInput):
    query: str = Field(min_length=1, max_length=1000,
                       description="A log line (framing is ignored) or a few words describing the failure.")
    k: int = Field(3, ge=1, le=8, description="How many sections to return.")


class ModeIndex:
    """An agent.rag Index searched in one fixed mode ("bm25" needs no embedding model)."""

    def __init__(self, index: Any, mode: str = "hybrid"):
        self.index, self.mode = index, mode

    def search(self, query: str, k: int = 5) -> list[Any]:
        return self.index.search(query, k=k, mode=self.mode)


def searcher(ctx: ToolContext) -> Any:
    """ctx.index (anything with search(query, k=)), or the default shared index in hybrid mode."""
    if ctx.index is not None:
        return ctx.index
    from agent.rag import shared_index

    return ModeIndex(shared_index(), "hybrid")


def run(args: Input, ctx: ToolContext) -> dict:
    """Search the troubleshooting guides shipped with the agent (and resolutions of past failures) for
    the sections that best match a log line or a description. Cite a result as guide#anchor.
    """
    hits = searcher(ctx).search(args.query, k=args.k)
    return {"results": [{"link": hit.link, "title": hit.title, "score": hit.score,
                         "text": hit.text[:SECTION_CHARS]} for hit in hits]}

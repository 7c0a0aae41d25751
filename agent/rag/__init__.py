"""Guides index: chunks of the troubleshooting guides, repo docs and past fixes, BM25 + vectors fused."""

from agent.rag.index import (
    MODES,
    BuildStats,
    Hit,
    Index,
    add_resolution,
    reciprocal_rank_fusion,
    search_guides,
    shared_index,
)
from agent.rag.sources import Source, default_sources, guide_source, repo_docs_source

__all__ = [
    "MODES", "BuildStats", "Hit", "Index", "Source", "add_resolution", "default_sources", "guide_source",
    "reciprocal_rank_fusion", "repo_docs_source", "search_guides", "shared_index",
]

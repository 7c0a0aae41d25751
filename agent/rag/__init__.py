"""Guides index: chunks of the troubleshooting guides, repo docs and past fixes, BM25 + vectors fused.

The names below load on first use (PEP 562), so `agent triage`, which needs only the chunks and the
BM25 table, does not import the hybrid index and its vector store at start-up.
"""

from __future__ import annotations

import importlib

_HOME = {
    **dict.fromkeys(("MODES", "BuildStats", "Hit", "Index", "add_resolution", "reciprocal_rank_fusion",
                     "search_guides", "shared_index"), "agent.rag.index"),
    **dict.fromkeys(("Source", "default_sources", "guide_source", "repo_docs_source"), "agent.rag.sources"),
}

__all__ = [
    "MODES", "BuildStats", "Hit", "Index", "Source", "add_resolution", "default_sources", "guide_source",
    "reciprocal_rank_fusion", "repo_docs_source", "search_guides", "shared_index",
]


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module 'agent.rag' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value

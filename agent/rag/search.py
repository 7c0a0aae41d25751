"""`agent search` from a shell: a warm index server's hybrid ranking when one answers, else BM25 at once."""

from __future__ import annotations

from dataclasses import dataclass

from agent.config import data_dir
from agent.rag.index import Hit, Index
from agent.rag.server import ask_server

NO_SERVER_NOTE = ("BM25 only: no warm index server answered (start `agent index --serve`, `agent mcp` or "
                  "the daemon for hybrid search, or pass --mode hybrid to load the embedding model here)")


@dataclass
class SearchAnswer:
    """The hits, the ranking that produced them, where it ran, and a note when it is not the best one."""

    hits: list[Hit]
    mode: str
    served_by: str
    note: str = ""

    def to_dict(self) -> dict:
        return {"mode": self.mode, "served_by": self.served_by, "note": self.note,
                "hits": [hit.to_dict() for hit in self.hits]}


def search_from_shell(query: str, k: int = 5, mode: str = "auto") -> SearchAnswer:
    """auto: the server's hybrid ranking, else BM25 with a note; hybrid/vector: the server, else load the
    model in this process; bm25: this process, never the model."""
    index_path = data_dir() / "index"
    if mode != "bm25":
        served = ask_server(index_path, query, k, "hybrid" if mode == "auto" else mode)
        if served is not None:
            return SearchAnswer([Hit.from_dict(hit) for hit in served], "hybrid" if mode == "auto" else mode, "server")
    local_mode = "bm25" if mode == "auto" else mode
    hits = Index(index_path).search(query, k=k, mode=local_mode)
    return SearchAnswer(hits, local_mode, "local", NO_SERVER_NOTE if mode == "auto" else "")

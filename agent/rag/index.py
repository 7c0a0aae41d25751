"""The hybrid index: BM25 (SQLite FTS5) and vectors (chromadb), fused by reciprocal rank."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from agent.config import data_dir
from agent.errors import BadInput
from agent.rag.chunks import Chunk, strip_log_framing
from agent.rag.repo_guides import REPO_GUIDE_KIND, RepoGuides
from agent.rag.sources import Source, collect_chunks, default_sources
from agent.rag.textstore import TextStore
from agent.rag.vectors import VectorStore

MODES = ("hybrid", "bm25", "vector")
RRF_K = 60
FUSION_DEPTH = 10
"""How far down each ranking fusion looks."""
WEIGHTS = {"bm25": 1.0, "vector": 0.5}
"""Exact error tokens make BM25 the more precise ranking on log lines; vectors break its ties and
rescue paraphrases. Measured in evals/bench/retrieval.py (recall@1 and @3 for 0.5-1.0, depth 6-30):
with the sections written from the maintainers' guides, 0.7 let two well-placed vector hits push an
exact BM25 first hit out of the top 3; 0.5 keeps recall@3 at BM25's and recall@1 unchanged."""
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Hit:
    """One search result: which guide section, its text, and how well it matched."""

    guide: str
    anchor: str
    title: str
    text: str
    score: float
    kind: str = "guide"

    @property
    def link(self) -> str:
        return f"{self.guide}#{self.anchor}"

    def to_dict(self) -> dict:
        return {**asdict(self), "link": self.link}

    @classmethod
    def from_dict(cls, data: dict) -> Hit:
        """The hit `to_dict` described (extra keys such as `link` are derived, so ignored)."""
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})


@dataclass
class BuildStats:
    """What a build changed: chunks seen, written to the text side, removed, embedded."""

    chunks: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    embedded: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def clean_query(query: str) -> str:
    """Drop log framing (timestamps, ANSI colour, ##[error] markers) that says nothing about the cause."""
    return strip_log_framing(query)


def reciprocal_rank_fusion(rankings: list[list[str]], weights: list[float] | None = None,
                           k: int = RRF_K) -> list[tuple[str, float]]:
    """Sum of weight/(k + rank) over every ranking an id appears in, best first."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings)):
        for rank, chunk_id in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


class Index:
    """Guides, repo docs and past resolutions, searchable by keywords, meaning, or both."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path else data_dir() / "index"
        self.path.mkdir(parents=True, exist_ok=True)
        self.text = TextStore(self.path / "bm25.sqlite")
        self.vectors = VectorStore(self.path / "chroma")
        self._lock = threading.RLock()
        self._checked_sources = False

    @property
    def embedding_function(self):
        """Our embedding function as attached to the chromadb collection."""
        return self.vectors.collection._embedding_function

    def build(self, sources: list[Source] | None = None, progress: Progress | None = None,
              vectors: bool = True) -> BuildStats:
        """Index the sources incrementally: only chunks whose content hash changed are rewritten."""
        started = time.perf_counter()
        with self._lock:
            sources = list(sources) if sources is not None else self._saved_sources()
            stats = self._update_text(collect_chunks(sources) + self.text.resolution_chunks())
            self.text.set_meta("sources", json.dumps([source.to_dict() for source in sources]))
            if vectors:
                stats.embedded = self.sync_vectors(progress)
        stats.seconds = round(time.perf_counter() - started, 3)
        return stats

    def _update_text(self, chunks: list[Chunk]) -> BuildStats:
        stored = self.text.digests()
        wanted = {chunk.id for chunk in chunks}
        changed = [chunk for chunk in chunks if stored.get(chunk.id) != chunk.digest]
        removed = [chunk_id for chunk_id in stored if chunk_id not in wanted]
        self.text.apply(changed, removed)
        added = sum(1 for chunk in changed if chunk.id not in stored)
        return BuildStats(chunks=len(chunks), added=added, updated=len(changed) - added,
                          removed=len(removed), unchanged=len(chunks) - len(changed))

    def sync_vectors(self, progress: Progress | None = None) -> int:
        """Bring the vector side in line with the text side; returns how many chunks were embedded."""
        with self._lock:
            generation = self.text.generation()
            chunks = self.text.chunks()
            embedded = self.vectors.digests()
            stale = [chunk for chunk in chunks.values() if embedded.get(chunk.id) != chunk.digest]
            self.vectors.delete([chunk_id for chunk_id in embedded if chunk_id not in chunks])
            report = (lambda done, total: progress("embedding", done, total)) if progress else None
            self.vectors.upsert(stale, report)
            self.text.set_meta("vector_generation", str(generation))
            return len(stale)

    def _saved_sources(self) -> list[Source]:
        saved = self.text.get_json("sources")
        return [Source.from_dict(item) for item in saved] if saved else default_sources()

    def add_repo_guides(self, guides: RepoGuides) -> BuildStats:
        """Index a repository's own guides (read at a commit) beside the other sources; vectors catch up on
        the next vector search. The files are mirrored under the index, one folder per repository."""
        folder = (self.path / "repo-guides" / guides.repo.replace("/", "__")).resolve()
        with self._lock:
            guides.write(folder)
            others = [source for source in self._saved_sources() if source.root.resolve() != folder]
            mine = Source(folder, ("**/*.md",), REPO_GUIDE_KIND, 2, 2, label=guides.repo)
            return self.build([*others, mine], vectors=False)

    def add_resolution(self, signature: str, category: str, summary: str, fix: str) -> Hit:
        """Remember what fixed a failure signature; vectors catch up on the next vector search."""
        if not signature.strip() or not fix.strip():
            raise BadInput("a resolution needs a signature and a fix")
        chunk = self.text.save_resolution(signature.strip(), category, summary.strip(), fix.strip())
        return _hit(chunk, 1.0)

    def search(self, query: str, k: int = 5, mode: str = "hybrid") -> list[Hit]:
        """The k best sections for a query (a log line or words); builds the index first if empty."""
        if mode not in MODES:
            raise BadInput(f"unknown search mode {mode!r}: use one of {', '.join(MODES)}")
        if k < 1:
            raise BadInput("k must be at least 1")
        text = clean_query(query)
        if not text:
            return []
        self._ensure_ready(vectors=mode != "bm25")
        depth = max(k, FUSION_DEPTH) if mode == "hybrid" else k
        rankings = {}
        if mode in ("bm25", "hybrid"):
            rankings["bm25"] = self.text.bm25(text, depth)
        if mode in ("vector", "hybrid"):
            rankings["vector"] = self.vectors.query(text, depth)
        if mode != "hybrid":
            return self._hits(rankings[mode][:k])
        ids = [[chunk_id for chunk_id, _ in ranking] for ranking in rankings.values()]
        return self._hits(reciprocal_rank_fusion(ids, [WEIGHTS[name] for name in rankings])[:k])

    def _ensure_ready(self, vectors: bool) -> None:
        """Build when empty; once per instance, pick up edited sources (cheap: unchanged hashes skip)."""
        with self._lock:
            if self.text.count() == 0:
                self.build(vectors=vectors)
            elif not self._checked_sources and all(s.root.is_dir() for s in self._saved_sources()):
                self.build(vectors=False)
            self._checked_sources = True
            if vectors and self.text.get_meta("vector_generation") != str(self.text.generation()):
                self.sync_vectors()

    def _hits(self, ranked: list[tuple[str, float]]) -> list[Hit]:
        chunks = self.text.chunks([chunk_id for chunk_id, _ in ranked])
        return [_hit(chunks[cid], score) for cid, score in ranked if cid in chunks]


def _hit(chunk: Chunk, score: float) -> Hit:
    return Hit(chunk.guide, chunk.anchor, chunk.title, chunk.text, round(score, 6), chunk.kind)


_shared: dict[Path, Index] = {}
_shared_lock = threading.Lock()


def shared_index(path: Path | str | None = None) -> Index:
    """One Index per path per process, so the model and the connections are opened once."""
    key = Path(path or data_dir() / "index").resolve()
    with _shared_lock:
        if key not in _shared:
            _shared[key] = Index(key)
        return _shared[key]


def search_guides(query: str, k: int = 5, mode: str = "hybrid") -> list[Hit]:
    """Hybrid search of the default index (under agent.config.data_dir()); builds it on first use."""
    return shared_index().search(query, k=k, mode=mode)


def add_resolution(signature: str, category: str, summary: str, fix: str) -> Hit:
    """Record a resolved diagnosis in the default index."""
    return shared_index().add_resolution(signature, category, summary, fix)

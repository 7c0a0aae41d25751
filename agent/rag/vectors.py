"""The vector side of the index: a chromadb collection embedded with our MiniLM function."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from agent.rag.chunks import Chunk

COLLECTION = "guides"
BATCH = 16
VECTORS_PER_CHUNK = 6
"""Entries fetched per wanted chunk: a chunk has its section vector plus one per symptom line."""


class VectorStore:
    """A persistent chromadb collection; chromadb is imported on first use, not before."""

    def __init__(self, path: Path):
        self.path = path
        self._collection = None
        self.embedding_function = None

    @property
    def collection(self):
        """The collection, opened (or created) with our embedding function passed explicitly."""
        if self._collection is None:
            self._collection = self._open()
        return self._collection

    def _open(self):
        import chromadb
        from chromadb.config import Settings
        from chromadb.errors import NotFoundError

        from agent.rag.embedding import MiniLMEmbedding

        self.embedding_function = MiniLMEmbedding()
        client = chromadb.PersistentClient(path=str(self.path), settings=Settings(anonymized_telemetry=False))
        try:
            return client.get_collection(COLLECTION, embedding_function=self.embedding_function)
        except NotFoundError:
            return client.create_collection(
                COLLECTION, embedding_function=self.embedding_function,
                configuration={"hnsw": {"space": "cosine"}}, get_or_create=True)

    def count(self) -> int:
        return self.collection.count()

    def digests(self) -> dict[str, str]:
        """Chunk id → the content hash its stored vectors were computed from."""
        stored = self.collection.get(include=["metadatas"])
        return {meta["chunk"]: meta.get("digest", "") for meta in stored["metadatas"] if meta and "chunk" in meta}

    def delete(self, chunk_ids: list[str]) -> None:
        """Drop every vector of these chunks."""
        for start in range(0, len(chunk_ids), 500):
            self.collection.delete(where={"chunk": {"$in": chunk_ids[start:start + 500]}})

    def upsert(self, chunks: list[Chunk], progress: Callable[[int, int], None] | None = None) -> None:
        """Replace the vectors of these chunks; chromadb calls our embedding function on the texts."""
        self.delete([chunk.id for chunk in chunks])
        for start in range(0, len(chunks), BATCH):
            batch = chunks[start:start + BATCH]
            ids, texts, metas = [], [], []
            for chunk in batch:
                for n, text in enumerate(chunk.vector_texts()):
                    ids.append(f"{chunk.id}::{n}")
                    texts.append(text)
                    metas.append({"chunk": chunk.id, "digest": chunk.digest})
            self.collection.add(ids=ids, documents=texts, metadatas=metas)
            if progress:
                progress(start + len(batch), len(chunks))

    def query(self, text: str, limit: int) -> list[tuple[str, float]]:
        """(chunk id, best cosine similarity over its vectors) for the `limit` best chunks."""
        total = self.count()
        if total == 0:
            return []
        found = self.collection.query(query_texts=[text], n_results=min(limit * VECTORS_PER_CHUNK, total),
                                      include=["metadatas", "distances"])
        best: dict[str, float] = {}
        for meta, distance in zip(found["metadatas"][0], found["distances"][0]):
            best.setdefault(meta["chunk"], 1.0 - distance)
        return list(best.items())[:limit]

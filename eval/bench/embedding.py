"""Embedding speed per runtime, and what each runtime costs in retrieval quality on the eval set."""
from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from eval.baseline import llamaindex_embedding
from eval.cache import CachedEmbedder
from eval.dataset import load
from eval.metrics.retrieval import article_rank, gold_spans, passage_rank, recall_at
from rag.embed import Embedder, load_embedder
from rag.index import build_index, open_index
from rag.retrieve import Retriever
from rag.settings import EMBED_RUNTIMES, Settings

LLAMAINDEX_DEFAULT = "llamaindex-huggingface"  # LlamaIndex's HuggingFaceEmbedding with its defaults (torch)
SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def cached_llama_embedding(cache: Path, model_cache: str | None, runtime: str) -> object:
    """A LlamaIndex embedding that reads chunk vectors from the benchmark's cache (and embeds any it lacks)."""
    from llama_index.core.embeddings import BaseEmbedding
    from pydantic import PrivateAttr

    class CachedEmbedding(BaseEmbedding):
        _inner: CachedEmbedder = PrivateAttr()

        def __init__(self, inner: CachedEmbedder) -> None:
            super().__init__(model_name=inner.name)
            self._inner = inner

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._inner.embed(texts).tolist()

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._get_text_embeddings([text])[0]

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._get_text_embedding(query)

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    settings = Settings.from_env({}, model_cache=model_cache, embed_runtime=runtime)
    return CachedEmbedding(CachedEmbedder(load_embedder(settings), cache))


def _llamaindex_default() -> Embedder:
    model = llamaindex_embedding()

    class Wrapped:
        name = LLAMAINDEX_DEFAULT

        def embed(self, texts: Sequence[str]) -> object:
            return model.get_text_embedding_batch(list(texts))

    return Wrapped()


def throughput(texts: Sequence[str], model_cache: str | None) -> dict[str, float]:
    """Chunks per second of each runtime (and of LlamaIndex's default) on `texts`, in this process."""
    makers = {runtime: (lambda r=runtime: load_embedder(Settings.from_env({}, embed_runtime=r, model_cache=model_cache)))
              for runtime in EMBED_RUNTIMES}
    makers[LLAMAINDEX_DEFAULT] = _llamaindex_default
    speeds = {}
    for name, make in makers.items():
        embedder = make()
        embedder.embed(list(texts[:8]))  # loads the model: not part of the rate
        started = time.perf_counter()
        embedder.embed(list(texts))
        speeds[name] = len(texts) / (time.perf_counter() - started)
    return speeds


def retrieval_quality(runtime: str, work: Path, model_cache: str | None, top_k: int = 5) -> dict[str, float]:
    """Recall@k on the eval set's answerable questions, dense only and hybrid, with the seeds embedded by `runtime`."""
    index_dir = work / f"recall-{runtime}"
    shutil.rmtree(index_dir, ignore_errors=True)
    settings = Settings.from_env({}, corpus=SEEDS, index_dir=index_dir, embed_runtime=runtime, model_cache=model_cache)
    embedder = load_embedder(settings)
    build_index(settings, embedder)
    index = open_index(settings, embedder)
    retriever = Retriever(index, embedder)
    originals = {a.doc_id: index.store.article_text(a.doc_id) or "" for a in index.store.articles()}
    questions = [q for q in load() if q.answerable]
    dense_p, hybrid_p, hybrid_a = [], [], []
    for q in questions:
        gold = gold_spans(q, originals)
        ids = [i for i, _ in index.vectors.query(embedder.embed([q.question])[0], top_k)]
        stored = index.store.chunks(ids)
        dense = [p for p in (stored.get(i) for i in ids) if p is not None]
        dense_p.append(passage_rank(dense, gold))  # StoredChunk has the doc_id/start/end the metric reads
        hybrid = retriever.retrieve(q.question, top_k)
        hybrid_p.append(passage_rank(hybrid, gold))
        hybrid_a.append(article_rank(hybrid, q.doc_ids))
    index.store.close()
    return {"questions": len(questions), f"dense_passage_recall@{top_k}": recall_at(dense_p, top_k),
            f"hybrid_passage_recall@{top_k}": recall_at(hybrid_p, top_k),
            f"hybrid_article_recall@{top_k}": recall_at(hybrid_a, top_k)}

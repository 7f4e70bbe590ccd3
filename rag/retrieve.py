"""Retrieve: dense (Chroma) and lexical (BM25) search fused by reciprocal rank fusion."""
from __future__ import annotations

from collections.abc import Sequence

from rag.embed import Embedder
from rag.index import Index
from rag.types import Passage

RRF_K = 60  # the constant of Cormack et al. (2009); damps the weight of the very top ranks
CANDIDATES_PER_RESULT = 4
MIN_CANDIDATES = 20


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Fuse ranked id lists: score(id) = sum over lists of 1 / (k + rank), rank starting at 1.

    Ties keep the order in which ids were first seen, so the result is deterministic.
    """
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


class Retriever:
    """Hybrid search over an open index."""

    def __init__(self, index: Index, embedder: Embedder) -> None:
        self._index = index
        self._embedder = embedder

    def retrieve(self, query: str, top_k: int) -> list[Passage]:
        """The `top_k` best passages for `query`, best first, with fused and per-retriever scores."""
        n = max(MIN_CANDIDATES, CANDIDATES_PER_RESULT * top_k)
        dense = self._index.vectors.query(self._embedder.embed([query])[0], n)
        lexical = self._index.lexical.query(query, n)
        fused = reciprocal_rank_fusion([[i for i, _ in dense], [i for i, _ in lexical]])
        dense_scores, lexical_scores = dict(dense), dict(lexical)
        stored = self._index.store.chunks(i for i, _ in fused[: top_k * 2])
        passages = []
        for chunk_id, score in fused:
            chunk = stored.get(chunk_id)
            if chunk is None:  # in Chroma but not complete in the store (an interrupted run)
                continue
            passages.append(
                Passage(
                    id=chunk.id,
                    doc_id=chunk.doc_id,
                    title=chunk.title,
                    outlet=chunk.outlet,
                    text=chunk.text,
                    start=chunk.start,
                    end=chunk.end,
                    sentences=chunk.sentences,
                    score=score,
                    dense_score=dense_scores.get(chunk_id),
                    lexical_score=lexical_scores.get(chunk_id),
                )
            )
            if len(passages) == top_k:
                break
        return passages

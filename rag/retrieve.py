"""Retrieve: dense (Chroma) and lexical (BM25) search over deep candidate lists, fused by reciprocal rank.

Three rules keep the evidence a reader needs:
- both lists are deep (`DEPTH_PER_RESULT` × top-k, at least `MIN_DEPTH`), and fusion runs over their union;
- the best `PROTECTED` hits of each list always reach the result, so an exact name that only BM25 finds
  (or a paraphrase only the embedding finds) is never fused away by passages both lists rank middling;
- near-duplicate passages (the same text saved under another name, a syndicated copy) are collapsed into
  the best-ranked one, which lists the others' articles in `also_in`, so the top-k holds distinct evidence.
"""
from __future__ import annotations

from collections.abc import Collection, Sequence

from rag.duplicates import jaccard, shingles
from rag.embed import Embedder
from rag.index import Index
from rag.store import Store
from rag.types import Passage

RRF_K = 60  # the constant of Cormack et al. (2009); damps the weight of the very top ranks
DEPTH_PER_RESULT = 6
MIN_DEPTH = 40
PROTECTED = 2  # the best hits of each retriever that fusion may not drop
DUPLICATE_JACCARD = 0.9  # shingle overlap from which two passages count as the same text (a few words edited)


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Fuse ranked id lists: score(id) = sum over lists of 1 / (k + rank), rank starting at 1.

    Ties keep the order in which ids were first seen, so the result is deterministic.
    """
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


def protected_fusion(
    rankings: Sequence[Sequence[str]], keep: int, protected: int = PROTECTED,
    fused: Sequence[tuple[str, float]] | None = None,
) -> list[str]:
    """The fused order, except that the first `protected` ids of every ranking are moved up into the first `keep`.

    They replace the lowest fused ids of the first `keep`; the rest keep their fused order. `fused` is
    `reciprocal_rank_fusion(rankings)` when the caller has it already.
    """
    fused = [item for item, _ in (fused if fused is not None else reciprocal_rank_fusion(rankings))]
    # every list's best hit first, then every list's second, …: with a small `keep` the best ones win
    must = list(dict.fromkeys(r[level] for level in range(protected) for r in rankings if level < len(r)))[:keep]
    head = fused[:keep]
    missing = [item for item in must if item not in head]
    for item in missing:
        for i in range(len(head) - 1, -1, -1):  # drop the lowest-ranked id that is not protected itself
            if head[i] not in must:
                head.pop(i)
                break
    head = [item for item in fused if item in set(head) | set(missing)]
    return head + [item for item in fused if item not in set(head)]


def collapse_duplicates(passages: Sequence[Passage], threshold: float = DUPLICATE_JACCARD) -> list[Passage]:
    """Keep the first of each group of near-identical passages; it lists the others' articles in `also_in`."""
    kept: list[tuple[Passage, frozenset]] = []
    for passage in passages:
        own = shingles(passage.text)
        for i, (first, theirs) in enumerate(kept):
            if jaccard(own, theirs) >= threshold:
                if passage.doc_id != first.doc_id and passage.doc_id not in first.also_in:
                    kept[i] = (first.with_also_in(passage.doc_id), theirs)
                break
        else:
            kept.append((passage, own))
    return [passage for passage, _ in kept]


class Retriever:
    """Hybrid search over an open index."""

    def __init__(self, index: Index, embedder: Embedder) -> None:
        self._index = index
        self._embedder = embedder

    @property
    def store(self) -> Store:
        """The store of the index searched (for resolving filters against the same index)."""
        return self._index.store

    def retrieve(self, query: str, top_k: int, only: Collection[str] | None = None) -> list[Passage]:
        """The `top_k` best distinct passages for `query`, best first, with fused and per-retriever scores.

        `only`: search these articles (doc_ids) alone, in both retrievers, before top-k is taken (`rag.scope`).
        """
        depth = max(MIN_DEPTH, DEPTH_PER_RESULT * top_k)
        if only is not None and not only:
            return []
        chunk_ids = None if only is None else set(self._index.store.chunk_ids(only))
        dense = self._index.vectors.query(self._embedder.embed([query])[0], depth, doc_ids=only)
        lexical = self._index.lexical.query(query, depth, chunk_ids=chunk_ids)
        rankings = [[i for i, _ in dense], [i for i, _ in lexical]]
        fused = reciprocal_rank_fusion(rankings)
        order = protected_fusion(rankings, keep=top_k, fused=fused)
        fused_scores = dict(fused)
        dense_scores, lexical_scores = dict(dense), dict(lexical)
        passages: list[Passage] = []
        for start in range(0, len(order), 2 * top_k):  # a few more each round, for duplicates and stale ids
            ids = order[start : start + 2 * top_k]
            stored = self._index.store.chunks(ids)
            for chunk_id in ids:
                chunk = stored.get(chunk_id)
                if chunk is None:  # in Chroma but not complete in the store (an interrupted run)
                    continue
                passages.append(Passage(
                    id=chunk.id, doc_id=chunk.doc_id, title=chunk.title, outlet=chunk.outlet, text=chunk.text,
                    start=chunk.start, end=chunk.end, sentences=chunk.sentences, score=fused_scores[chunk_id],
                    dense_score=dense_scores.get(chunk_id), lexical_score=lexical_scores.get(chunk_id),
                    date=chunk.date, author=chunk.author, url=chunk.url,
                ))
            passages = collapse_duplicates(passages)
            if len(passages) >= top_k:
                break
        return passages[:top_k]

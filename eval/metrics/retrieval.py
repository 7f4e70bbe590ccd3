"""Retrieval: where the first gold article and the first gold passage rank among the retrieved passages."""
from __future__ import annotations

from collections.abc import Sequence

from eval.dataset import Question
from rag.types import Passage, Span

GoldSpan = tuple[str, Span]  # (doc_id, where the gold passage text lies in that article)


def gold_spans(question: Question, originals: dict[str, str]) -> list[GoldSpan]:
    """Each gold passage located in its article (the first article of the question's that contains it)."""
    found = []
    for text in question.passages:
        for doc_id in question.doc_ids:
            at = originals.get(doc_id, "").find(text)
            if at >= 0:
                found.append((doc_id, Span(at, at + len(text))))
                break
    return found


def article_rank(passages: Sequence[Passage], doc_ids: Sequence[str]) -> int | None:
    """1-based rank of the first passage from a gold article, or None."""
    return next((i for i, p in enumerate(passages, 1) if p.doc_id in doc_ids), None)


def passage_rank(passages: Sequence[Passage], gold: Sequence[GoldSpan]) -> int | None:
    """1-based rank of the first passage holding at least half of some gold passage, or None."""
    for i, p in enumerate(passages, 1):
        for doc_id, span in gold:
            overlap = min(p.end, span.end) - max(p.start, span.start)
            if p.doc_id == doc_id and overlap * 2 >= span.end - span.start:
                return i
    return None


def recall_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of questions whose gold item ranks within the top k."""
    return sum(r is not None and r <= k for r in ranks) / max(len(ranks), 1)


def mrr(ranks: Sequence[int | None]) -> float:
    """Mean reciprocal rank (0 for a miss)."""
    return sum(1 / r for r in ranks if r) / max(len(ranks), 1)

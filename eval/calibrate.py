"""Calibrate the extractive answerer's refusal thresholds on the question set.

Retrieval and embeddings are computed once per question; then every (min_similarity,
min_coverage) pair on a grid is scored by accuracy (answerable: answered with the key
facts and a right source; unanswerable: refused). Two-fold: thresholds chosen on the odd
questions are reported on the even ones and vice versa, so the figure is not fitted to
itself.

    python -m eval.calibrate
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from eval.dataset import Question, load
from eval.cache import CachedEmbedder
from eval.metrics.correctness import correct
from rag.extractive import ExtractiveAnswerer
from rag.pipeline import assistant
from rag.settings import Settings

SIMILARITY_GRID = [round(x, 2) for x in np.arange(0.20, 0.61, 0.05)]
COVERAGE_GRID = [round(x, 2) for x in np.arange(0.20, 0.81, 0.05)]


def accuracy(settings: Settings, embedder: CachedEmbedder, lexical: object, cases: list) -> float:
    answerer = ExtractiveAnswerer(settings, embedder, lexical)  # type: ignore[arg-type]
    return float(np.mean([correct(q, answerer.answer(q.question, ps)) for q, ps in cases]))


def best(settings: Settings, embedder: CachedEmbedder, lexical: object, cases: list) -> tuple:
    grid = itertools.product(SIMILARITY_GRID, COVERAGE_GRID)
    scored = [(accuracy(settings.replace(min_similarity=s, min_coverage=c), embedder, lexical, cases), s, c)
              for s, c in grid]
    top = max(a for a, _, _ in scored)
    # Among the best pairs, take the one in the middle of the plateau (least sensitive to the exact values).
    ties = [(s, c) for a, s, c in scored if a == top]
    return top, ties[len(ties) // 2]


def main() -> None:
    settings = Settings.from_env()
    helper = assistant(settings)
    embedder = CachedEmbedder(helper.embedder)
    lexical = helper.index.lexical
    questions: list[Question] = load()
    cases = [(q, helper.retriever.retrieve(q.question, settings.top_k)) for q in questions]
    odd, even = cases[0::2], cases[1::2]
    for name, fit, held_out in (("odd", odd, even), ("even", even, odd)):
        acc, (s, c) = best(settings, embedder, lexical, fit)
        held = accuracy(settings.replace(min_similarity=s, min_coverage=c), embedder, lexical, held_out)
        print(f"fit on {name}: min_similarity={s} min_coverage={c} accuracy {acc:.3f}; held-out accuracy {held:.3f}")
    acc, (s, c) = best(settings, embedder, lexical, cases)
    current = accuracy(settings, embedder, lexical, cases)
    print(f"all {len(cases)}: best min_similarity={s} min_coverage={c} accuracy {acc:.3f} "
          f"(current settings {settings.min_similarity}/{settings.min_coverage}: {current:.3f})")


if __name__ == "__main__":
    main()

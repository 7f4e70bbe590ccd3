"""Refusals: unanswerable questions are the positives; a refusal is a positive prediction."""
from __future__ import annotations

from collections.abc import Sequence


def refusal_scores(answerable: Sequence[bool], refused: Sequence[bool]) -> dict[str, float | None]:
    """Precision (refusals that were right; None for a system that never refuses), recall (unanswerable
    questions refused), and accuracy (answered when answerable, refused when not)."""
    pairs = list(zip(answerable, refused))
    right = sum(not a and r for a, r in pairs)
    refusals = sum(r for _, r in pairs)
    unanswerable = sum(not a for a, _ in pairs)
    return {
        "refusal_precision": right / refusals if refusals else None,
        "refusal_recall": right / unanswerable if unanswerable else None,
        "refusal_accuracy": sum((not a) == r for a, r in pairs) / max(len(pairs), 1),
    }

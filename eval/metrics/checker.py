"""The offline checker, calibrated: precision and recall on hand-labelled (sentence, passage, supported?) pairs.

`eval/checker_pairs.jsonl` holds the pairs: verbatim and paraphrased sentences (supported),
and wrong numbers, wrong speakers, negations, unrelated and half-invented ones (not). Each
sentence is judged as a cited sentence is in `rag.cite`: against its one passage.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from eval.metrics.faithfulness import checker_judge
from rag.chunk import sentence_tokenizer
from rag.cite import SUPPORT_SCORE, CitationChecker
from rag.types import Passage, Span

PAIRS_PATH = Path(__file__).resolve().parents[1] / "checker_pairs.jsonl"
THRESHOLDS = [round(0.40 + 0.05 * i, 2) for i in range(9)]  # 0.40 … 0.80


@dataclass(frozen=True)
class Pair:
    id: str
    sentence: str
    passage: Passage
    supported: bool
    kind: str


def load_pairs(originals: dict[str, str], path: Path = PAIRS_PATH) -> list[Pair]:
    """The labelled pairs, each passage located in its article (a pair whose passage is not there is an error)."""
    tokenizer = sentence_tokenizer()
    pairs = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        at = originals.get(row["doc_id"], "").find(row["passage"])
        if at < 0:
            raise ValueError(f"{path}: pair {row['id']}: its passage is not in article {row['doc_id']}")
        spans = tuple(Span(at + a, at + b) for a, b in tokenizer.span_tokenize(row["passage"]))
        passage = Passage(f"pair-{row['id']}", row["doc_id"], "", None, row["passage"], at,
                          at + len(row["passage"]), spans, 0.0)
        pairs.append(Pair(row["id"], row["sentence"], passage, bool(row["supported"]), row["kind"]))
    return pairs


def calibrate(pairs: list[Pair], checker: CitationChecker) -> dict[str, object]:
    """Precision/recall of "supported" at the checker's threshold and on a grid, and accuracy per kind."""
    grid = {}
    for threshold in THRESHOLDS:
        verdicts = checker_judge(checker, threshold)([(p.sentence, [p.passage]) for p in pairs])
        grid[threshold] = _scores(pairs, verdicts)
    current = checker_judge(checker)([(p.sentence, [p.passage]) for p in pairs])
    folds = []  # pick the best-F1 threshold on half the pairs, report it on the other half
    for fit, held in ((pairs[0::2], pairs[1::2]), (pairs[1::2], pairs[0::2])):
        best = max(THRESHOLDS, key=lambda t: (_scores(fit, checker_judge(checker, t)(
            [(p.sentence, [p.passage]) for p in fit]))["f1"], -abs(t - SUPPORT_SCORE)))
        held_out = _scores(held, checker_judge(checker, best)([(p.sentence, [p.passage]) for p in held]))
        folds.append({"threshold": best, **held_out})
    kinds = Counter(p.kind for p in pairs)
    right = Counter(p.kind for p, v in zip(pairs, current) if v == p.supported)
    return {
        "pairs": len(pairs), "supported_pairs": sum(p.supported for p in pairs), "threshold": SUPPORT_SCORE,
        **_scores(pairs, current),
        "by_kind": {k: {"pairs": n, "judged_right": right[k]} for k, n in sorted(kinds.items())},
        "grid": grid,
        "two_fold": folds,
        "wrong": [{"id": p.id, "kind": p.kind, "sentence": p.sentence, "labelled": p.supported}
                  for p, v in zip(pairs, current) if v != p.supported],
    }


def _scores(pairs: list[Pair], verdicts: list[bool]) -> dict[str, float]:
    tp = sum(v and p.supported for p, v in zip(pairs, verdicts))
    fp = sum(v and not p.supported for p, v in zip(pairs, verdicts))
    fn = sum(not v and p.supported for p, v in zip(pairs, verdicts))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "precision": round(precision, 3), "recall": round(recall, 3),
        "f1": round(2 * precision * recall / (precision + recall), 3) if precision + recall else 0.0,
        "accuracy": round(sum(v == p.supported for p, v in zip(pairs, verdicts)) / max(len(pairs), 1), 3),
    }

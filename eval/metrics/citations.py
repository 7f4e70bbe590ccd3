"""Citations: are they valid (the quote is at its offsets), and do they support their sentences (ALCE)?

ALCE (Gao et al. 2023), with the project's offline checker in place of ALCE's NLI model:
- citation recall: a sentence is covered when its cited passages, together, support it;
- citation precision: a citation is precise when its sentence is covered and the citation is
  needed: it supports the sentence alone, or the other citations without it do not.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.text import says_cannot_answer
from rag.types import Answer, Citation, Passage

# Decides, for each (sentence, passages) query, whether the passages support the sentence.
SupportJudge = Callable[[Sequence[tuple[str, Sequence[Passage]]]], list[bool]]


def validity(answer: Answer, originals: dict[str, str]) -> tuple[int, int]:
    """(valid, total): citations whose article exists and has the quote at the offsets, plus invalid markers."""
    valid = sum(originals.get(c.doc_id, "")[c.start:c.end] == c.quote and c.doc_id in originals
                for c in answer.citations)
    return valid, len(answer.citations) + answer.invalid_citations


def cited_passage(answer: Answer, c: Citation) -> Passage:
    """The retrieved passage a citation's span lies in (the citation's own quote if none holds it)."""
    for p in answer.passages:
        if p.doc_id == c.doc_id and p.start <= c.start and c.end <= p.end:
            return p
    return Passage(f"{c.doc_id}:{c.start}", c.doc_id, c.title, c.outlet, c.quote, c.start, c.end, (), 0.0)


@dataclass(frozen=True)
class AlceCounts:
    """Counts to pool across answers: covered/claims is recall, precise/citations is precision."""

    claims: int = 0
    covered: int = 0
    citations: int = 0
    precise: int = 0

    def __add__(self, other: AlceCounts) -> AlceCounts:
        return AlceCounts(self.claims + other.claims, self.covered + other.covered,
                          self.citations + other.citations, self.precise + other.precise)


def alce(answer: Answer, judge: SupportJudge) -> AlceCounts:
    """ALCE citation recall and precision counts for one answer (a refusal has no claims)."""
    if not answer.answered:
        return AlceCounts()
    by_n = {c.n: cited_passage(answer, c) for c in answer.citations}
    claims = [(s.text, [by_n[n] for n in s.citations if n in by_n]) for s in answer.sentences
              if not says_cannot_answer(s.text)]
    queries: list[tuple[str, Sequence[Passage]]] = []
    for text, cited in claims:
        if cited:  # a sentence citing nothing is not covered; no query
            queries.append((text, cited))
        if len(cited) > 1:
            for i, p in enumerate(cited):
                queries += [(text, [p]), (text, cited[:i] + cited[i + 1:])]
    verdicts = iter(judge(queries))
    counts = AlceCounts()
    for text, cited in claims:
        covered = bool(cited) and next(verdicts)
        precise = len(cited) if covered else 0
        if len(cited) > 1:
            alone_and_rest = [(next(verdicts), next(verdicts)) for _ in cited]
            precise = sum(alone or not rest for alone, rest in alone_and_rest) if covered else 0
        counts += AlceCounts(1, int(covered), len(cited), precise)
    return counts

"""The offline answerer: the source sentences that answer the question, verbatim and cited, or a refusal.

It needs no LLM. Every sentence of the retrieved passages is scored by the trained reader
(`rag.read`): the probability that the sentence, on its own, answers the question. The answer is
the best sentence, then up to two more that score nearly as well (often from other articles),
each followed by its `[n]`. It refuses when no sentence reaches `settings.min_answer_score`, a
threshold on that probability chosen by cross-validation on the tuning questions (README,
"Evaluation"); because each score depends only on the question and the sentence, the threshold
means the same over five articles or five thousand.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from rag.guard import is_injection, without_markers
from rag.prompts import REFUSAL_EMPTY_INDEX, REFUSAL_WEAK_EVIDENCE
from rag.read import Reader, Sentence
from rag.retrieve import DUPLICATE_JACCARD, jaccard, shingles
from rag.settings import Settings
from rag.types import Answer, AnswerSentence, Citation, Passage, Span

MODE = "extractive"
ALSO_CITE_RATIO = 0.8  # further sentences must score this share of the best one
MIN_SENTENCE_WORDS = 4
# A quote that ends "…, he said" names its speaker in the sentence before, which is then cited first.
PRONOUN_ATTRIBUTION = re.compile(r"[,”\"]\s*(he|she|they)\s+(said|says|added|wrote|warned|told)\b")


@dataclass(frozen=True)
class _Candidate:
    passage: Passage
    span: Span
    text: str
    previous: Span | None  # the sentence before it in the same passage


class ExtractiveAnswerer:
    """Compose an answer from verbatim source sentences chosen by the reader, or refuse."""

    mode = MODE

    def __init__(self, settings: Settings, reader: Reader) -> None:
        self._settings = settings
        self._reader = reader

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        """Answer `question` from `passages` (best first)."""
        return self.answer_and_score(question, passages)[0]

    def answer_and_score(self, question: str, passages: Sequence[Passage]) -> tuple[Answer, float]:
        """The Answer, and the reader's score for the best sentence (0 with none), which decided a refusal."""
        candidates = _candidates(passages)
        if not candidates:
            return _refusal(question, passages, REFUSAL_EMPTY_INDEX if not passages else REFUSAL_WEAK_EVIDENCE), 0.0
        scores = self._reader.score(question, [_sentence(c) for c in candidates])
        order = np.argsort(-scores, kind="stable")
        best = float(scores[order[0]])
        if best < self._settings.min_answer_score:
            return _refusal(question, passages, REFUSAL_WEAK_EVIDENCE), best
        picked: list[_Candidate] = []
        for i in order:  # the best sentence, then those within ALSO_CITE_RATIO of it (so the threshold only refuses)
            if picked and (len(picked) >= self._settings.max_answer_sentences or scores[i] < ALSO_CITE_RATIO * best):
                break
            own = shingles(candidates[i].text)
            if all(jaccard(own, shingles(c.text)) < DUPLICATE_JACCARD for c in picked):
                picked.append(candidates[i])
        first = picked[0]
        if PRONOUN_ATTRIBUTION.search(first.text) and first.previous is not None and all(
            (c.passage.doc_id, c.span) != (first.passage.doc_id, first.previous) for c in picked
        ):  # the speaker of "…, he said" is named in the sentence before, which is cited with it
            picked.insert(0, _Candidate(first.passage, first.previous, first.passage.quote(first.previous), None))
        return _compose(question, passages, picked), best

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        """The whole answer's text at once (nothing is generated), then the Answer."""
        answer = self.answer(question, passages)
        yield answer.text
        yield answer


def _candidates(passages: Sequence[Passage]) -> list[_Candidate]:
    """Every distinct sentence of the passages long enough to answer, never one addressed to an AI."""
    seen: set[tuple[str, int]] = set()
    out: list[_Candidate] = []
    for p in passages:
        previous: Span | None = None
        for span in p.sentences:
            text = p.quote(span)
            key = (p.doc_id, span.start)
            if is_injection(text):  # addressed to an AI assistant: never an answer, nor its context (rag/guard.py)
                previous = None
                continue
            if key not in seen and len(text.split()) >= MIN_SENTENCE_WORDS:
                seen.add(key)
                out.append(_Candidate(p, span, text, previous))
            previous = span
    return out


def _sentence(c: _Candidate) -> Sentence:
    """What the reader reads: the sentence, with its article's title and the sentence before it as context."""
    previous = c.passage.quote(c.previous) if c.previous else ""
    return Sentence(c.text, f"{c.passage.title}\n{previous}")


def _compose(question: str, passages: Sequence[Passage], picked: Sequence[_Candidate]) -> Answer:
    citations = tuple(
        Citation(n, c.passage.doc_id, c.passage.title, c.passage.outlet, c.text, c.span.start, c.span.end,
                 also_in=c.passage.also_in, date=c.passage.date, author=c.passage.author, url=c.passage.url)
        for n, c in enumerate(picked, 1)
    )
    # the quote stays verbatim in the citation; in the answer's text a "[2]" of the article's own reads "(2)"
    sentences = tuple(AnswerSentence(without_markers(c.text), (n,), True) for n, c in enumerate(picked, 1))
    text = " ".join(f"{s.text} [{s.citations[0]}]" for s in sentences)
    return Answer(question, text, True, MODE, citations, sentences, tuple(passages))


def _refusal(question: str, passages: Sequence[Passage], text: str) -> Answer:
    return Answer(question, text, False, MODE, (), (), tuple(passages), reason=text)

"""The offline answerer: the source sentences that answer the question, verbatim and cited, or a refusal.

It needs no LLM. Every sentence of the retrieved passages is scored by the trained reader
(`rag.read`): the probability that the sentence, on its own, answers the question. The answer is
the best sentence, then up to two more that score nearly as well (often from other articles),
each followed by its `[n]`. It refuses when no sentence reaches `settings.min_answer_score`, a
threshold on that probability chosen by cross-validation on the tuning questions (README,
"Evaluation"); because each score depends on the question, the sentence and at most the full names the other
retrieved sentences write (`rag.read`), never on how many articles are indexed, the threshold means the same over
five articles or five thousand.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from rag.analyse import swapped
from rag.decompose import Part, decompose
from rag.guard import is_injection, without_markers
from rag.polar import is_polar, reply, settles
from rag.prompts import REFUSAL_EMPTY_INDEX, REFUSAL_WEAK_EVIDENCE
from rag.read import Reader, Sentence, in_context, previous_spans
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
        """The Answer, and the score that decided a refusal: the reader's for the best sentence (0 with none),
        or, when the question's parts were each answered, the weakest part's if that is higher."""
        candidates = _candidates(passages)
        if not candidates:
            return _refusal(question, passages, REFUSAL_EMPTY_INDEX if not passages else REFUSAL_WEAK_EVIDENCE), 0.0
        scores = self._reader.score(question, [_sentence(c) for c in candidates])
        best = float(scores.max())
        parts = decompose(question, (p.outlet for p in passages))
        by_parts = self._answer_parts(parts, candidates) if parts else None
        if by_parts is not None:
            picked, weakest = by_parts
            return _compose(question, passages, _with_speaker(picked)), max(best, weakest)
        if best < self._settings.min_answer_score:
            if best <= 0.0:  # the answer-type check left no sentence: the nearest is the model's best still
                scores = self._reader.model_score(question, [_sentence(c) for c in candidates])
            nearest = _citation(0, candidates[int(np.argmax(scores))])  # n 0: not cited by the text
            return _refusal(question, passages, REFUSAL_WEAK_EVIDENCE, nearest), best
        picked: list[_Candidate] = []
        for i in np.argsort(-scores, kind="stable"):  # the best, then those within ALSO_CITE_RATIO of it
            if picked and (len(picked) >= self._settings.max_answer_sentences or scores[i] < ALSO_CITE_RATIO * best):
                break
            if picked and self._reverses(question, candidates[i]):
                continue
            if _distinct(candidates[i], picked):
                picked.append(candidates[i])
        verdict = None
        if is_polar(question):  # the first sentence that settles a yes-no question leads, with its yes or no
            for n, c in enumerate(picked):
                verdict = reply(question, c.text, c.passage.title)  # the sentence itself must say it
                if verdict is not None:
                    picked.insert(0, picked.pop(n))
                    break
        if verdict is None:  # a "Yes:" or "No:" stays on the sentence that settles the question
            picked = self._with_someone(question, picked)
        return _compose(question, passages, _with_speaker(picked), verdict), best

    def always(self) -> ExtractiveAnswerer:
        """The same answerer with no bar for an answer (min_answer_score 0), as `eval.calibrate` scores it."""
        return ExtractiveAnswerer(self._settings.replace(min_answer_score=0.0), self._reader)

    def _reverses(self, question: str, candidate: _Candidate) -> bool:
        """Does the sentence do to someone what the question has them do, with the same verb ("He warned
        Hochstein…" for "What did Hochstein warn Hezbollah?", `rag.analyse.swapped`)? It tells of another act:
        not a further answer, however close its score."""
        asked, said = self._reader.analyser.facts([question, candidate.text])
        return bool(swapped(asked, said))

    def _with_someone(self, question: str, picked: list[_Candidate]) -> list[_Candidate]:
        """For a question that asks who (or which person), a first sentence that names no one the question does not
        ("“It is time for these deals to close…”" for "Who said it is time for the deals to close?") is cited with
        the sentence beside it in its passage, the one before first, that names someone: the speaker of a quote, or
        the person the sentence calls "he", is named there more often than not. Nothing is added when that sentence
        is already cited, or a near-copy of one that is."""
        first = picked[0]  # every candidate is one of its passage's sentences (`_candidates`)
        if not self._reader.asks_for_someone(question):
            return picked
        if self._reader.names_someone(question, [first.text])[0]:
            return picked
        p, k = first.passage, first.passage.sentences.index(first.span)
        before = previous_spans(p)
        beside = [(j, p.sentences[j]) for j in (k - 1, k + 1) if 0 <= j < len(p.sentences)]
        beside = [(j, span) for j, span in beside if not is_injection(p.quote(span))]
        named = self._reader.names_someone(question, [p.quote(span) for _, span in beside])
        for (j, span), someone in zip(beside, named):
            if someone:
                neighbour = _Candidate(p, span, p.quote(span), before[j])
                cited = any((c.passage.doc_id, c.span) == (p.doc_id, span) for c in picked)
                if cited or not _distinct(neighbour, picked):
                    return picked
                return [neighbour, *picked] if j < k else [first, neighbour, *picked[1:]]
        return picked

    def _answer_parts(
        self, parts: Sequence[Part], candidates: Sequence[_Candidate]
    ) -> tuple[list[_Candidate], float] | None:
        """The best sentence for each part of the question, and the weakest part's score; None if a part
        has no sentence that answers it (then the question is answered whole)."""
        picked: list[_Candidate] = []
        weakest = 1.0
        for part in parts:
            pool = [c for c in candidates if part.outlet is None or c.passage.outlet == part.outlet]
            if not pool:
                return None
            scores = self._reader.score(part.question, [_sentence(c) for c in pool])
            top = int(np.argmax(scores))
            # a part is often vaguer than a whole question ("…about Nasrallah"): its sentence may also qualify
            # by naming every telling word of it
            if scores[top] <= 0.0 or (scores[top] < self._settings.min_answer_score and not settles(
                part.question, pool[top].text, _sentence(pool[top]).context
            )):  # 0: the answer-type check found no number or name
                return None
            weakest = min(weakest, float(scores[top]))
            if _distinct(pool[top], picked):
                picked.append(pool[top])
        return picked, weakest

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        """The whole answer's text at once (nothing is generated), then the Answer."""
        answer = self.answer(question, passages)
        yield answer.text
        yield answer


def _candidates(passages: Sequence[Passage]) -> list[_Candidate]:
    """Every distinct sentence of the passages long enough to answer, never one addressed to an AI.

    A sentence two overlapping passages of one article share is read where the sentence before it is there too
    (the first passage in which it is, if in none or in both): its context then does not depend on which of the
    passages was retrieved first ("…, he said" beside the sentence that names him)."""
    at: dict[tuple[str, int], int] = {}
    out: list[_Candidate] = []
    for p in passages:
        for span, previous in zip(p.sentences, previous_spans(p)):
            text = p.quote(span)
            key = (p.doc_id, span.start)
            if is_injection(text):  # addressed to an AI assistant: never an answer, nor context (rag/guard.py)
                continue
            if key in at:
                if out[at[key]].previous is None and previous is not None:
                    out[at[key]] = _Candidate(p, span, text, previous)
            elif len(text.split()) >= MIN_SENTENCE_WORDS:
                at[key] = len(out)
                out.append(_Candidate(p, span, text, previous))
    return out


def candidate_sentences(passages: Sequence[Passage]) -> tuple[list[tuple[str, str]], list[Sentence]]:
    """Every sentence the answerer may quote from `passages`: its article's doc_id and its text, and the sentence as
    the reader scores it (with its context), in the same order (for `eval.failures`, which asks where the reader ranks
    a right one)."""
    candidates = _candidates(passages)
    return [(c.passage.doc_id, c.text) for c in candidates], [_sentence(c) for c in candidates]


def _distinct(candidate: _Candidate, picked: Sequence[_Candidate]) -> bool:
    """Is `candidate` no near-copy of a sentence already picked?"""
    own = shingles(candidate.text)
    return all(jaccard(own, shingles(c.text)) < DUPLICATE_JACCARD for c in picked)


def _with_speaker(picked: list[_Candidate]) -> list[_Candidate]:
    """The speaker of a first sentence "…, he said" is named in the sentence before, which is cited with it."""
    first = picked[0]
    if PRONOUN_ATTRIBUTION.search(first.text) and first.previous is not None and all(
        (c.passage.doc_id, c.span) != (first.passage.doc_id, first.previous) for c in picked
    ):
        return [_Candidate(first.passage, first.previous, first.passage.quote(first.previous), None), *picked]
    return picked


def _sentence(c: _Candidate) -> Sentence:
    """What the reader reads: the sentence, with its article's title and the sentence before it as context."""
    return in_context(c.passage, c.span, c.previous)


def _compose(
    question: str, passages: Sequence[Passage], picked: Sequence[_Candidate], verdict: str | None = None
) -> Answer:
    citations = tuple(_citation(n, c) for n, c in enumerate(picked, 1))
    # the quote stays verbatim in the citation; in the answer's text a "[2]" of the article's own reads "(2)"
    sentences = [AnswerSentence(without_markers(c.text), (n,), True) for n, c in enumerate(picked, 1)]
    if verdict is not None:  # "Yes: <the sentence that settles it>"
        sentences[0] = AnswerSentence(f"{verdict.capitalize()}: {sentences[0].text}", (1,), True)
    text = " ".join(f"{s.text} [{s.citations[0]}]" for s in sentences)
    return Answer(question, text, True, MODE, citations, tuple(sentences), tuple(passages))


def _citation(n: int, c: _Candidate) -> Citation:
    return Citation(n, c.passage.doc_id, c.passage.title, c.passage.outlet, c.text, c.span.start, c.span.end,
                    also_in=c.passage.also_in, date=c.passage.date, author=c.passage.author, url=c.passage.url)


def _refusal(question: str, passages: Sequence[Passage], text: str, nearest: Citation | None = None) -> Answer:
    return Answer(question, text, False, MODE, (), (), tuple(passages), reason=text, nearest=nearest)

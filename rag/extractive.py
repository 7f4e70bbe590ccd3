"""The offline answerer: answers with the source sentences that best answer the question, each cited.

It needs no LLM. Every candidate sentence of the retrieved passages is scored by
embedding similarity to the question plus IDF-weighted coverage of the question's terms.
It refuses unless the best sentence, read with the sentence before it and its article's
title, names every entity of the question (names, numbers) and covers enough of its
terms: that is what keeps "What did Hochstein warn Hamas?" from being answered with
what he told Hezbollah.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from rag.embed import Embedder
from rag.guard import is_injection, without_markers
from rag.lexical import LexicalIndex, has_terms, terms
from rag.prompts import REFUSAL_EMPTY_INDEX, REFUSAL_MISSING_TERMS, REFUSAL_WEAK_EVIDENCE
from rag.settings import Settings
from rag.types import Answer, AnswerSentence, Citation, Passage, Span

MODE = "extractive"
COVERAGE_WEIGHT = 0.5
TYPE_BONUS = 0.08
ALSO_CITE_RATIO = 0.85  # further sentences must score this share of the best one
DUPLICATE_SIMILARITY = 0.9
MIN_SENTENCE_WORDS = 4
QUESTION_WORDS = (
    "what who whom whose which when where why how did does do is are was were has have had according "
    "say says said tell told report reported article articles happen happened mention mentioned"
)
ENTITY = re.compile(r"\b(?:[A-Z][\w’'-]*[a-z0-9][\w’'-]*|[A-Z]{2,}|\d[\d,.]*)\b")
QUANTITY_QUESTION = re.compile(r"\bhow (many|much|long|old|far)\b|\bwhat (number|percentage|share)\b", re.I)
TIME_QUESTION = re.compile(r"^\s*when\b|\bwhat (day|date|month|year|time)\b", re.I)
NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundreds?|thousands?|millions?)\b", re.I)
ACTION_QUESTION = re.compile(
    r"^\s*(?i:what|how|why|when|where|whom)\s+(?i:did|does|do|has|have|had|will|would|could|can)\s+"
    r"(?P<subject>(?:[A-Z][\w’'-]*\s+){1,3})(?P<verb>[a-z]+)\b"
)
VERB_WEIGHT = 2.0  # the question's verb ("warn" in "What did X warn Y?") counts double
# Verbs too general to demand in the cited sentence; any other verb of "What did X <verb> Y?"
# ("warn", "threaten", "reject") must appear there, as a verb or a noun ("warning").
LIGHT_VERBS = (
    "say tell do make get go have give take sit come meet see think want know talk speak discuss describe "
    "view call use put show feel become mean"
)
WHO_QUESTION = re.compile(r"^\s*who\b", re.I)
PRONOUN_ATTRIBUTION = re.compile(r"[,”\"]\s*(he|she|they)\s+(said|says|added|wrote|warned|told)\b")
TIME = re.compile(
    r"\d{4}|\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|"
    r"august|september|october|november|december|week|month|year|yesterday|today)\b",
    re.I,
)


@functools.cache
def _stemmed(words: str) -> frozenset[str]:
    """The terms of a fixed word list, stemmed once."""
    return frozenset(terms(words))


@dataclass(frozen=True)
class _Candidate:
    passage: Passage
    span: Span
    text: str
    context_terms: frozenset[str]  # the sentence, the one before it and the article title
    own_terms: frozenset[str]
    previous: Span | None  # the sentence before it in the same passage


@dataclass(frozen=True)
class _Question:
    """What the answerer needs to know about a question, parsed once."""

    terms: tuple[str, ...]  # stemmed content terms, question words left out
    entities: tuple[str, ...]  # names and figures, as written
    entity_parts: tuple[tuple[str, ...], ...]  # the terms of each entity, in the same order
    entity_terms: frozenset[str]
    subject: str  # "Hochstein" in "What did Hochstein warn Hezbollah?" (else the first entity)
    verb: str  # "warn" there, as written; "" when the question has no such shape
    verb_term: str  # the verb stemmed ("" for stop-word verbs such as "do")

    @classmethod
    def parse(cls, question: str) -> _Question:
        entities = _entities(question)
        parts = tuple(tuple(terms(e)) for e in entities)
        action = ACTION_QUESTION.match(question)
        verb = action.group("verb") if action else ""
        return cls(
            terms=tuple(t for t in dict.fromkeys(terms(question)) if t not in _stemmed(QUESTION_WORDS)),
            entities=tuple(entities),
            entity_parts=parts,
            entity_terms=frozenset(t for part in parts for t in part),
            subject=action.group("subject").strip() if action else (entities[0] if entities else ""),
            verb=verb,
            verb_term=(terms(verb) or [""])[0] if verb else "",
        )


class ExtractiveAnswerer:
    """Compose an answer from verbatim source sentences, or refuse."""

    mode = MODE

    def __init__(self, settings: Settings, embedder: Embedder, lexical: LexicalIndex) -> None:
        self._settings = settings
        self._embedder = embedder
        self._lexical = lexical

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        """Answer `question` from `passages` (best first)."""
        candidates = _candidates(passages)
        if not candidates:
            return _refusal(question, passages, REFUSAL_EMPTY_INDEX if not passages else REFUSAL_WEAK_EVIDENCE)
        q = _Question.parse(question)
        vectors = self._embedder.embed([question] + [c.text for c in candidates])
        similarity = vectors[1:] @ vectors[0]
        coverage = np.array([self._coverage(q, c.own_terms) for c in candidates])
        scores = similarity + COVERAGE_WEIGHT * coverage + _type_bonus(question, candidates)

        chosen: list[int] = []
        for i in np.argsort(-scores, kind="stable"):
            if chosen and (
                len(chosen) >= self._settings.max_answer_sentences or scores[i] < ALSO_CITE_RATIO * scores[chosen[0]]
            ):
                break
            novel = all(float(vectors[1 + i] @ vectors[1 + j]) < DUPLICATE_SIMILARITY for j in chosen)
            if novel and self._supports(q, candidates[i], float(similarity[i])):
                chosen.append(int(i))
        if not chosen:
            absent = [
                e for e, part in zip(q.entities, q.entity_parts) if not any(has_terms(part, c.context_terms) for c in candidates)
            ]
            reason = REFUSAL_MISSING_TERMS.format(terms=_join(absent)) if absent else REFUSAL_WEAK_EVIDENCE
            return _refusal(question, passages, reason)
        picked = [candidates[i] for i in chosen]
        first = picked[0]
        if WHO_QUESTION.search(question) and PRONOUN_ATTRIBUTION.search(first.text) and first.previous:
            if all(c.span != first.previous for c in picked):
                picked.insert(0, _candidate_for(first.passage, first.previous))
        return _compose(question, passages, picked)

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        """The whole answer's text at once (nothing is generated), then the Answer."""
        answer = self.answer(question, passages)
        yield answer.text
        yield answer

    def _supports(self, q: _Question, c: _Candidate, similarity: float) -> bool:
        """Whether sentence `c` may be cited as answering `q` (the refusal rules in the module doc)."""
        return (
            not _missing(q, c)
            and similarity >= self._settings.min_similarity
            and self._coverage(q, c.own_terms | (c.context_terms & q.entity_terms)) >= self._settings.min_coverage
            and not (q.verb and _reversed_roles(c.text, q.subject, q.verb))
            and not (q.verb_term and q.verb_term not in _stemmed(LIGHT_VERBS) and not has_terms([q.verb_term], c.own_terms))
        )

    def _coverage(self, q: _Question, present: frozenset[str]) -> float:
        """IDF-weighted share of the question's terms found in `present` (its verb weighs double)."""
        if not q.terms:
            return 0.0
        weights = [self._lexical.idf(t) * (VERB_WEIGHT if t == q.verb_term else 1.0) for t in q.terms]
        return sum(w for t, w in zip(q.terms, weights) if t in present) / sum(weights)


def _candidates(passages: Sequence[Passage]) -> list[_Candidate]:
    """Every distinct sentence of the passages, with the terms of its local context."""
    seen: set[tuple[str, int]] = set()
    out: list[_Candidate] = []
    for p in passages:
        title_terms = set(terms(p.title))
        previous: Span | None = None
        for span in p.sentences:
            text = p.quote(span)
            key = (p.doc_id, span.start)
            own = terms(text)
            # a sentence addressed to an AI assistant is never an answer (rag/guard.py)
            if key not in seen and len(text.split()) >= MIN_SENTENCE_WORDS and not is_injection(text):
                seen.add(key)
                context = set(own) | set(terms(p.quote(previous)) if previous else ()) | title_terms
                out.append(_Candidate(p, span, text, frozenset(context), frozenset(own), previous))
            previous = span
    return out


def _candidate_for(passage: Passage, span: Span) -> _Candidate:
    """A candidate for a sentence chosen for its position, not its score (who said what)."""
    text = passage.quote(span)
    return _Candidate(passage, span, text, frozenset(), frozenset(terms(text)), None)


def _entities(question: str) -> list[str]:
    """Names and figures in the question: capitalised words after the first word, and numbers."""
    parts = question.strip().split(maxsplit=1)
    rest = parts[1] if len(parts) > 1 else ""
    return [e for e in dict.fromkeys(ENTITY.findall(rest)) if terms(e)]


def _missing(q: _Question, c: _Candidate) -> list[str]:
    """Question entities the sentence does not name; only the subject may come from its context.

    "He said…" can answer a question about Gallant when the sentence before names him, but
    the other names and figures must be in the cited sentence itself.
    """
    return [
        e
        for e, part in zip(q.entities, q.entity_parts)
        if not has_terms(part, c.context_terms if e == q.subject else c.own_terms)
    ]


def _reversed_roles(sentence: str, subject: str, verb: str) -> bool:
    """True when the sentence has the question's subject as the object of its verb.

    "What did Hochstein warn Hezbollah?" must not be answered by "He warned Hochstein that…".
    """
    name = re.escape(subject.split()[-1])
    stem = re.escape(verb[:-1] if verb.endswith("e") else verb)
    return re.search(rf"\b{stem}\w*\s+(?:\w+\s+){{0,2}}{name}\b", sentence) is not None


def _type_bonus(question: str, candidates: Sequence[_Candidate]) -> np.ndarray:
    """Favour sentences with a figure for "how many", with a date for "when"."""
    pattern = NUMBER if QUANTITY_QUESTION.search(question) else TIME if TIME_QUESTION.search(question) else None
    if pattern is None:
        return np.zeros(len(candidates))
    return np.array([TYPE_BONUS if pattern.search(c.text) else -TYPE_BONUS for c in candidates])


def _compose(question: str, passages: Sequence[Passage], picked: Sequence[_Candidate]) -> Answer:
    citations = tuple(
        Citation(n, c.passage.doc_id, c.passage.title, c.passage.outlet, c.text, c.span.start, c.span.end,
                 also_in=c.passage.also_in)
        for n, c in enumerate(picked, 1)
    )
    # the quote stays verbatim in the citation; in the answer's text a "[2]" of the article's own reads "(2)"
    sentences = tuple(AnswerSentence(without_markers(c.text), (n,), True) for n, c in enumerate(picked, 1))
    text = " ".join(f"{s.text} [{s.citations[0]}]" for s in sentences)
    return Answer(question, text, True, MODE, citations, sentences, tuple(passages))


def _refusal(question: str, passages: Sequence[Passage], text: str) -> Answer:
    return Answer(question, text, False, MODE, (), (), tuple(passages), reason=text)


def _join(items: Sequence[str]) -> str:
    quoted = [f"“{i}”" for i in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]

"""Cite: check an LLM-written answer sentence by sentence against the passages it cites.

The LLM ends its sentences with markers such as `[1]`, `[1][3]` or `[1, 2]` that number
the passages of its prompt. For each sentence this module

1. parses the markers; numbers that point at no passage are dropped and counted;
2. finds the span of the cited passages (one sentence, or two adjacent ones) that best
   says what the sentence says: the mean of embedding similarity and the share of the
   sentence's terms the span contains;
3. requires every name and figure of the sentence to appear in the cited passages, no
   word negated on one side and asserted on the other ("will not condemn" / "will condemn"),
   and (with the reader's parser) no one made the doer of what the span says was done to
   them ("Hochstein warned Hezbollah" from "He warned Hochstein");
4. records that span's exact offsets in the original article.

A sentence without markers gets a citation when one passage clearly supports it;
otherwise it is marked unsupported. `strict` drops unsupported sentences and refuses
when none is left. What the checker cannot see: paraphrased figures ("a dozen" for
"12"), most wrong relations between names that are all present (a passive, another verb,
a speaker moved to another quote), and claims that need a fact
from outside the span. The thresholds below are hand-set and are calibrated on labelled
pairs by the evaluation suite.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag.analyse import Analyser, swapped
from rag.chunk import sentence_tokenizer
from rag.embed import Embedder
from rag.errors import LLMError
from rag.guard import MARKER, MARKER_PATTERN, injected_sentences, is_injection
from rag.text import figures, has_terms, names, negated_terms, says_cannot_answer, terms, with_digits
from rag.prompts import REFUSAL_UNSUPPORTED
from rag.types import Answer, AnswerSentence, Citation, Passage, Span

# Calibrated on the 77 hand-labelled pairs of eval/checker_pairs.jsonl (`rag eval`, "The offline checker,
# calibrated"): at 0.55, precision 0.56 and recall 0.84 for "supported"; at 0.70 precision 0.61, same recall.
SUPPORT_SCORE = 0.70  # a cited span must score this much to support its sentence
CLEAR_SUPPORT_SCORE = 0.70  # an uncited sentence gets a citation when a span scores this much

MARKER_RUN = re.compile(rf"(?:\s*{MARKER_PATTERN})+", re.I)
BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
NEGATION_REACH = 3  # words after a negation that it covers


@dataclass(frozen=True)
class Markers:
    """A sentence with its citation markers taken out."""

    text: str
    numbers: tuple[int, ...]  # valid passage numbers (1-based), in order of appearance
    invalid: int  # numbers that point at no passage


@dataclass(frozen=True)
class Support:
    """The best evidence for one sentence among some passages."""

    passage: Passage
    span: Span
    score: float
    missing: tuple[str, ...]  # names and figures of the sentence absent from the passages
    negation_clash: bool
    swapped: tuple[str, ...] = ()  # who the sentence makes the doer of what the evidence did to them

    @property
    def quote(self) -> str:
        return self.passage.quote(self.span)

    def supports(self, threshold: float = SUPPORT_SCORE) -> bool:
        return self.score >= threshold and not self.missing and not self.negation_clash and not self.swapped


def parse_markers(sentence: str, n_passages: int) -> Markers:
    """Take the markers out of `sentence`; keep the numbers between 1 and `n_passages`."""
    numbers = [int(d) for m in MARKER.finditer(sentence) for d in re.findall(r"\d+", m.group())]
    valid = tuple(dict.fromkeys(n for n in numbers if 1 <= n <= n_passages))
    text = re.sub(r"\s+([.,;:!?])", r"\1", MARKER_RUN.sub("", sentence))
    return Markers(" ".join(text.split()), valid, sum(not 1 <= n <= n_passages for n in numbers))


def split_sentences(reply: str) -> list[str]:
    """The reply's sentences, each with the markers that follow it ("… Hezbollah. [1] Next …")."""
    out: list[str] = []
    for line in reply.splitlines():
        line = BULLET.sub("", line).strip()
        pieces: list[str] = []
        for start, end in sentence_tokenizer().span_tokenize(line):  # type: ignore[attr-defined]
            piece = line[start:end]
            leading = MARKER_RUN.match(piece)
            if leading and pieces:  # markers opening a sentence close the one before
                pieces[-1] += " " + leading.group().strip()
                piece = piece[leading.end() :].strip()
            if any(ch.isalnum() for ch in MARKER.sub("", piece)):
                pieces.append(piece)
            elif pieces and piece.strip():
                pieces[-1] += " " + piece.strip()
        out.extend(pieces)
    return out


class CitationChecker:
    """Checks sentences against passages with the embedding model and the names and figures they contain."""

    def __init__(self, embedder: Embedder, analyser: Analyser | None = None) -> None:
        """`analyser` (the reader's parser) lets the checker catch a sentence that swaps who did what to whom
        ("Hochstein warned Hezbollah" from "He warned Hochstein"); without it, roles are not compared."""
        self._embedder = embedder
        self._analyser = analyser

    def best_support(self, sentences: Sequence[str], pools: Sequence[Sequence[Passage]]) -> list[Support | None]:
        """For each sentence, the best span among its pool of passages (None for an empty pool, or one holding
        nothing but text addressed to the assistant)."""
        candidates = {p.id: _spans(p) for pool in pools for p in pool}  # each passage's spans found once
        spans = {(p.id, s): (p, s) for pool in pools for p in pool for s in candidates[p.id]}
        keys = list(spans)
        texts = [spans[k][0].quote(spans[k][1]) for k in keys]
        vectors = self._embedder.embed(list(sentences) + texts) if sentences else np.zeros((0, 1))
        claim_vecs, span_vecs = vectors[: len(sentences)], vectors[len(sentences) :]
        row = {k: i for i, k in enumerate(keys)}
        span_terms = [frozenset(terms(t)) for t in texts]
        claim_terms = [list(dict.fromkeys(terms(sentence))) for sentence in sentences]
        best: dict[int, tuple[float, int]] = {}  # sentence → (score, row of its best span)
        for i, pool in enumerate(pools):
            scored = [
                ((float(claim_vecs[i] @ span_vecs[row[k]]) + _coverage(claim_terms[i], span_terms[row[k]])) / 2, row[k])
                for k in ((p.id, s) for p in pool for s in candidates[p.id])
            ]
            if scored:
                best[i] = max(scored, key=lambda pair: pair[0])  # the first of equal scores, in passage order
        facts = {p.id: _Facts.of(p) for pool in pools for p in pool}  # each passage read once per check
        roles = self._swapped({i: (sentences[i], texts[j]) for i, (_, j) in best.items()})
        out: list[Support | None] = []
        for i, sentence in enumerate(sentences):
            if i not in best:
                out.append(None)
                continue
            score, j = best[i]
            out.append(Support(
                *spans[keys[j]], score,
                _missing_facts(sentence, [facts[p.id] for p in pools[i]]),
                _negation_clash(sentence, frozenset(claim_terms[i]), texts[j], span_terms[j]),
                roles.get(i, ()),
            ))
        return out

    def _swapped(self, pairs: dict[int, tuple[str, str]]) -> dict[int, tuple[str, ...]]:
        """For each (claim, evidence) pair, who the claim swaps (`rag.analyse.swapped`); nothing without an
        analyser."""
        if self._analyser is None or not pairs:
            return {}
        facts = self._analyser.facts([text for pair in pairs.values() for text in pair])
        return {i: swapped(facts[2 * k], facts[2 * k + 1]) for k, i in enumerate(pairs)}

    def check(
        self, question: str, reply: str, passages: Sequence[Passage], *, mode: str, strict: bool = False
    ) -> Answer:
        """Turn an LLM's reply into an Answer whose sentences are checked and cited.

        Raises:
            LLMError: the reply has no sentence in it.
        """
        parsed = [m for m in (parse_markers(s, len(passages)) for s in split_sentences(reply)) if m.text]
        if not parsed:
            raise LLMError("The model's reply had no sentences in it. Ask again, or use --mode extractive.")
        invalid = sum(m.invalid for m in parsed)
        is_claim = [not says_cannot_answer(m.text) for m in parsed]
        claims = [m for m, claim in zip(parsed, is_claim) if claim]
        injected = [s for p in passages for s in injected_sentences(p.text)]
        pools = [[passages[n - 1] for n in m.numbers] or list(passages) for m in claims]
        supports = iter(self.best_support([m.text for m in claims], pools))

        cited: dict[tuple[str, int, int], Citation] = {}
        sentences: list[AnswerSentence] = []
        for m, claim in zip(parsed, is_claim):
            if not claim:  # "The articles don't say …": a statement about the articles, citing nothing
                sentences.append(AnswerSentence(m.text, (), True))
                continue
            support = next(supports)
            ok = support is not None and support.supports(SUPPORT_SCORE if m.numbers else CLEAR_SUPPORT_SCORE)
            if _echoes_injection(m.text, injected):  # obeying or repeating text that addressed the assistant
                ok = False
            if support is None or not (m.numbers or ok):
                sentences.append(AnswerSentence(m.text, (), False))
                continue
            key = (support.passage.doc_id, support.span.start, support.span.end)
            if key not in cited:
                p = support.passage
                cited[key] = Citation(len(cited) + 1, p.doc_id, p.title, p.outlet, support.quote, *key[1:], also_in=p.also_in,
                                      date=p.date, author=p.author, url=p.url)
            sentences.append(AnswerSentence(m.text, (cited[key].n,), ok))

        if strict:
            sentences = [s for s in sentences if s.supported]
        if not any(s.citations for s in sentences) and (strict or not all(is_claim)):
            reason = next((s.text for s in sentences if says_cannot_answer(s.text)), REFUSAL_UNSUPPORTED)
            return Answer(question, reason, False, mode, (), (), tuple(passages), reason=reason, invalid_citations=invalid)
        used = {n for s in sentences for n in s.citations}
        new_n = {c.n: i for i, c in enumerate((c for c in cited.values() if c.n in used), 1)}
        citations = tuple(dataclasses.replace(c, n=new_n[c.n]) for c in cited.values() if c.n in used)
        sentences = [dataclasses.replace(s, citations=tuple(new_n[n] for n in s.citations)) for s in sentences]
        text = " ".join(s.text + "".join(f" [{n}]" for n in s.citations) for s in sentences)
        return Answer(
            question, text, True, mode, citations, tuple(sentences), tuple(passages), invalid_citations=invalid
        )


def _echoes_injection(sentence: str, injected: Sequence[str]) -> bool:
    """The sentence addresses the assistant itself, or repeats most of a passage's sentence that did."""
    if is_injection(sentence):
        return True
    own = set(terms(sentence))
    return bool(own) and any(len(own & set(terms(s))) >= 0.6 * len(own) for s in injected)


def _spans(passage: Passage) -> list[Span]:
    """Candidate evidence in a passage: each sentence, and each pair of adjacent sentences (the whole
    passage when its sentences are not known). A sentence that addresses the assistant is never evidence."""
    singles = list(passage.sentences) or [Span(passage.start, passage.end)]
    fair = [not is_injection(passage.quote(span)) for span in singles]
    pairs = [Span(a.start, b.end) for a, b, ok_a, ok_b in zip(singles, singles[1:], fair, fair[1:]) if ok_a and ok_b]
    return [span for span, ok in zip(singles, fair) if ok] + pairs


def _coverage(sentence_terms: Sequence[str], present: frozenset[str]) -> float:
    """The share of the sentence's (distinct) terms found in the span."""
    if not sentence_terms:
        return 0.0
    return sum(has_terms([t], present) for t in sentence_terms) / len(sentence_terms)


@dataclass(frozen=True)
class _Facts:
    """What a passage (with its article's title) can vouch for: its figures and its terms."""

    figures: frozenset[str]
    terms: frozenset[str]

    @classmethod
    def of(cls, passage: Passage) -> _Facts:
        source = f"{passage.title} {passage.text}"
        return cls(frozenset(f.replace(",", "") for f in figures(with_digits(source))), frozenset(terms(source)))


def _missing_facts(sentence: str, sources: Sequence[_Facts]) -> tuple[str, ...]:
    """Figures and names of the sentence that none of the passages (or their titles) contain."""
    source_figures = frozenset().union(*(f.figures for f in sources))
    source_terms = frozenset().union(*(f.terms for f in sources))
    missing = [f for f in figures(sentence) if f.replace(",", "").rstrip(".") not in source_figures]
    for name in names(sentence):
        name_terms = terms(name)
        if name_terms and not has_terms(name_terms, source_terms):
            missing.append(name)
    return tuple(missing)


def _negation_clash(sentence: str, sentence_terms: frozenset[str], span: str, span_terms: frozenset[str]) -> bool:
    """A word negated on one side and asserted on the other ("will not condemn" vs "will condemn")."""
    sentence_negated, span_negated = negated_terms(sentence, NEGATION_REACH), negated_terms(span, NEGATION_REACH)
    return bool((span_negated & (sentence_terms - sentence_negated)) or (sentence_negated & (span_terms - span_negated)))

"""Correctness: how many of a question's key facts the answer states (each fact has accepted phrasings).

A false-premise question (unanswerable as asked) is answered right by a refusal, or by stating the fact that
contradicts its premise (its key facts) with a citation to a supporting article. A yes-no question also
reports whether the answer opens with the expected "yes" or "no" (`yes_no_stated`, not part of correctness).
An answerable question one sentence can answer also reports whether the answer's first sentence alone does
(`lead_correct`, not part of correctness): a reader reads the first sentence, and an answer whose key facts come
only in its third sentence, after two that miss, is right but poor.
"""
from __future__ import annotations

import re

from eval.dataset import Question
from rag.types import Answer


def _normal(text: str) -> str:
    return text.lower().replace("’", "'").replace("‘", "'")


def facts_in(question: Question, text: str) -> int:
    """How many key facts appear, in one of their phrasings, in `text`."""
    text = _normal(text)
    return sum(any(_normal(alt) in text for alt in alts) for alts in question.key_facts)


def facts_found(question: Question, answer: Answer) -> int:
    """How many key facts appear, in one of their phrasings, in the answer's text (0 for a refusal)."""
    return facts_in(question, answer.text) if answer.answered else 0


def coverage(question: Question, answer: Answer) -> float:
    """Share of the key facts found (1.0 when a question has none)."""
    return facts_found(question, answer) / len(question.key_facts) if question.key_facts else 1.0


def _stated_with_source(question: Question, answer: Answer) -> bool:
    return (answer.answered and coverage(question, answer) == 1.0
            and any(c.doc_id in question.doc_ids for c in answer.citations))


def correct(question: Question, answer: Answer) -> bool:
    """Answerable: answered, every key fact stated, and a citation to a supporting article. Unanswerable:
    refused; a false premise may also be corrected (every key fact stated, a supporting article cited)."""
    if question.kind == "false-premise":
        return not answer.answered or (bool(question.key_facts) and _stated_with_source(question, answer))
    if not question.answerable:
        return not answer.answered
    return _stated_with_source(question, answer)


# Kinds whose answer takes several sentences (one per outlet, event or part): no first sentence can hold it all.
SEVERAL_SENTENCES = frozenset({"comparison", "which-first", "multi"})


def lead_correct(question: Question, answer: Answer) -> bool | None:
    """For an answerable question of a kind one sentence answers: does the answer's first sentence alone state every
    key fact, citing a supporting article (after a bare "Yes." or "No.", the sentence after it)? None for other
    questions (unanswerable, or of SEVERAL_SENTENCES)."""
    if not question.answerable or question.kind in SEVERAL_SENTENCES:
        return None
    if not answer.answered or not answer.sentences:
        return False
    sentences = answer.sentences
    if len(sentences) > 1 and re.fullmatch(r"\W*(yes|no)\W*", _normal(sentences[0].text)):
        sentences = sentences[1:]  # "No. The worm did not erase data [1].": the reply, then the sentence that says it
    first = sentences[0]
    cited = {c.doc_id for c in answer.citations if c.n in first.citations}
    return facts_in(question, first.text) == len(question.key_facts) and bool(cited & set(question.doc_ids))


def nearest_correct(question: Question, answer: Answer) -> bool | None:
    """For an answerable question one sentence answers (not of SEVERAL_SENTENCES) that was refused with a nearest
    sentence shown (`Answer.nearest`): does that sentence state every key fact, from a supporting article? A reader
    shown it finds the answer after all. None otherwise (unanswerable, answered, or a refusal that shows none, as
    the baselines', an LLM's own, or a failed question's)."""
    c = answer.nearest
    if not question.answerable or question.kind in SEVERAL_SENTENCES or answer.answered or c is None:
        return None
    return facts_in(question, c.quote) == len(question.key_facts) and c.doc_id in question.doc_ids


def yes_no_stated(question: Question, answer: Answer) -> bool | None:
    """For a yes-no question with an expected reply: does the answer's first word say it ("Yes, …", "No.")?
    A refusal says neither. None for other questions."""
    if question.kind != "yes-no" or question.expected not in ("yes", "no"):
        return None
    if not answer.answered:
        return False
    first = re.match(r"\W*([a-z]+)", _normal(answer.text))
    return bool(first) and first.group(1) == question.expected

"""Correctness: how many of a question's key facts the answer states (each fact has accepted phrasings)."""
from __future__ import annotations

from eval.dataset import Question
from rag.types import Answer


def _normal(text: str) -> str:
    return text.lower().replace("’", "'").replace("‘", "'")


def facts_found(question: Question, answer: Answer) -> int:
    """How many key facts appear, in one of their phrasings, in the answer's text (0 for a refusal)."""
    if not answer.answered:
        return 0
    text = _normal(answer.text)
    return sum(any(_normal(alt) in text for alt in alts) for alts in question.key_facts)


def coverage(question: Question, answer: Answer) -> float:
    """Share of the key facts found (1.0 when a question has none)."""
    return facts_found(question, answer) / len(question.key_facts) if question.key_facts else 1.0


def correct(question: Question, answer: Answer) -> bool:
    """Answerable: answered, every key fact stated, and a citation to a supporting article. Else: refused."""
    if not question.answerable:
        return not answer.answered
    return (answer.answered and coverage(question, answer) == 1.0
            and any(c.doc_id in question.doc_ids for c in answer.citations))

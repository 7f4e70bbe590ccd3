"""Score one answer against its question: correct with the right source, or rightly refused."""
from __future__ import annotations

from dataclasses import dataclass

from eval.dataset import Question
from rag.store import Store
from rag.types import Answer


def originals(store: Store) -> dict[str, str]:
    """doc_id -> the article text as indexed (citations' offsets refer to it)."""
    return {a.doc_id: store.article_text(a.doc_id) or "" for a in store.articles()}


@dataclass(frozen=True)
class Outcome:
    """How one answer fared."""

    id: str
    kind: str
    answerable: bool
    answered: bool
    facts_found: bool  # every key fact appears in the answer text
    right_source: bool  # some citation is to a supporting article
    offsets_exact: bool  # every citation's offsets reproduce its quote from the article on disk
    sentences: int = 0  # sentences in the answer (0 for a refusal)
    supported: int = 0  # of which the cited passages support
    invalid_citations: int = 0  # markers pointing at no passage, dropped by the checker

    @property
    def correct(self) -> bool:
        """Answerable: answered with every key fact and a right source. Unanswerable: refused."""
        if self.answerable:
            return self.answered and self.facts_found and self.right_source
        return not self.answered


def score(question: Question, answer: Answer, originals: dict[str, str]) -> Outcome:
    text = answer.text.lower().replace("’", "'")
    facts = all(any(alt.lower() in text for alt in alts) for alts in question.key_facts)
    source = any(c.doc_id in question.doc_ids for c in answer.citations)
    exact = all(originals[c.doc_id][c.start : c.end] == c.quote for c in answer.citations)
    return Outcome(
        question.id, question.kind, question.answerable, answer.answered, facts, source, exact,
        len(answer.sentences), sum(s.supported for s in answer.sentences), answer.invalid_citations,
    )


def summarize(outcomes: list[Outcome]) -> dict[str, float | int]:
    answerable = [o for o in outcomes if o.answerable]
    unanswerable = [o for o in outcomes if not o.answerable]
    return {
        "questions": len(outcomes),
        "answerable": len(answerable),
        "answered_correctly": sum(o.correct for o in answerable),
        "unanswerable": len(unanswerable),
        "refused": sum(o.correct for o in unanswerable),
        "wrongly_refused": sum(not o.answered for o in answerable),
        "offsets_exact": sum(o.offsets_exact for o in outcomes),
        "sentences": sum(o.sentences for o in outcomes),
        "supported_share": round(sum(o.supported for o in outcomes) / max(sum(o.sentences for o in outcomes), 1), 3),
        "invalid_citations": sum(o.invalid_citations for o in outcomes),
        "accuracy": round(sum(o.correct for o in outcomes) / max(len(outcomes), 1), 3),
    }

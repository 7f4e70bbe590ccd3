"""Polar: whether a question asks for a yes or a no, and which one a sentence gives it.

A question is polar when its main clause opens with an auxiliary verb ("Did…", "Is it true that…",
"Despite X, is Hezbollah…?") and it offers no alternatives ("…in person or by phone?" is not).
A sentence *settles* a polar question only when every telling word of the question (rarer in English
than `TELLING_ZIPF`, on wordfreq's scale: rarer than 1 in 100,000 words) is in the sentence or its context: a sentence about someone
else settles nothing, and then no yes or no is said. The reply is "no" when negation covers the
question's words in the sentence but not in the question, or the other way round; else "yes". Negation
covers the words that follow a cue ("not", "n't", "never", …) up to `NEGATION_SCOPE_WORDS` words or a
punctuation mark, as in NegEx (Chapman et al., 2001).
"""
from __future__ import annotations

import re

from rag.decompose import ALTERNATIVE
from rag.read import TOP_ZIPF, question_terms
from rag.text import has_terms, negated_terms, terms

AUXILIARIES = frozenset(
    "is are was were am do does did has have had can could will would shall should may might must".split()
)
NEGATION_SCOPE_WORDS = 6
TELLING_ZIPF = 5.0  # a word rarer than about 1 in 100,000 words of English
TELLING_WEIGHT = TOP_ZIPF - TELLING_ZIPF


def is_polar(question: str) -> bool:
    """Does `question` ask for a yes or a no?"""
    if ALTERNATIVE.search(question):  # "…in person or by phone?" asks which, not whether
        return False
    clauses = [c.split() for c in re.split(r"[,;:]", question)]
    return any(words and words[0].lower().strip("\"'“‘") in AUXILIARIES for words in clauses)


def settles(question: str, sentence: str, context: str = "") -> bool:
    """Does `sentence` (with `context`) contain every telling word of `question`?"""
    present = set(terms(sentence)) | set(terms(context))
    return all(has_terms([term], present) for term, weight in question_terms(question) if weight > TELLING_WEIGHT)


def reply(question: str, sentence: str, context: str = "") -> str | None:
    """"yes" or "no" when `sentence` settles the polar `question`, else None."""
    if not is_polar(question) or not settles(question, sentence, context):
        return None
    asked = set(terms(question))
    # "Didn't the US…?" asks the same as "Did the US…?": a cue on the opening auxiliary is not the question's own
    in_question = bool(negated_terms(question, NEGATION_SCOPE_WORDS, skip=2) & asked)
    in_sentence = bool(negated_terms(sentence, NEGATION_SCOPE_WORDS) & asked)
    return "no" if in_question != in_sentence else "yes"

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
from rag.lexical import has_terms, terms
from rag.read import TOP_ZIPF, question_terms

AUXILIARIES = frozenset(
    "is are was were am do does did has have had can could will would shall should may might must".split()
)
NEGATION_CUES = frozenset("not no never none nobody nothing neither nor cannot".split())
NEGATION_SCOPE_WORDS = 6
TELLING_ZIPF = 5.0  # a word rarer than about 1 in 100,000 words of English
TELLING_WEIGHT = TOP_ZIPF - TELLING_ZIPF
TOKEN = re.compile(r"[\w’'-]+|[^\w\s]")
CLAUSE_BREAK = frozenset(",;:.!?()\"“”")


def _words(text: str) -> list[str]:
    return [t.lower() for t in TOKEN.findall(text)]


def _negated(word: str) -> bool:
    return word in NEGATION_CUES or word.endswith(("n't", "n’t"))


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


def _negation_over(text: str, targets: set[str], skip_first: bool) -> bool:
    """Does a negation cue in `text` cover one of the `targets` terms?"""
    words = _words(text)
    for i, word in enumerate(words):
        if not _negated(word) or (skip_first and i <= 1):
            continue
        for following in words[i + 1 : i + 1 + NEGATION_SCOPE_WORDS]:
            if following in CLAUSE_BREAK:
                break
            if set(terms(following)) & targets:
                return True
    return False


def reply(question: str, sentence: str, context: str = "") -> str | None:
    """"yes" or "no" when `sentence` settles the polar `question`, else None."""
    if not is_polar(question) or not settles(question, sentence, context):
        return None
    asked = set(terms(question))
    # "Didn't the US…?" asks the same as "Did the US…?": a cue on the opening auxiliary is not the question's own
    in_question = _negation_over(question, asked, skip_first=True)
    in_sentence = _negation_over(sentence, asked, skip_first=False)
    return "no" if in_question != in_sentence else "yes"

"""Spell: correct the words of a question that neither English nor the retrieved articles know.

Names are where typing goes wrong ("what did hochstien warn hezbolla"), and a misspelt name defeats BM25 and
the reader's word features, while the dense retriever, which reads word pieces, still finds the right
articles. So the question is retrieved as typed; then each word that wordfreq's English word list does not
have (Zipf frequency 0) and the retrieved passages do not contain is replaced by the passages' word closest to
it in Damerau-Levenshtein distance (a swap of two letters is one edit), within Elasticsearch's AUTO fuzziness:
no edit for words of one or two letters, one for three to five, two for longer. Among equally close words the
passages' most frequent wins. A word some indexed article has is meant as typed too (`known`): wordfreq's list
predates many names in the news ("Sinwar", "Milei"). Nothing here is fitted: the word list is English at large,
and the distances are the search engines' default. The pipeline keeps a correction only when the reader finds an
answer to the corrected question, and then says so (`rag.pipeline`).

A question typed without capitals ("where did lloyd austin meet yoav gallant"), or all in capitals, gets them
back from the same passages (`truecased`): each word takes the form the passages' sentences give it most often
away from a sentence's start, the unigram baseline of truecasing (Lita et al., 2003). Retrieval ignores case,
but the reader's parser and entity recogniser read capitals: without them "lloyd austin" is no person's name.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

from rag.errors import ConfigError

WORD = re.compile(r"[^\W\d_]+")  # letters only: "hochstien's" gives "hochstien"
SENTENCE_ENDS = ".!?:\n"  # a line break ends a heading or a list item too


def max_edits(word: str) -> int:
    """Elasticsearch's AUTO fuzziness: how many edits a word of this length may be away from the one meant."""
    return 0 if len(word) <= 2 else 1 if len(word) <= 5 else 2


def corrected(question: str, texts: Sequence[str], known: Callable[[str], bool] = lambda word: False) -> str | None:
    """`question` with its unknown words replaced by the closest words of `texts`, or None when no word changes.

    Args:
        question: the question as typed.
        texts: what was retrieved for it (the passages and their titles): where corrections come from.
        known: whether a word is known beyond English and `texts` (some indexed article has it).
    """
    spellings: dict[str, Counter[str]] = {}
    for text in texts:
        for m in WORD.finditer(text):
            spellings.setdefault(m.group().casefold(), Counter())[m.group()] += 1
    seen = {w: sum(c.values()) for w, c in spellings.items()}
    out, last = [], 0
    for match in WORD.finditer(question):
        word = match.group()
        if word.casefold() in seen or known(word):
            continue
        fix = _closest(word, seen)
        if fix is not None:
            out.append(question[last:match.start()] + spellings[fix].most_common(1)[0][0])
            last = match.end()
    return "".join(out) + question[last:] if out else None


def uncased(question: str) -> bool:
    """Was `question` typed without case: its letters after the first letter all lower case, or all upper case?"""
    letters = [c for c in question if c.isalpha()][1:]
    return bool(letters) and (all(c.islower() for c in letters) or all(c.isupper() for c in letters))


def truecased(question: str, texts: Sequence[str]) -> str | None:
    """`question`, if typed without case (`uncased`), with each word in the form `texts` give it most often where
    no sentence starts (lower case when that form is no more frequent, or when the texts lack the word), and its
    first letter a capital; else None. A question typed with case is left alone; one typed without it may get a
    capital the writer did not mean ("us" read as "US" where the passages write the country more often).

    Args:
        question: the question as typed.
        texts: running text that holds its words (the retrieved passages, not their titles: a headline
            capitalises every word).
    """
    if not uncased(question):
        return None
    forms: dict[str, Counter[str]] = {}
    for text in texts:
        for m in WORD.finditer(text):
            if not _opens_sentence(text, m.start()):
                forms.setdefault(m.group().casefold(), Counter())[m.group()] += 1

    def form(match: re.Match[str]) -> str:
        typed = match.group().lower()
        seen = forms.get(match.group().casefold())
        if not seen:
            return typed
        best, count = seen.most_common(1)[0]
        return typed if count <= seen.get(typed, 0) else best

    cased = WORD.sub(form, question)
    first = next((i for i, c in enumerate(cased) if c.isalpha()), 0)  # after an opening quote or bracket
    return cased[:first] + cased[first:first + 1].upper() + cased[first + 1:]


def _opens_sentence(text: str, start: int) -> bool:
    """Does the word at `start` open the text or a sentence of it (only spaces, quotes or brackets since a full stop)?"""
    i = start
    while i > 0 and not text[i - 1].isalnum():
        i -= 1
    return i == 0 or any(c in SENTENCE_ENDS for c in text[i:start])


def _closest(word: str, seen: dict[str, int]) -> str | None:
    """The (case-folded) word of `seen` nearest to `word` within max_edits, the most frequent among the nearest,
    if `word` is unknown to English; else None."""
    limit = max_edits(word)
    if not limit or _english(word):
        return None
    try:
        from rapidfuzz.distance import DamerauLevenshtein
    except ImportError:
        raise ConfigError("Correcting misspelt words needs the rapidfuzz package: run `make setup` "
                          "(or `pip install -e .`) to bring the install up to date.") from None
    folded = word.casefold()
    best: tuple[int, int, str] | None = None
    for candidate, count in seen.items():
        if abs(len(candidate) - len(folded)) > limit:
            continue
        distance = DamerauLevenshtein.distance(folded, candidate, score_cutoff=limit)
        if distance <= limit and (best is None or (distance, -count) < best[:2]):
            best = (distance, -count, candidate)
    return None if best is None else best[2]


def _english(word: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en") > 0

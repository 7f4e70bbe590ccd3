"""Spell: correct the words of a question that neither English nor the retrieved articles know.

Names are where typing goes wrong ("what did hochstien warn hezbolla"), and a misspelt name defeats BM25 and
the reader's word features, while the dense retriever, which reads word pieces, still finds the right
articles. So the question is retrieved as typed; then each word that wordfreq's English word list does not
have (Zipf frequency 0) and the retrieved passages do not contain is replaced by the passages' word closest to
it in Damerau-Levenshtein distance (a swap of two letters is one edit), within Elasticsearch's AUTO fuzziness:
no edit for words of one or two letters, one for three to five, two for longer. Among equally close words the
passages' most frequent wins. Nothing here is fitted: the word list is English at large, and the distances are
the search engines' default. The pipeline then retrieves and answers the corrected question and says so.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from rapidfuzz.distance import DamerauLevenshtein

WORD = re.compile(r"[^\W\d_]+")  # letters only: "hochstien's" gives "hochstien"


def max_edits(word: str) -> int:
    """Elasticsearch's AUTO fuzziness: how many edits a word of this length may be away from the one meant."""
    return 0 if len(word) <= 2 else 1 if len(word) <= 5 else 2


def corrected(question: str, texts: Sequence[str]) -> str | None:
    """`question` with its unknown words replaced by the closest words of `texts` (the retrieved passages), or
    None when no word changes."""
    seen = Counter(m.group() for text in texts for m in WORD.finditer(text))
    known = {w.casefold() for w in seen}
    out, changed, last = [], False, 0
    for match in WORD.finditer(question):
        word = match.group()
        fix = None if word.casefold() in known else _closest(word, seen)
        if fix is not None:
            out.append(question[last:match.start()] + fix)
            last, changed = match.end(), True
    return "".join(out) + question[last:] if changed else None


def _closest(word: str, seen: Counter[str]) -> str | None:
    """The word of `seen` nearest to `word` within max_edits (the most frequent among the nearest), if `word`
    is unknown to English; else None."""
    limit = max_edits(word)
    if not limit or _english(word):
        return None
    folded = word.casefold()
    best: tuple[int, int, str] | None = None
    for candidate, count in seen.items():
        if abs(len(candidate) - len(word)) > limit:
            continue
        distance = DamerauLevenshtein.distance(folded, candidate.casefold(), score_cutoff=limit)
        if distance <= limit and (best is None or (distance, -count) < best[:2]):
            best = (distance, -count, candidate)
    return None if best is None else best[2]


def _english(word: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en") > 0

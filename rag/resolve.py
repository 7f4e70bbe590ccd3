"""Resolve: a person the question describes ("the US defence secretary") read as the person the passages describe so.

People ask about a story with the words of its roles ("What did the US envoy tell Gallant?") where the article
names the person after introducing them once ("US envoy Amos Hochstein", then "Hochstein said…"). The sentence
that answers has the name and not the role, so the question's words are missing from it and its embedding is far
from the question's. Nominal coreference, read off what the passages say: each noun phrase of the question that
points at one person (a singular noun for a kind of person, WordNet's `rag.lexicon.is_person`, with "the", a
possessive or no determiner, and no question word) is matched against the phrases in which the passages describe a
person (`Analyser.described_people`: a title, an appositive). It is read as that person when every term of the
phrase is among the description's terms ("the US envoy" in "US envoy Amos Hochstein"; "Israel's defense minister"
in "Israeli Defense Minister Yoav Gallant", the demonym being the country's term), the description has no word of
another office ("deputy", "former"), the phrases that match name one person only, no other phrase of the question
is read as the same person, and the question does not name that person already; otherwise it stays as asked. The
pipeline asks the question so read only when the question as asked finds no answer, and keeps it only if it finds
one (as it does a spelling correction, `rag.spell`). Nothing is fitted.
"""
from __future__ import annotations

from collections.abc import Sequence

from rag.analyse import Analyser, Phrase
from rag.lexicon import is_person
from rag.text import terms

# Words that make a description another office than the role asked about: "deputy leader" is not "the leader",
# "former prime minister" is not "the prime minister" (a closed class of English: rank and tenure)
OTHER_OFFICE = frozenset(terms("deputy vice former ex acting interim assistant shadow caretaker outgoing incoming "
                               "late junior associate co sub under"))


def role_phrases(question: str, analyser: Analyser) -> list[Phrase]:
    """The question's noun phrases that point at one person: headed by a singular noun for a kind of person, with
    "the", a possessive or no determiner, and no question word ("the US defence secretary", "Israel's defence
    minister"; not "Which minister", "a soldier", "the hostages"): the phrases `named_question` may read as a
    person."""
    return [p for p in analyser.common_noun_phrases([question])[0] if p.definite and not p.asks and is_person(p.head)]


def named_question(question: str, texts: Sequence[str], analyser: Analyser) -> str | None:
    """The question with each phrase that describes a person the texts describe so replaced by that person's name
    ("In what building did Lloyd Austin host his Israeli counterpart?"), or None when no phrase is read so."""
    phrases = role_phrases(question, analyser)
    if not phrases:
        return None
    # each description as (the name as written, the name's terms, the describing terms); a person the question
    # names already is not who a role in it stands for ("Who replaced Nasrallah as Hezbollah's leader?" asks
    # about the role)
    named = set(terms(question))
    described = []
    for d in (d for ds in analyser.described_people(list(texts)) for d in ds):
        own = terms(d.person)
        if own and own[-1] not in named:
            described.append((d.person, own, set(terms(d.text)) - set(own)))
    out, end, used = [], 0, set()
    for phrase in sorted(phrases, key=lambda p: p.start):
        name = _the_one(set(terms(phrase.text)), described)
        if name is not None and name in used:  # two roles read as one person: the question is not about one
            return None
        if name is not None and phrase.start >= end:
            out += [question[end:phrase.start], name]
            end = phrase.end
            used.add(name)
    return "".join(out) + question[end:] if out else None


def _the_one(wanted: set[str], described: Sequence[tuple[str, list[str], set[str]]]) -> str | None:
    """The name of the one person whose descriptions (`named_question`'s triples) have every term of `wanted` and
    no word of another office (OTHER_OFFICE: "deputy leader" for "the leader"), the longest way the passages write
    it; None for none or several."""
    if not wanted:
        return None
    names: dict[str, str] = {}
    for person, own, held in described:
        if wanted <= held and not (held - wanted) & OTHER_OFFICE:
            names[own[-1]] = max(names.get(own[-1], ""), person, key=len)  # by surname
    return next(iter(names.values())) if len(names) == 1 else None

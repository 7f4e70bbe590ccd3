"""Resolve: a person the question describes ("the US defence secretary") read as the person the passages describe so.

People ask about a story with the words of its roles ("What did the US envoy tell Gallant?") where the article
names the person after introducing them once ("US envoy Amos Hochstein", then "Hochstein said…"). The sentence
that answers has the name and not the role, so the question's words are missing from it and its embedding is far
from the question's. Nominal coreference, read off what the passages say: each noun phrase of the question headed
by a noun for a kind of person (WordNet: `rag.lexicon.is_person`), with no question word in it, is matched against
the phrases in which the passages describe a person (`Analyser.described_people`: a title, an appositive). It is
read as that person when every term of the phrase is among the description's terms ("the US envoy" in "US envoy
Amos Hochstein"; "Israel's defense minister" in "Israeli Defense Minister Yoav Gallant", the demonym being the
country's term), the phrases that match name one person only, and the question does not name that person
already; otherwise it stays as asked. The pipeline asks the question so read only when the question as asked finds
no answer, and keeps it only if it finds one (as it does a spelling correction, `rag.spell`). Nothing is fitted.
"""
from __future__ import annotations

from collections.abc import Sequence

from rag.analyse import Analyser, Description, Phrase
from rag.lexicon import is_person
from rag.text import terms

QUESTION_WORDS = frozenset({"which", "what", "whose", "who", "whom"})


def role_phrases(question: str, analyser: Analyser) -> list[Phrase]:
    """The question's noun phrases headed by a noun for a kind of person, with no question word in them ("the US
    defence secretary"; not "Which minister"): the phrases `named_question` may read as a person."""
    return [p for p in analyser.common_noun_phrases([question])[0]
            if is_person(p.head) and not QUESTION_WORDS & {w.lower() for w in p.text.split()}]


def named_question(question: str, texts: Sequence[str], analyser: Analyser) -> str | None:
    """The question with each phrase that describes a person the texts describe so replaced by that person's name
    ("In what building did Lloyd Austin host his Israeli counterpart?"), or None when no phrase is read so."""
    phrases = role_phrases(question, analyser)
    if not phrases:
        return None
    # a person the question names already is not who a role in it stands for ("Who replaced Nasrallah as
    # Hezbollah's leader?" asks about the role)
    named = set(terms(question))
    described = [d for ds in analyser.described_people(list(texts)) for d in ds if terms(d.person)[-1:] and
                 terms(d.person)[-1] not in named]
    out, end = [], 0
    for phrase in sorted(phrases, key=lambda p: p.start):
        name = _the_one(set(terms(phrase.text)), described)
        if name is not None and phrase.start >= end:
            out += [question[end:phrase.start], name]
            end = phrase.end
    return "".join(out) + question[end:] if out else None


def _the_one(wanted: set[str], described: Sequence[Description]) -> str | None:
    """The name of the one person whose descriptions have every term of `wanted` (the longest way the passages
    write it), or None for none or several."""
    if not wanted:
        return None
    names: dict[str, str] = {}
    for d in described:
        own = set(terms(d.person))
        if own and wanted <= set(terms(d.text)) - own:
            surname = terms(d.person)[-1]
            names[surname] = max(names.get(surname, ""), d.person, key=len)
    return next(iter(names.values())) if len(names) == 1 else None

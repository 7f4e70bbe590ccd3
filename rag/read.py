"""Read: a trained model scores how well each sentence answers the question, as a probability.

The score is a logistic regression, fitted by `python -m train.fit` on (question, sentence) pairs the
project wrote itself (train/), over features that mean the same in any folder:
- `similarity`: cosine of the question's and the sentence's embeddings (the bundled MiniLM);
- `coverage`: the share of the question's words found in the sentence, each word weighted by how rare it
  is in English at large (wordfreq's Zipf scale, not the indexed folder's statistics);
- `context_gain`: what the sentence before it and the article's title add to that share (a "he said"
  sentence whose speaker is named just before);
- `missing`: the weight of the most telling question word found in none of them ("Hamas" in "What did
  Hochstein warn Hamas?" asked of a sentence about Hezbollah), on the same scale;
  (for `coverage`, `context_gain` and `missing`, a person the question names in full is found where the
  recogniser finds the surname as a person, if a candidate sentence writes the full name: `surnames`; and the noun
  a "which"/"what" asks for, "city" in "In which city…?", is no word to find, the answer names it:
  `Facts.answer_noun`);
- `length`: the sentence's length in words (log);
- `role`: +1 when the question's subject is a subject of the sentence ("Hochstein warned…"), -1 when it
  is only an object there ("He warned Hochstein…"), else 0 (`rag.analyse`: spaCy's trained parser);
- `answer_type`: for a question that asks for a kind of thing (`asked_kind`, read in its main clause; who:
  a person, organisation or group; where: a place; when: a date; how many/much/long/old: a number), +1 when
  the sentence names one the question does not already name, -1 when it names none; 0 for other questions
  (spaCy's trained entity recogniser). The shipped weights leave it out (docs/tuning-log.md, "Calibrating refusals");
  weights name the features they use, and only those are computed (the recogniser still reads every question
  for the full names of `surnames`).
With a cross-encoder passed in (`rag.rerank`, as `Assistant` does when `rerank_weight` is not 0), the regression's best
RERANK_TOP sentences get its logit, times `rerank_weight`, added to their log-odds (`Reader._reranked`).
Past the model, the answer-type check of classic question answering, with nothing fitted (`Reader.score`,
`answer_check`): a question that asks for a count is answered only by a sentence that names a number, one that
asks for a person's name only by a sentence that names a person, and one that asks which place or which body of
people ("In which city…?", "Which university…?": WordNet's class of the noun asked for) only by a sentence that
names one; every other sentence scores 0.
No feature depends on how many articles are indexed, and what else was retrieved counts only through the full
names it writes (`surnames`), so one threshold on the probability decides refusals for a
folder of five articles or of thousands. The weights live in
`rag/weights/reader.json`, fitted on questions a local LLM wrote about sentences of news articles
(`train/questions.py`).
"""
from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.analyse import HONORIFICS, Analyser, Entity, Person
from rag.decompose import ALTERNATIVE
from rag.embed import Embedder
from rag.errors import ConfigError
from rag.guard import is_injection
from rag.lexicon import GROUP, LOCATION, has_named_members, is_person, noun_class
from rag.rerank import CrossEncoder
from rag.text import WORD_EDGES, figures, terms
from rag.types import Passage, Span

WEIGHTS = Path(__file__).with_name("weights") / "reader.json"
RERANK_TOP = 8  # sentences the cross-encoder reads per call, the regression's best (`Reader._reranked`)
FEATURES = ("similarity", "coverage", "context_gain", "missing", "length", "role", "answer_type")
# The kinds of named entity (spaCy's labels) that answer each kind of question; the question words are the
# classic answer-type classes of question answering, nothing fitted to this project's questions. A number may also
# be a count the recogniser files as a date or a time ("five weeks", "nine hours", "31 years old": NUMBERED).
ANSWER_KINDS = {
    "who": frozenset({"PERSON", "ORG", "NORP"}),
    "where": frozenset({"GPE", "LOC", "FAC"}),
    "when": frozenset({"DATE", "TIME"}),
    "number": frozenset({"CARDINAL", "MONEY", "PERCENT", "QUANTITY"}),
}
NUMBERED = frozenset({"DATE", "TIME"})
# The entities that name a thing of the kind a "which"/"what" asks for (`Facts.answer_noun`), by the WordNet class of
# the noun's commonest sense (`rag.lexicon.noun_class`): a place ("city", "suburb", "site": noun.location) is named
# as a place, a body of people ("university", "company", "country", "nationality": noun.group) as an organisation,
# a country or a nationality. The two classes whose members the recogniser names reliably; a person's kind is left to
# the who-question's own handling, a time's to its noun (TIME_NOUNS), an artifact's ("building", "outlet") to the
# model. A place noun counts only if WordNet knows places of its kind by name (`has_named_members`: "city", not
# "position" or "side", which the answer describes)
CLASS_LABELS = {
    LOCATION: ANSWER_KINDS["where"],
    GROUP: frozenset({"ORG", "GPE", "NORP"}),
}
# The nouns with which a "what"/"which" asks for a time or a span of it ("In what year…?", "What timeframe…?"): no
# check finds a date or a duration in the sentence, so the noun is the one sign that it gives one, and stays among
# the words to match although it is the answer's type (`features`: `Facts.answer_noun`)
TIME_NOUNS = frozenset({"year", "date", "day", "month", "time", "week", "hour", "minute", "period", "decade",
                        "century", "season", "timeframe", "timetable", "deadline"})
# The kind of question only a sentence naming that kind can answer (`Reader.score`): "how many", "how much",
# "how long", "how old" ask for a count, always a number ("how far", "how big" may ask for an extent, "how much
# influence" rarely asks for a sum: the check leaves them alone, as it leaves "who", "where" and "when", which are
# often answered by a description the recogniser does not name: "the harbour master", "after the strike").
COUNT = re.compile(r"\bhow\s+(many|much|old|long(?!\s+ago))\b", re.I)
_ASKS = (
    (re.compile(r"\bhow\s+long\s+ago\b", re.I), "when"),
    (re.compile(r"\bhow\s+(many|much|long|old|far|big|large|high)\b", re.I), "number"),
    (re.compile(r"\b(what|which)\s+(year|date|day|month|time)\b", re.I), "when"),
    (re.compile(r"\b(who|whom|whose)\b", re.I), "who"),
    (re.compile(r"\bwhere\b", re.I), "where"),
    (re.compile(r"\bwhen\b", re.I), "when"),
)
Names = dict[str, tuple[frozenset[str], ...]]  # a given name's term: the terms of each surname it goes with
TOP_ZIPF = 7.0  # a word's weight is TOP_ZIPF minus its Zipf frequency ("the" ≈ 7.7 weighs 0, "Hochstein" ≈ 1.5 weighs 5.5)


@dataclass(frozen=True)
class Sentence:
    """A candidate sentence and what surrounds it: the sentence before it and its article's title."""

    text: str
    context: str = ""  # the title, a newline, the sentence before (what the regression reads)
    previous: str = ""  # the sentence before alone (what a context-reading cross-encoder reads, `rag.rerank`)


def in_context(passage: Passage, span: Span, previous: Span | None) -> Sentence:
    """What the reader reads of one sentence of a passage: the sentence, with its article's title and the
    sentence before it (`previous`, None for none) as context, as in training (`train.fit`)."""
    before = passage.quote(previous) if previous else ""
    return Sentence(passage.quote(span), f"{passage.title}\n{before}", before)


def previous_spans(passage: Passage) -> list[Span | None]:
    """For each sentence of a passage, the sentence before it as the reader's context: None for the first, and
    for one after a sentence addressed to an AI assistant (`rag.guard`), which is never context."""
    fair = [not is_injection(passage.quote(span)) for span in passage.sentences]
    return [passage.sentences[i - 1] if i and fair[i - 1] else None for i in range(len(passage.sentences))]


def contexts(passage: Passage) -> list[Sentence]:
    """Every sentence of a passage as the reader reads it (`in_context`, with `previous_spans`)."""
    return [in_context(passage, span, previous) for span, previous in zip(passage.sentences, previous_spans(passage))]


@functools.lru_cache(maxsize=1 << 16)
def word_weight(word: str) -> float:
    """How much a word tells: TOP_ZIPF minus its Zipf frequency in English (0 for the commonest words)."""
    from wordfreq import zipf_frequency

    return max(0.0, TOP_ZIPF - zipf_frequency(word, "en"))


def question_terms(question: str) -> tuple[tuple[str, float], ...]:
    """The question's content terms (stemmed, stop words out), each with its word's weight (the most telling
    word's, when several words give the same term)."""
    out: dict[str, float] = {}
    for word in question.split():
        for term in terms(word):
            out[term] = max(out.get(term, 0.0), word_weight(word.strip(WORD_EDGES).lower()))
    return tuple(out.items())


def surnames(question: str, analyser: Analyser, texts: Sequence[str]) -> Names:
    """For each person the question names in full ("Lloyd Austin": `Analyser.people`) and `texts` (the candidate
    sentences and their contexts) name in full too, the terms of the given names, each with the terms of the
    surname of each person it goes with: news names a person in full once and by surname after ("Austin met
    Gallant…"). A full name the texts never write is no one they go on to name by surname ("netanyahu hochstein
    meeting", typed into a search box, reads as one person to the parser). A surname two people of the question
    share ("Donald Trump", "Melania Trump") stands for neither."""
    people = analyser.people([question])[0]
    shared = {p.surname for p in people if len({q.given for q in people if q.surname == p.surname}) > 1}
    out: dict[str, set[frozenset[str]]] = {}
    for person in people:
        surname = frozenset(terms(person.surname))
        if person.surname in shared or not surname or not _written(person, texts):
            continue
        for term in (t for word in person.given for t in terms(word)):
            if term not in surname:
                out.setdefault(term, set()).add(surname)
    return {term: tuple(found) for term, found in out.items()}


def _written(person: Person, texts: Sequence[str]) -> bool:
    """Does one of `texts` write the person's full name, in any case ("Lloyd Austin", "LLOYD AUSTIN")?"""
    name = re.compile(r"\b" + r"\s+".join(map(re.escape, (*person.given, person.surname))) + r"\b", re.I)
    return any(name.search(text) for text in texts)


def _people_near(given: Names, sentences: Sequence[Sentence], words: Sequence[set[str]],
                 context_words: Sequence[set[str]], analyser: Analyser) -> dict[int, tuple[set[str], set[str]]]:
    """For each sentence with one of `given`'s surnames in it or its context: the terms of the people the
    recogniser finds in the sentence, and in the sentence and its context. Only those sentences are read."""
    near = [i for i in range(len(sentences))
            if any(name <= words[i] | context_words[i] for names in given.values() for name in names)]
    if not near:
        return {}
    own = analyser.entities([sentences[i].text for i in near])
    around = analyser.entities([sentences[i].context for i in near])
    return {i: (person_terms(a), person_terms(a) | person_terms(b)) for i, a, b in zip(near, own, around)}


def named(present: set[str], given: Names, people: set[str]) -> set[str]:
    """`present` with the given names (`surnames`) of every person whose surname the recogniser finds as a person
    there (`people`: the terms of the PERSON entities of the text): "Austin" in "Austin met Gallant", not
    "Israel" in "Israel would pause" nor "warned" for Shane Warne."""
    return present | {term for term, names in given.items() if any(name <= people for name in names)}


def person_terms(entities: Sequence[Entity]) -> set[str]:
    """The terms of a text's PERSON entities."""
    return {t for e in entities if e.label == "PERSON" for t in terms(e.text)}


def _coverage(question: tuple[tuple[str, float], ...], present: set[str]) -> float:
    total = sum(w for _, w in question)
    return sum(w for t, w in question if t in present) / total if total else 0.0


def asks_for(question: str) -> frozenset[str]:
    """The entity kinds that would answer `question`, from its words alone, wherever they are (empty when it asks
    for no kind of entity). Only the training data's filter uses it (`train.answer_questions.agrees`); the reader
    reads the question's main clause instead (`asked_kind`), so the two differ on "What did she tell him when
    they met?"."""
    for pattern, kind in _ASKS:
        if pattern.search(question):
            return ANSWER_KINDS[kind]
    return frozenset()


def asked_kind(question: str, analyser: Analyser) -> str | None:
    """The kind of thing `question` asks for ("who", "where", "when", "number"), read at the question word of its
    main clause (`rag.analyse.Facts.question_word`), or None: "What did she tell him when they met?" and "When
    asked, did he reply?" ask for no kind."""
    at = analyser.facts([question])[0].question_word
    if at is None:
        return None
    for pattern, kind in _ASKS:
        if pattern.match(question, at):
            return kind
    return None


def _words(text: str) -> set[str]:
    """A text's terms and its figures ("5", "3.1"): terms alone drop one-character tokens such as "5"."""
    return set(terms(text)) | set(figures(text))


def _names(entities: Sequence[Entity], kind: str, question: str, asked: set[str]) -> bool:
    """Does one of `entities` answer a question of `kind`: is it of that kind (or, for "number", a date or time
    that holds a number), with a word or figure `question` (its `_words`: `asked`) does not have?"""
    labels = ANSWER_KINDS[kind]
    return any((e.label in labels or (kind == "number" and e.numeric and e.label in NUMBERED))
               and _new(e, question, asked) for e in entities)


def _new(entity: Entity, question: str, asked: set[str]) -> bool:
    """Has `entity` a word or figure the question (its `_words`: `asked`) lacks? With neither, its text decides."""
    own = _words(entity.text)
    return bool(own - asked) if own else entity.text.lower() not in question.lower()


def names_a_count(question: str, sentences: Sequence[Sentence], analyser: Analyser) -> np.ndarray | None:
    """For a question that asks for a count ("how many", "how much", "how long", "how old", in its main clause:
    `asked_kind`): whether each sentence names a number the question does not already name. None for other
    questions."""
    at = analyser.facts([question])[0].question_word
    if at is None or not COUNT.match(question, at):
        return None
    found = analyser.entities([s.text for s in sentences])
    asked = _words(question)
    return np.array([_names(e, "number", question, asked) for e in found], dtype=bool)


def names_a_name(question: str, sentences: Sequence[Sentence], analyser: Analyser) -> np.ndarray | None:
    """For a question that asks for a person's name ("What was the name of the pilot…?", "Name the operative…",
    "What is his name?": `rag.analyse.Facts.asks_name`, `is_person`): whether each sentence names a person none
    of whose words the question has. None for other questions: the recogniser misses many names of things (a
    yacht's, an operation's), and a question about one is left to the model."""
    thing = analyser.facts([question])[0].asks_name
    if not thing or not is_person(thing):
        return None
    found = analyser.entities([s.text for s in sentences])
    asked = _words(question)
    return np.array([any(e.label == "PERSON" and (own := _words(e.text)) and not own & asked for e in es)
                     for es in found], dtype=bool)


def asks_for_someone(question: str, analyser: Analyser) -> bool:
    """Does `question` ask for someone: "who" at its main clause's question word (`asked_kind`), not "Who is
    <name>?" (a description answers that: `Facts.asks_identity`), or "which"/"what" before a kind of person ("Which
    leader said…?": `Facts.answer_noun`, `is_person`)?"""
    facts = analyser.facts([question])[0]
    if facts.asks_identity:
        return False
    if asked_kind(question, analyser) == "who":
        return True
    return bool(facts.answer_noun) and is_person(facts.answer_noun)


def names_someone(question: str, texts: Sequence[str], analyser: Analyser) -> list[bool]:
    """Whether each text names a person, organisation or group (the recogniser's PERSON, ORG, NORP) with a word
    `question` lacks: someone a "who" question may be asking for."""
    asked = _words(question)
    return [_names(found, "who", question, asked) for found in analyser.entities(list(texts))]


def names_the_kind(question: str, sentences: Sequence[Sentence], analyser: Analyser) -> np.ndarray | None:
    """For a question whose "which"/"what" asks for a place or a body of people ("In which city…?", "Which
    university led…?": `Facts.answer_noun`, `CLASS_LABELS`): whether each sentence names one with a word the question
    lacks ("Beirut"; not "Beirut" again for "Which Beirut suburb…?"). None for other questions, and for one that
    offers its own answers ("…, Tel Aviv or Jerusalem?"), which name what the question already has."""
    noun = analyser.facts([question])[0].answer_noun
    kind = noun_class(noun) if noun else None
    labels = CLASS_LABELS.get(kind or "")
    if noun is None or labels is None or ALTERNATIVE.search(question):
        return None
    if kind == LOCATION and not has_named_members(noun):
        return None
    found = analyser.entities([s.text for s in sentences])
    asked = _words(question)
    return np.array([any(e.label in labels and _new(e, question, asked) for e in es) for es in found], dtype=bool)


def answer_check(question: str, sentences: Sequence[Sentence], analyser: Analyser) -> np.ndarray | None:
    """The answer-type check of classic question answering, nothing fitted: for a question that asks for a count,
    the sentences that name a number (`names_a_count`); for one that asks for a person's name, those that name a
    person (`names_a_name`); for one that asks which place or which body of people, those that name one
    (`names_the_kind`); None for any other question."""
    for check in (names_a_count, names_a_name, names_the_kind):
        kept = check(question, sentences, analyser)
        if kept is not None:
            return kept
    return None


def features(
    question: str, sentences: Sequence[Sentence], embedder: Embedder, analyser: Analyser,
    wanted: Collection[str] = FEATURES,
) -> np.ndarray:
    """The (len(sentences), len(FEATURES)) feature matrix of each (question, sentence) pair. `analyser` must
    have its entity recogniser (`Analyser(entities=True)`): it reads the question's full names (`surnames`).
    `answer_type` needs the recogniser on every sentence: it is left 0 unless `wanted`."""
    if not sentences:
        return np.zeros((0, len(FEATURES)))
    vectors = embedder.embed([question] + [s.text for s in sentences])
    similarity = vectors[1:] @ vectors[0]
    facts = analyser.facts([question])[0]
    # the noun a "which"/"what" asks for is the answer's type, which the answer names rather than repeats ("Beirut"
    # for "In which city…?"): it is not a word to find, so not charged as missing; a time's noun stays (TIME_NOUNS)
    noun = facts.answer_noun
    typed = set(terms(noun)) if noun and noun.lower() not in TIME_NOUNS else set()
    every = question_terms(question)
    q = tuple((t, w) for t, w in every if t not in typed)
    asked = {t for t, _ in q}
    subject = facts.subjects & {t for t, _ in every}  # "Which minister warned…?": the minister still acts
    words = [set(terms(s.text)) for s in sentences]
    # only a sentence that names the question's subject can have it as subject or object: only those are parsed
    parse = [i for i, own in enumerate(words) if subject & own]
    found = dict(zip(parse, analyser.facts([sentences[i].text for i in parse])))
    kind = asked_kind(question, analyser) if "answer_type" in wanted else None
    entities = analyser.entities([s.text for s in sentences]) if kind else [()] * len(sentences)
    asked_words = _words(question) if kind else set()
    context_words = [set(terms(s.context)) if s.context else set() for s in sentences]
    given = surnames(question, analyser, [t for s in sentences for t in (s.text, s.context)])
    people = _people_near(given, sentences, words, context_words, analyser) if given else {}
    rows = []
    for i, (s, sim, own) in enumerate(zip(sentences, similarity, words)):
        around = own | context_words[i]
        if i in people:
            mine, near = people[i]
            own, around = named(own, given, mine), named(around, given, near)
        coverage = _coverage(q, own)
        missing = max((w for t, w in q if t not in around), default=0.0) / TOP_ZIPF
        role = 0.0
        if i in found and subject & found[i].subjects:
            role = 1.0
        elif i in found and subject & found[i].objects:
            role = -1.0
        answer_type = 0.0
        if kind:
            answer_type = 1.0 if _names(entities[i], kind, question, asked_words) else -1.0
        rows.append((float(sim), coverage, _coverage(q, around) - coverage, missing,
                     math.log(1 + len(s.text.split())), role, answer_type))
    return np.array(rows)


class Reader:
    """Scores candidate sentences for a question with the fitted logistic regression, and the answer-type check
    (`answer_check`).

    `analyser` is the parser with its entity recogniser (`rag.analyse.Analyser(entities=True)`); one is loaded
    when none is passed."""

    def __init__(
        self, embedder: Embedder, analyser: Analyser | None = None, weights: Path = WEIGHTS,
        reranker: CrossEncoder | None = None, rerank_weight: float = 0.0,
    ) -> None:
        try:
            fitted = json.loads(Path(weights).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ConfigError(f"The reader's weights are missing or unreadable at {weights}. Reinstall newsqa, "
                              "or refit them with `python -m train.fit`.") from None
        if not fitted.get("features") or not set(fitted["features"]) <= set(FEATURES):
            raise ConfigError(f"The reader's weights at {weights} were fitted for other features. "
                              "Refit them with `python -m train.fit`.")
        self._embedder = embedder
        if analyser is None:
            analyser = Analyser(entities=True)
        elif not analyser.recognises_entities:
            raise ConfigError("The reader needs the parser's entity recogniser: pass Analyser(entities=True).")
        self._analyser = analyser
        self._fitted = fitted
        self._reranker = reranker if rerank_weight else None
        self._rerank_weight = rerank_weight

    @property
    def analyser(self) -> Analyser:
        """The parser the reader reads with (the citation checker shares it)."""
        return self._analyser

    def features(self, question: str, sentences: Sequence[Sentence]) -> np.ndarray:
        """The (len(sentences), len(FEATURES)) feature matrix."""
        return features(question, sentences, self._embedder, self._analyser, self._fitted["features"])

    def score(self, question: str, sentences: Sequence[Sentence]) -> np.ndarray:
        """The probability that each sentence answers `question`, in the order given. A question that asks for a
        count (how many, how much, how long, how old) is answered only by a sentence that names a number
        (`names_a_count`), one that asks for a person's name only by a sentence that names a person
        (`names_a_name`), one that asks which place or which body of people only by a sentence that names one
        (`names_the_kind`): any other scores 0."""
        scores = self.model_score(question, sentences)
        about = self._analyser.facts([question])[0].asks_identity if len(scores) else None
        if about:
            scores = np.maximum(scores, self._description_score(question, about, sentences))
        checked = answer_check(question, sentences, self._analyser) if len(scores) else None
        return scores if checked is None else np.where(checked, scores, 0.0)

    def _description_score(self, question: str, about: str, sentences: Sequence[Sentence]) -> np.ndarray:
        """For "Who is <name>?" (`about`, from `Facts.asks_identity`), each sentence's best score for the noun phrases
        in which it describes that person ("…, with senior member Naim Qassem saying…": `Analyser.described_people`),
        read alone; 0 for a sentence that describes nobody. The answer is the description, which a long sentence's
        embedding dilutes; the sentence is still what is quoted. A question about a role ("Who is the federal Health
        Minister?", not a name) gets 0 everywhere: a short phrase for another role of the same kind ("The Federal
        Agriculture Minister, Warren Truss") lacks only a word as common as "health"."""
        out = np.zeros(len(sentences))
        name = {w for w in _words(about) if w not in HONORIFICS}
        naming = [i for i, s in enumerate(sentences) if name and name <= _words(s.text)]
        described = self._analyser.described_people([sentences[i].text for i in naming])
        spans = [(i, Sentence(d.text)) for i, ds in zip(naming, described) for d in ds if name <= _words(d.person)]
        if spans:
            span_scores = self.model_score(question, [span for _, span in spans])
            for (i, _), score in zip(spans, span_scores):
                out[i] = max(out[i], score)
        return out

    def asks_for_someone(self, question: str) -> bool:
        """Does `question` ask who, or which person (`asks_for_someone`)?"""
        return asks_for_someone(question, self._analyser)

    def names_someone(self, question: str, texts: Sequence[str]) -> list[bool]:
        """Whether each text names someone `question` does not (`names_someone`)."""
        return names_someone(question, texts, self._analyser)

    def model_score(self, question: str, sentences: Sequence[Sentence]) -> np.ndarray:
        """The fitted model's probability for each sentence, without the answer-type check: how near each sentence
        comes to answering, which `rag.generate.focus` uses to choose what an LLM reads."""
        if not sentences:
            return np.zeros(0)
        scores = self.probability(self.features(question, sentences))
        return scores if self._reranker is None else self._reranked(question, sentences, scores)

    def _reranked(self, question: str, sentences: Sequence[Sentence], scores: np.ndarray) -> np.ndarray:
        """The probabilities with the cross-encoder's logit added to their log-odds, times `rerank_weight`
        (`rag.rerank`). It reads the RERANK_TOP sentences the regression scores best; every other sentence is
        given the lowest logit among those, so that a sentence it did not read never passes one it did for what
        it was not shown."""
        top = np.argsort(-scores, kind="stable")[:RERANK_TOP]
        read = self._reranker.scores(question, [sentences[i].text for i in top],  # type: ignore[union-attr]
                                     [sentences[i].previous for i in top])
        logits = np.full(len(scores), read.min())
        logits[top] = read
        p = np.clip(scores, 1e-6, 1 - 1e-6)
        return 1.0 / (1.0 + np.exp(-(np.log(p / (1 - p)) + self._rerank_weight * logits)))

    def probability(self, features: np.ndarray) -> np.ndarray:
        return probability(self._fitted, features)


def probability(fitted: dict, features: np.ndarray) -> np.ndarray:
    """The fitted logistic regression (`rag/weights/reader.json`'s mean, scale, coef, intercept) on a feature
    matrix of every FEATURES column; the weights name the columns they were fitted on."""
    features = features[:, [FEATURES.index(f) for f in fitted["features"]]]
    z = ((features - np.array(fitted["mean"])) / np.array(fitted["scale"])) @ np.array(fitted["coef"])
    return 1.0 / (1.0 + np.exp(-(z + float(fitted["intercept"]))))

"""Chronology: when a question asks about order ("which came first", "when", "earlier"), the dates behind the answer.

Two kinds of date are shown under such an answer (`Answer.chronology`, which the CLI and the chat show):
- the cited articles' own dates (from the page or the front matter, as indexed), earliest first, when they
  differ;
- the dates the cited passages state ("since 8 October", "on Monday"), found by dateparser's search and
  placed on the calendar from the article's date: "on Monday" in an article of Tuesday 18 June 2024 is
  2024-06-17 (the Monday before, as news reports look back; "on Tuesday" is the 18th itself), "since 8
  October" the last 8 October up to it, and when the clause before the date speaks of what is to come
  ("will…", "…'ll"), the next one after it: "will charge a toll from October" in September 2024 is 2024-10;
  "said on Monday that Israel will…" still looks back. In an undated article only a date with its year can
  be placed. Words that only look like dates are not taken: "Theresa May", "thousands march", "Jan
  Egeland", "about 2000 soldiers".
Whether the question asks about order is `rag.decompose.asks_order` (one list of words, `ORDER_WORDS`).
"""
from __future__ import annotations

import dataclasses
import datetime
import re
from dataclasses import dataclass

from rag.decompose import asks_order
from rag.prompts import CHRONOLOGY_INTRO, STATED_DATES_INTRO
from rag.types import Answer, Citation

MONTHS = frozenset("january february march april may june july august september october november december".split())
# Abbreviations count only before a day number or year ("Jan 5", "Sept 2024"): "Jan" is also a name.
MONTH_ABBREVIATIONS = frozenset("jan feb mar apr jun jul aug sep sept oct nov dec".split())
WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
DATE_WORDS = MONTHS | MONTH_ABBREVIATIONS | WEEKDAYS
# Words that put a bare month or year in time ("in June", "since 2019"); without one, "May" may be a name.
TIME_PREPOSITIONS = frozenset("in since from until till by during before after early mid late last this of".split())
YEAR = re.compile(r"^(1[89]|20)\d\d$")
DAY = re.compile(r"^([12]?\d|3[01])(st|nd|rd|th)?$")
# In the clause before the date: the sentence speaks of what is to come ("will charge a toll from October").
FUTURE = re.compile(r"\b(will|shall|won[’']t|[’']ll)\b", re.I)
CLAUSE_BREAK = re.compile(r"[,;:—–]|\b(said|says|told|announced|added)\b", re.I)


@dataclass(frozen=True)
class StatedDate:
    """A date written in a passage: the words as written, and the date they name, to the precision they give
    ("2024-06-17", "2024-06", "2024")."""

    phrase: str
    date: str


def stated_dates(text: str, published: str | None) -> list[StatedDate]:
    """The dates `text` states that can be placed on the calendar, in the order written.

    dateparser finds the candidates; a phrase counts only if it is written as a date: a capitalised weekday, a
    capitalised month with a day, a year or a time word before it ("in June", not "Theresa May"), or a year
    after such a word ("in 1890", not "about 2000 soldiers"). A phrase without a year is placed from
    `published` (the article's ISO date), back from it, or ahead when the clause before the date speaks of
    what is to come ("will…"), and only as precisely as `published` allows: a weekday needs the article's
    day, a month its year. Without `published` only phrases with a year are kept."""
    from rag.chunk import sentence_tokenizer

    out: list[StatedDate] = []
    for start, end in sentence_tokenizer().span_tokenize(text):  # type: ignore[attr-defined]
        out.extend(_in_sentence(text[start:end], published))
    return out


def _in_sentence(sentence: str, published: str | None) -> list[StatedDate]:
    from dateparser import parse
    from dateparser.search import search_dates

    known = len(published.split("-")) if published else 0  # 3: the article's day, 2: its month, 1: its year
    base = _day(published)
    found = search_dates(sentence, languages=["en"], settings={"RETURN_AS_TIMEZONE_AWARE": False}) or []
    out: list[StatedDate] = []
    seen = 0
    for raw, _ in found:
        at = sentence.find(raw, seen)
        seen = at + len(raw) if at >= 0 else seen
        phrase = _trimmed(raw)
        before = sentence[:at] if at >= 0 else ""
        kind = _kind(phrase, before)
        if kind is None or (kind == "day-of-week" and known < 3) or (kind in ("day", "month") and known < 1
                                                                        and not _has_year(phrase)):
            continue
        ahead = FUTURE.search(CLAUSE_BREAK.split(before)[-1]) is not None
        settings: dict[str, object] = {"PREFER_DATES_FROM": "future" if ahead else "past",
                                       "RETURN_AS_TIMEZONE_AWARE": False}
        if base is not None:  # in the past, from the day after: "on Friday" in a Friday's article is that Friday
            settings["RELATIVE_BASE"] = base if ahead else base + datetime.timedelta(days=1)
        when = parse(phrase, languages=["en"], settings=settings)  # type: ignore[arg-type]
        if when is None:
            continue
        iso = {"day": "%Y-%m-%d", "day-of-week": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}[kind]
        out.append(StatedDate(phrase, when.strftime(iso)))
    return out


def _kind(phrase: str, before: str) -> str | None:
    """"day", "day-of-week", "month" or "year": how precisely the phrase names a date; None if it is no date."""
    words = [w.strip(".,") for w in phrase.split()]
    lower = [w.lower() for w in words]
    if " and " in f" {phrase.lower()} " or not words:  # "in 2023 and in March": two dates, not one
        return None
    preposition = lower[0] in TIME_PREPOSITIONS or (before.split()[-1:] or [""])[0].lower() in TIME_PREPOSITIONS
    day = any(DAY.match(w) for w in lower)
    year = any(YEAR.match(w) for w in lower)
    for word, low in zip(words, lower):
        capital = word[:1].isupper()
        if low in WEEKDAYS and capital:
            return "day-of-week"
        abbreviation = low in MONTH_ABBREVIATIONS and capital and (day or year)
        if (low in MONTHS and capital) or abbreviation:
            if day:
                return "day"
            if year or preposition:
                return "month"
    return "year" if year and preposition and len(lower) <= 2 else None


def _has_year(phrase: str) -> bool:
    return any(YEAR.match(w.strip(".,")) for w in phrase.split())


def with_chronology(answer: Answer) -> Answer:
    """`answer` with the dates behind it, when the question asks about order: the cited articles' dates in
    order when they differ, and the dates its cited passages state."""
    if not answer.answered or not asks_order(answer.question):
        return answer
    parts = [part for part in (_published(answer.citations), _stated(answer.citations)) if part]
    return dataclasses.replace(answer, chronology=" ".join(parts)) if parts else answer


def _published(citations: tuple[Citation, ...]) -> str:
    dated = sorted((c for c in citations if c.date), key=lambda c: (c.date, c.n))
    if len({c.date for c in dated}) < 2:
        return ""
    listed = "; ".join(f"[{c.n}] {c.date}" + (f" ({c.outlet})" if c.outlet else "") for c in dated)
    undated = [f"[{c.n}]" for c in citations if not c.date]
    if undated:
        listed += f"; {', '.join(undated)} undated"
    return f"{CHRONOLOGY_INTRO}{listed}."


def _stated(citations: tuple[Citation, ...]) -> str:
    listed = []
    for c in citations:
        dates = stated_dates(c.quote, c.date)
        if dates:
            listed.append(f"[{c.n}] " + ", ".join(f"“{d.phrase}” {d.date}" for d in dates))
    return f"{STATED_DATES_INTRO}{'; '.join(listed)}." if listed else ""


def _trimmed(phrase: str) -> str:
    """The phrase without the words dateparser took in after the date ("in June after" -> "in June")."""
    words = phrase.split()
    while len(words) > 1 and not (words[-1].strip(".,").lower() in DATE_WORDS or words[-1][:1].isdigit()):
        words.pop()
    return " ".join(words).rstrip(".,;:")


def _day(iso: str | None) -> datetime.datetime | None:
    """An article's ISO date (its first day, for "2024-06" or "2024", which `_in_sentence` uses only for what
    that precision allows) as a datetime, or None."""
    if not iso:
        return None
    pieces = (iso.split("-") + ["01", "01"])[:3]
    try:
        return datetime.datetime(int(pieces[0]), int(pieces[1]), int(pieces[2]))
    except ValueError:
        return None

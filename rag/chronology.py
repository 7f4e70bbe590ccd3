"""Chronology: when a question asks about order ("which came first", "when", "earlier"), the dates behind the answer.

Two kinds of date are shown under such an answer (`Answer.chronology`, which the CLI and the chat show):
- the cited articles' own dates (from the page or the front matter, as indexed), earliest first, when they
  differ;
- the dates the cited passages state ("since 8 October", "on Monday"), found by dateparser's search and
  placed on the calendar from the article's date: "on Monday" in an article of Tuesday 18 June 2024 is
  2024-06-17 (the Monday before, as news reports look back; "on Tuesday" is the 18th itself), "since 8
  October" the last 8 October up to it, and in a sentence about what is to come ("will", "next", "plans
  to"), the next one after it: "will charge a toll from October" in September 2024 is 2024-10. In an
  undated article only a date with its year can be placed.
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

MONTHS = ("january february march april may june july august september october november december "
          "jan feb mar apr jun jul aug sep sept oct nov dec").split()
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
YEAR = re.compile(r"\b(1[89]|20)\d\d\b")
# A sentence about what is to come ("will charge a toll from October"): its dates are placed after the article's.
FUTURE = re.compile(r"\b(will|shall|’ll|'ll|next|plans? to|is to|are to|is due to|are due to)\b", re.I)
DAY = re.compile(r"\b([12]?\d|3[01])(st|nd|rd|th)?\b")


@dataclass(frozen=True)
class StatedDate:
    """A date written in a passage: the words as written, and the date they name, to the precision they give
    ("2024-06-17", "2024-06", "2024")."""

    phrase: str
    date: str


def stated_dates(text: str, published: str | None) -> list[StatedDate]:
    """The dates `text` states that can be placed on the calendar, in the order written.

    A phrase counts only if it names a month, a weekday or a year (dateparser alone also reads "may", "now"
    and "a second" as dates); relative ones are placed before `published` (the article's ISO date), and
    without it only phrases with a year are kept."""
    from dateparser.search import search_dates

    base = _day(published)
    ahead = FUTURE.search(text) is not None
    settings = {"PREFER_DATES_FROM": "future" if ahead else "past", "RETURN_AS_TIMEZONE_AWARE": False}
    if base is not None:  # in the past, from the day after: "on Friday" in a Friday's article is that Friday
        settings["RELATIVE_BASE"] = base if ahead else base + datetime.timedelta(days=1)
    found = search_dates(text, languages=["en"], settings=settings) or []
    out: list[StatedDate] = []
    for phrase, when in found:
        words = [w.strip(".,").lower() for w in phrase.split()]
        month = any(w in MONTHS and (w != "may" or phrase[phrase.lower().find("may")].isupper()) for w in words)
        weekday = any(w in WEEKDAYS for w in words)
        year = YEAR.search(phrase) is not None
        if not (month or weekday or year) or (base is None and not year):
            continue
        if weekday or (month and DAY.search(re.sub(YEAR, "", phrase))):
            iso = when.date().isoformat()
        elif month:
            iso = when.strftime("%Y-%m")
        else:
            iso = when.strftime("%Y")
        out.append(StatedDate(_trimmed(phrase), iso))
    return out


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
    while len(words) > 1 and not (words[-1].strip(".,").lower() in MONTHS + WEEKDAYS or words[-1][:1].isdigit()):
        words.pop()
    return " ".join(words).rstrip(".,;:")


def _day(iso: str | None) -> datetime.datetime | None:
    """An article's ISO date (or its first day, for "2024-06" or "2024") as a datetime, or None."""
    if not iso:
        return None
    pieces = (iso.split("-") + ["01", "01"])[:3]
    try:
        return datetime.datetime(int(pieces[0]), int(pieces[1]), int(pieces[2]))
    except ValueError:
        return None

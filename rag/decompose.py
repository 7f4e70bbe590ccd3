"""Decompose: split a question that one sentence cannot answer into parts that one sentence each can.

Two shapes of question ask for evidence from more than one place:
- **Named sources.** "How do Middle East Eye and the WSJ differ on Nasrallah?" names outlets of the
  indexed articles (by name, or by the initials of a name of two words or more: "WSJ", "MEE"). Each named
  outlet becomes a part: the question without the outlets' names, answered only from that outlet's
  articles. One named outlet scopes the question to it ("According to MEE, what did Gallant say?").
- **Alternatives.** "Which came first, the strike or Gallant's remark?" and "before or after" join two
  alternatives with one "or"; each side becomes a part, answered from any article.
The names come from the index (the outlets of the passages retrieved), not from a list in the code.
A part that no sentence answers well enough makes the answerer fall back to the whole question.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rag.text import WORD_EDGES

ACRONYM_MIN_LETTERS = 3  # "US" or "UN" are words of their own, never taken for an outlet's initials
LEADING_ARTICLE = re.compile(r"^the\s+", re.I)
ALTERNATIVE = re.compile(r"\s+or\s+", re.I)
MIN_PART_WORDS = 2
# Words that ask about the order of events: an answer to such a question also gives the cited articles' dates
# (`rag.chronology`). "when" asks for a date, which is what a part is about, so it is no frame word.
ORDER_WORDS = frozenset("first before after afterwards earlier earliest later latest when".split())
# Words that ask how to put the parts together (compare them, order them, attribute them), not what each
# part is about: a part is answered without them, since putting the parts side by side answers them.
FRAME_WORDS = frozenset(
    "differ differs difference differences different compare compared comparison contrast versus vs each both "
    "account accounts report reports reported describe describes description say says said "
    "which came article articles according".split()
) | (ORDER_WORDS - {"when"})


@dataclass(frozen=True)
class Part:
    """A part of a question: its words, and the outlet whose articles alone may answer it (None: any)."""

    question: str
    outlet: str | None = None


def outlet_names(outlet: str) -> tuple[str, ...]:
    """The ways a question may name `outlet`: its name without a leading "The", and its initials."""
    name = LEADING_ARTICLE.sub("", outlet.strip())
    words = [w for w in re.split(r"[\s-]+", name) if w]
    names = [name]
    if len(words) >= 2 and all(w[0].isalpha() for w in words):
        initials = "".join(w[0] for w in words)
        if len(initials) >= ACRONYM_MIN_LETTERS:
            names.append(initials)
    return tuple(names)


def names_outlet(name: str, outlet: str) -> bool:
    """Whether `name`, as a user types it ("wsj", "the Wall Street Journal"), names `outlet` (case aside)."""
    wanted = LEADING_ARTICLE.sub("", " ".join(name.split())).casefold()
    return any(wanted == known.casefold() for known in outlet_names(outlet))


def asks_order(question: str) -> bool:
    """Whether `question` asks when something happened or which came first (it has one of ORDER_WORDS)."""
    return any(w.strip(WORD_EDGES).lower() in ORDER_WORDS for w in question.split())


def _mention(question: str, outlet: str) -> re.Pattern[str] | None:
    """A pattern that finds `outlet` named in `question` (with an optional "the" and "'s"), or None."""
    for name in outlet_names(outlet):
        pattern = re.compile(rf"(?<!\w)(the\s+)?{re.escape(name)}(['’]s)?(?!\w)", re.I)
        if pattern.search(question):
            return pattern
    return None


def decompose(question: str, outlets: Iterable[str | None]) -> tuple[Part, ...]:
    """The parts of `question`, or () when it is one question (answer it whole).

    `outlets` are the outlets of the articles that could answer (those of the retrieved passages).
    """
    named = {}
    for outlet in dict.fromkeys(o for o in outlets if o):
        pattern = _mention(question, outlet)
        if pattern is not None:
            named[outlet] = pattern
    if named:
        rest = question
        for pattern in named.values():
            rest = pattern.sub(" ", rest)
        return tuple(Part(_content(rest), outlet) for outlet in named)
    sides = [_content(side) for side in ALTERNATIVE.split(question)]
    if len(sides) == 2 and all(len(side.split()) >= MIN_PART_WORDS for side in sides):
        return tuple(Part(side) for side in sides)
    return ()


def _content(text: str) -> str:
    """`text` without its frame words."""
    return " ".join(w for w in text.split() if w.strip(WORD_EDGES).lower() not in FRAME_WORDS)

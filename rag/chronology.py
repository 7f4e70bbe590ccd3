"""Chronology: when a question asks about order ("which came first", "when", "earlier"), the cited articles' dates.

The dates are the articles' own (from the page or the front matter, as indexed), never read out of the
answer's text: an answer citing articles of different dates gets `Answer.chronology`, the citations
earliest first with their dates, which the CLI and the chat show under the answer. Whether the question
asks about order is `rag.decompose.asks_order` (one list of words, `ORDER_WORDS`).
"""
from __future__ import annotations

import dataclasses

from rag.decompose import asks_order
from rag.prompts import CHRONOLOGY_INTRO
from rag.types import Answer


def with_chronology(answer: Answer) -> Answer:
    """`answer` with its cited articles' dates in order, when the question asks about order and they differ."""
    dated = sorted((c for c in answer.citations if c.date), key=lambda c: (c.date, c.n))
    if not answer.answered or len({c.date for c in dated}) < 2 or not asks_order(answer.question):
        return answer
    listed = "; ".join(f"[{c.n}] {c.date}" + (f" ({c.outlet})" if c.outlet else "") for c in dated)
    undated = [f"[{c.n}]" for c in answer.citations if not c.date]
    if undated:
        listed += f"; {', '.join(undated)} undated"
    return dataclasses.replace(answer, chronology=f"{CHRONOLOGY_INTRO}{listed}.")

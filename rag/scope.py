"""Scope: the articles a question may be answered from, given its `Filters` (dates, outlet).

Filters are resolved once per question against the store (one SQL query over the articles table; none
at all when no filter is given) to the matching articles' ids, which every retriever then searches
within (`rag.retrieve`): Chroma through a `where` filter on the chunks' `doc_id`, BM25 through a mask
over its chunks. So top-k is taken among the matching articles, never cut from an unfiltered top-k.
"""
from __future__ import annotations

from dataclasses import dataclass

from rag.decompose import names_outlet
from rag.prompts import REFUSAL_NO_MATCH
from rag.store import Store
from rag.types import Filters, count_articles

SHOWN_OUTLETS = 12  # outlets named when an outlet filter matches none


@dataclass(frozen=True)
class Scope:
    """The articles a filtered question may be answered from (`doc_ids`; empty: the filter left none)."""

    filters: Filters
    doc_ids: frozenset[str]


def scope(store: Store, filters: Filters | None) -> Scope | None:
    """The articles matching `filters`, or None when there is no filter or it keeps every article."""
    if not filters:
        return None
    outlets = None
    if filters.outlet:
        outlets = [o for o in store.outlets() if names_outlet(filters.outlet, o)]
    doc_ids = frozenset(store.matching(filters.since, filters.until, outlets) if outlets != [] else ())
    if len(doc_ids) == store.article_count():  # nothing filtered out: search as without a filter
        return None
    return Scope(filters, doc_ids)


def no_match(store: Store, filters: Filters) -> str:
    """The refusal for a filter that leaves no article: what it asked, and what the index holds instead."""
    held = []
    if filters.outlet:
        outlets = store.outlets()
        if not any(names_outlet(filters.outlet, o) for o in outlets):
            more = f" and {len(outlets) - SHOWN_OUTLETS} more" if len(outlets) > SHOWN_OUTLETS else ""
            held.append(f"no outlet is called {filters.outlet!r} (the outlets: {', '.join(outlets[:SHOWN_OUTLETS])}{more})"
                        if outlets else "no article has a known outlet")
    if filters.since or filters.until:
        first, last, undated = store.date_range()
        dated = f"the articles' dates run from {first} to {last}" if first else "no article has a known date"
        left_out = f"; {count_articles(undated)} without a date {'is' if undated == 1 else 'are'} left out by a date filter"
        held.append(dated + (left_out if undated and first else ""))
    return REFUSAL_NO_MATCH.format(filters=filters.describe(), held="; ".join(held) or "none matches all of it")

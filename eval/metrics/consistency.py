"""Paraphrase consistency: do all phrasings of one question get the same verdict (right, or wrong)?"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable


def consistent_groups(verdicts: Iterable[tuple[str, bool]]) -> tuple[int, int]:
    """(consistent, counted) over (group, correct) pairs: only groups with at least two phrasings count, and
    one is consistent when every phrasing got the same verdict."""
    by_group: dict[str, list[bool]] = defaultdict(list)
    for group, verdict in verdicts:
        by_group[group].append(bool(verdict))
    counted = [v for v in by_group.values() if len(v) >= 2]
    return sum(len(set(v)) == 1 for v in counted), len(counted)


def consistency(verdicts: Iterable[tuple[str, bool]]) -> float | None:
    """The share of groups with at least two phrasings whose phrasings all got the same verdict (None: no such
    group)."""
    consistent, counted = consistent_groups(verdicts)
    return consistent / counted if counted else None

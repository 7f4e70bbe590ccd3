"""`python -m eval.failures`: how a tuning question's verdict is filed under a cause (the run itself takes minutes)."""
from __future__ import annotations

import pytest

from eval.failures import CAUSES, Case, cause
from rag.extractive import candidate_sentences
from rag.types import Passage, Span


def case(**changes: object) -> Case:
    fields = {"question": "Q?", "set": "s", "corpus": "seeds", "right_if_answered": False, "best": 0.5,
              "article_retrieved": True, "facts_in_passages": True, "rank_of_right_sentence": 0}
    return Case(**{**fields, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(("changes", "expected"), [
    ({"right_if_answered": True, "best": 0.5}, "right"),
    ({"right_if_answered": True, "best": 0.2}, "refused"),
    ({"article_retrieved": False, "facts_in_passages": False, "rank_of_right_sentence": None}, "article missed"),
    ({"facts_in_passages": False, "rank_of_right_sentence": None}, "passage missed"),
    ({"rank_of_right_sentence": None}, "facts in several sentences"),
    ({"rank_of_right_sentence": 0}, "right one first, answer wrong"),
    ({"rank_of_right_sentence": 1}, "chosen wrong, right one 2nd or 3rd"),
    ({"rank_of_right_sentence": 2}, "chosen wrong, right one 2nd or 3rd"),
    ({"rank_of_right_sentence": 3}, "chosen wrong, right one deeper"),
])
def test_each_case_is_filed_under_the_first_cause_that_fits(changes: dict, expected: str) -> None:
    assert cause(case(**changes), threshold=0.39) == expected
    assert expected in CAUSES


def test_candidate_sentences_are_the_passage_s_sentences_with_the_one_before_as_context() -> None:
    text = "Hochstein landed in Israel on Monday for talks. He warned Hezbollah that the US would stand by Israel."
    first, second = Span(0, 47), Span(48, len(text))
    passage = Passage("a#0", "a", "Envoy lands", "Outlet", text, 0, len(text), (first, second), 1.0)
    found, sentences = candidate_sentences([passage])
    assert found == [("a", text[:47]), ("a", text[48:])] and [s.text for s in sentences] == [t for _, t in found]
    assert sentences[1].context == f"Envoy lands\n{text[:47]}"

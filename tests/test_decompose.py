"""Questions that need more than one sentence: named outlets and alternatives become parts."""
from __future__ import annotations

import pytest

from rag.decompose import Part, decompose, outlet_names

OUTLETS = ("The Guardian", "Reuters", "British Broadcasting Corporation", "Associated Press", None)


@pytest.mark.parametrize(("outlet", "names"), [
    ("The Wall Street Journal", ("Wall Street Journal", "WSJ")),
    ("Middle East Eye", ("Middle East Eye", "MEE")),
    ("Reuters", ("Reuters",)),
    ("Associated Press", ("Associated Press",)),  # "AP": two letters are too few to stand for an outlet
])
def test_an_outlet_is_named_by_its_name_or_its_initials(outlet, names) -> None:
    assert outlet_names(outlet) == names


def test_two_named_outlets_give_one_part_each_without_the_outlets_or_the_frame() -> None:
    parts = decompose("How do Reuters and the Guardian differ on the harbour toll?", OUTLETS)
    assert {p.outlet for p in parts} == {"Reuters", "The Guardian"}
    assert all(p.question == "How do and on the harbour toll?" for p in parts)


def test_initials_and_possessives_name_an_outlet_whatever_the_case() -> None:
    parts = decompose("what does the bbc's report say about the harbour toll, and reuters?", OUTLETS)
    assert {p.outlet for p in parts} == {"British Broadcasting Corporation", "Reuters"}


def test_one_named_outlet_scopes_the_question() -> None:
    assert decompose("According to Reuters, who opened the bridge?", OUTLETS) == (
        Part("to , who opened the bridge?", "Reuters"),)


def test_a_word_inside_another_is_no_mention() -> None:
    assert decompose("Who reads Reutersville's paper?", OUTLETS) == ()


def test_an_alternative_question_splits_at_its_or() -> None:
    parts = decompose("Which came first, the flood warning or the closure of the bridge?", OUTLETS)
    assert parts == (Part("the flood warning"), Part("the closure of the bridge?"))


@pytest.mark.parametrize("question", [
    "Who opened the bridge?",
    "Did the mayor or the council approve it and why did they wait so long or not?",  # two "or": not two sides
    "Was it open or not?",  # one side is a single word
])
def test_other_questions_stay_whole(question) -> None:
    assert decompose(question, OUTLETS) == ()

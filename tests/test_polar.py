"""Yes-no questions: when a sentence settles one, and whether it says yes or no."""
from __future__ import annotations

import pytest

from rag.polar import is_polar, reply, settles


@pytest.mark.parametrize(("question", "polar"), [
    ("Did the council approve the toll?", True),
    ("is the bridge open", True),
    ("Despite the storm, was the ferry running?", True),
    ("Is it true that the mayor resigned?", True),
    ("Who approved the toll?", False),
    ("Was the vote held in May or in June?", False),  # alternatives ask which, not whether
    ("Why did the council approve the toll?", False),
])
def test_a_polar_question_opens_its_main_clause_with_an_auxiliary(question, polar) -> None:
    assert is_polar(question) is polar


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    ("Did the council approve the harbour toll?", "The council approved the harbour toll on Tuesday.", "yes"),
    ("Did the council approve the harbour toll?", "The council did not approve the harbour toll.", "no"),
    ("Has the ferry operator resumed crossings?", "The ferry operator hasn't resumed crossings since the storm.", "no"),
    ("Did the mayor refuse to comment on the harbour toll?",
     "The mayor did not refuse to comment on the harbour toll, which she welcomed.", "no"),
    # a negation that covers none of the question's words is not an answer to it
    ("Did the council approve the harbour toll?",
     "The council approved the harbour toll, although not everyone agreed.", "yes"),
    # "without" negates only what it governs, not the rest of the clause
    ("Did the council approve the harbour toll?",
     "The council approved without debate the harbour toll.", "yes"),
])
def test_the_reply_follows_negation_over_the_questions_words(question, sentence, expected) -> None:
    assert reply(question, sentence) == expected


def test_a_sentence_without_a_telling_word_of_the_question_settles_nothing() -> None:
    question = "Did the council approve the Kittiwake harbour toll?"
    assert not settles(question, "The council approved the harbour toll.")
    assert reply(question, "The council approved the harbour toll.") is None
    assert settles(question, "The council approved the toll.", context="Kittiwake harbour plan")


def test_a_demonym_counts_as_its_country() -> None:
    assert settles("Did the Kenyan minister visit Mombasa?", "The minister of Kenya visited Mombasa.")


def test_no_reply_for_a_question_that_is_not_polar() -> None:
    assert reply("Who approved the harbour toll?", "The council approved the harbour toll.") is None

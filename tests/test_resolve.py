"""rag.resolve: a person the question describes by role, read as the person the passages describe so."""
from __future__ import annotations

import pytest

from rag.prompts import NAMED_NOTE
from rag.resolve import named_question
from tests.conftest import HOCHSTEIN, original

TEXTS = ["US Defense Secretary Lloyd Austin met Israeli Defense Minister Yoav Gallant at the Pentagon on Tuesday.",
         "Austin said the US favoured a diplomatic solution."]


def test_a_role_the_passages_give_one_person_is_read_as_that_person(analyser) -> None:
    assert named_question("Where did the US defence secretary meet Israel's defence minister?", TEXTS, analyser) == \
        "Where did Lloyd Austin meet Yoav Gallant?"  # British spellings and the demonym match too


def test_a_role_several_people_hold_or_none_holds_is_left_as_asked(analyser) -> None:
    two = [*TEXTS, "Lebanese Defence Minister Maurice Slim visited the border."]
    assert named_question("What did the defence minister say?", two, analyser) is None  # Gallant or Slim
    assert named_question("What did the Lebanese prime minister say?", TEXTS, analyser) is None
    assert named_question("What did the harbour master say?", TEXTS, analyser) is None


def test_a_question_asking_which_person_is_never_given_its_answer(analyser) -> None:
    assert named_question("Which defence secretary met Gallant?", TEXTS, analyser) is None
    assert named_question("Where did the meeting take place?", TEXTS, analyser) is None  # no kind of person


def test_a_question_about_a_role_is_answered_as_read_and_says_so(seed_assistant) -> None:
    asked = "In what building did the US defence secretary host his Israeli counterpart?"
    answer = seed_assistant.ask(asked)
    assert answer.question == "In what building did Lloyd Austin host his Israeli counterpart?"
    assert answer.asked == asked and answer.note == NAMED_NOTE.format(question=answer.question)
    assert answer.answered and "Pentagon" in answer.text
    first = answer.citations[0]
    assert first.doc_id == HOCHSTEIN and original(first.doc_id)[first.start:first.end] == first.quote


def test_a_role_of_someone_the_question_names_is_about_the_role(analyser) -> None:
    texts = ["Hezbollah leader Hassan Nasrallah was killed in an Israeli strike on Friday."]
    assert named_question("Who replaced Nasrallah as Hezbollah's leader?", texts, analyser) is None
    assert named_question("What did Hezbollah's leader say?", texts, analyser) == "What did Hassan Nasrallah say?"


def test_a_question_answered_as_asked_is_not_read_again(seed_assistant) -> None:
    answer = seed_assistant.ask("What did the US envoy warn Hezbollah?")
    assert answer.answered and answer.question == "What did the US envoy warn Hezbollah?" and not answer.note


@pytest.mark.parametrize("question, text", [
    ("What did Hezbollah's leader say?", "Hezbollah deputy leader Naim Qassem said the group would fight."),
    ("What did the Israeli prime minister say about the plan?", "Former Israeli Prime Minister Naftali Bennett spoke."),
    ("What did the U.S. defence secretary say?", "UK Defence Secretary John Healey spoke on Monday."),
])
def test_a_description_of_another_office_is_not_the_role_asked_about(analyser, question, text) -> None:
    assert named_question(question, [text], analyser) is None


@pytest.mark.parametrize("question, text", [
    ("Where were the hostages held?", "Freed hostage Noa Argamani was held in Gaza."),  # several people
    ("Was a soldier killed?", "Israeli soldier Daniel Cohen was killed."),  # any one of a kind
    ("Where did the US defence secretary meet the defense secretary?", "US Defense Secretary Lloyd Austin spoke."),
])
def test_a_role_that_does_not_point_at_one_person_or_points_twice_is_left_as_asked(analyser, question, text) -> None:
    assert named_question(question, [text], analyser) is None


@pytest.mark.parametrize("question", ["What did the US envoy warn Hezbollah?",  # answered as asked
                                      "In what building did the US defence secretary host his Israeli counterpart?"])
def test_the_reader_s_verdict_on_the_reading_kept_is_the_extractive_answer(seed_assistant, monkeypatch,
                                                                          question) -> None:
    """Choosing a reading answers it; in mode extractive that answer is given, not computed a second time."""
    from rag.extractive import ExtractiveAnswerer

    expected = seed_assistant.ask(question, mode="extractive")
    asked: list[str] = []
    answer_as_before = ExtractiveAnswerer.answer

    def counted(self, q, passages):
        asked.append(q)
        return answer_as_before(self, q, passages)

    monkeypatch.setattr(ExtractiveAnswerer, "answer", counted)
    answer = seed_assistant.ask(question, mode="extractive")
    assert len(asked) == len(set(asked)), asked  # no reading answered twice
    assert (answer.text, answer.citations, answer.note) == (expected.text, expected.citations, expected.note)
    streamed = list(seed_assistant.ask_stream(question, mode="extractive"))
    assert streamed[-1].text == expected.text and "".join(p for p in streamed if isinstance(p, str)) == expected.text

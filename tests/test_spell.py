"""Misspelt words: a word neither English nor the retrieved articles know is read as the articles' nearest word."""
from __future__ import annotations

import pytest

from rag.prompts import CORRECTED_NOTE
from rag.spell import corrected, max_edits, truecased, uncased
from tests.conftest import HOCHSTEIN, original

PASSAGES = ["US envoy Amos Hochstein warned Hezbollah that the US would stand by Israel.",
            "Hochstein met Netanyahu. Iraq and Hamas were not discussed. Hochstein left."]


@pytest.mark.parametrize(("question", "expected"), [
    ("what did hochstien warn hezbolla", "what did Hochstein warn Hezbollah"),  # a swap and a dropped letter
    ("What did hochstien's team tell Netanyahoo?", "What did Hochstein's team tell Netanyahu?"),
    ("Did hamaz fire?", "Did Hamas fire?"),  # one edit in a word of five letters
    ("What did Hochstein warn Hezbollah?", None),  # nothing to correct
    ("Did Iran strike?", None),  # an English word (Zipf > 0) is meant as typed, even one edit from "Iraq"
    ("Did Hbmbs fire?", None),  # two edits from "Hamas": too far for a word of five letters
    ("Who is Xyzzyqq?", None),  # near no word of the passages
])
def test_an_unknown_word_is_read_as_the_passages_nearest_word(question, expected) -> None:
    assert corrected(question, PASSAGES) == expected


def test_among_equally_near_words_the_passages_most_frequent_wins_in_its_commonest_spelling() -> None:
    assert corrected("Did Hochsteim speak?", ["Hochstein said, Hochstein added.", "Hochsteil wrote."]) == \
        "Did Hochstein speak?"
    # spellings of one word count together: 3 of "hochstein" beat 2 of "Hochsteil"
    assert corrected("Did Hochsteim speak?", ["Hochsteil Hochsteil", "Hochstein hochstein Hochstein"]) == \
        "Did Hochstein speak?"


def test_the_edits_allowed_grow_with_the_word_as_elasticsearch_s_auto_fuzziness() -> None:
    assert [max_edits("ab"), max_edits("abc"), max_edits("abcde"), max_edits("abcdef")] == [0, 1, 1, 2]


def test_a_misspelt_question_is_answered_as_corrected_and_says_so(seed_assistant) -> None:
    typed = "what did hochstien warn hezbolla"
    answer = seed_assistant.ask(typed)
    assert answer.answered and answer.asked == typed
    assert answer.question == "What did Hochstein warn Hezbollah"  # typed in lower case: capitals restored too
    assert answer.note == CORRECTED_NOTE.format(question=answer.question)
    assert str(answer).startswith('Answered as "What did Hochstein warn Hezbollah"')  # what `rag ask` prints first
    first = answer.citations[0]
    assert first.doc_id == HOCHSTEIN and original(first.doc_id)[first.start:first.end] == first.quote
    streamed = list(seed_assistant.ask_stream(typed))[-1]
    assert streamed.note == answer.note and streamed.text == answer.text


def test_a_question_spelt_right_gets_no_note(seed_assistant) -> None:
    answer = seed_assistant.ask("What did Hochstein warn Hezbollah?")
    assert answer.note == "" and answer.question == answer.asked


def test_a_typo_set_swaps_two_letters_of_each_question_s_most_telling_word() -> None:
    from eval.typos import slip

    assert slip("What did Hochstein warn Hezbollah?") == "What did Hochstien warn Hezbollah?"  # the rarer name
    assert slip("Who won?") == "Who won?"  # no word of five letters


def test_a_word_an_indexed_article_has_is_meant_as_typed() -> None:
    # wordfreq's list predates names in the news: "Sinwar" is not in it, and is 2 edits from "Sinai"
    passages = ["Israeli troops entered the Sinai."]
    assert corrected("Where is Sinwar hiding?", passages) == "Where is Sinai hiding?"
    assert corrected("Where is Sinwar hiding?", passages, known=lambda word: word == "Sinwar") is None


def test_a_correction_that_finds_no_answer_is_dropped(seed_assistant) -> None:
    # no seed article names Sinwar, and the question about "Sinai" it is nearest to has no answer either
    answer = seed_assistant.ask("Where is Sinwar hiding?")
    assert not answer.answered and answer.note == "" and answer.question == "Where is Sinwar hiding?"


def test_the_index_knows_the_words_its_articles_have(seed_assistant) -> None:
    lexical = seed_assistant.index.lexical
    assert lexical.knows("Hochstein") and lexical.knows("hezbollah")
    assert not lexical.knows("Sinwar") and not lexical.knows("the")  # a stop word has no term


TEXTS = ["US envoy Amos Hochstein met Lloyd Austin at the Pentagon. Austin said the US would help.",
         '"We will stand by Israel," Hochstein said. Israel and the US talked.']


@pytest.mark.parametrize(("question", "expected"), [
    ("where did lloyd austin meet amos hochstein?", "Where did Lloyd Austin meet Amos Hochstein?"),
    ("WHERE DID LLOYD AUSTIN MEET AMOS HOCHSTEIN?", "Where did Lloyd Austin meet Amos Hochstein?"),  # caps lock
    ("Where did lloyd austin meet?", "Where did Lloyd Austin meet?"),  # a phone capitalises the first letter only
    ("did the us talk to israel", "Did the US talk to Israel"),
    ("who is zyx?", "Who is zyx?"),  # a word the passages lack stays lower case
    ("Where did Lloyd Austin meet?", None),  # typed with case: as typed
    ("Where did lloyd Austin meet?", None),  # one capital after the first letter: the writer chose the case
])
def test_a_question_typed_without_case_takes_the_passages_capitals(question, expected) -> None:
    assert truecased(question, TEXTS) == expected


def test_a_word_at_a_sentence_start_says_nothing_about_its_case() -> None:
    # "Stand", "Would" and "They" open sentences, after a full stop or a quote; mid-sentence they are lower case
    texts = ["Stand by. They would stand.", '"Would they?" he asked. (They did.)']
    assert truecased("would they stand", texts) == "Would they stand"
    assert truecased("would they stand", ['"Would they?" he asked.']) == "Would they stand"  # no other form: as typed
    # a tie between forms is lower case: "us" the pronoun and "US" the country
    assert truecased("did the us help us", ["The US helped us."]) == "Did the us help us"


def test_what_counts_as_typed_without_case() -> None:
    assert uncased("what now") and uncased("What now") and uncased("WHAT NOW")
    assert not uncased("w")  # one letter: nothing to tell
    assert not uncased("What now, Hochstein") and not uncased("123?")


def test_a_question_typed_in_lower_case_is_answered_as_the_cased_one(seed_assistant) -> None:
    typed = "where did lloyd austin meet yoav gallant"
    lower, cased = seed_assistant.ask(typed), seed_assistant.ask("Where did Lloyd Austin meet Yoav Gallant")
    assert lower.asked == typed and lower.question == "Where did Lloyd Austin meet Yoav Gallant"
    assert lower.answered and lower.note == ""  # no word was misspelt: nothing to say
    assert lower.text == cased.text and lower.citations == cased.citations
    assert "Pentagon" in lower.text


def test_a_question_opening_with_a_quote_is_judged_and_capitalised_from_its_first_letter() -> None:
    assert uncased('"expect us" who said that') and not uncased('"Expect us" Who said that')
    assert truecased('"expect us" who said that', ["Nasrallah said: we expect us."]) == '"Expect us" who said that'


def test_a_word_the_passages_lack_keeps_its_spelling_in_lower_case() -> None:
    assert truecased("WHERE IS THE STRASSE OR STRAẞE", ["The street."]) == "Where is the strasse or straße"


def test_the_assistant_reads_a_question_as_ask_answers_it(seed_assistant) -> None:
    # what `eval.calibrate` scores: the question with its capitals back, and the passages `ask` retrieves for it
    read, passages = seed_assistant.read("where did lloyd austin meet yoav gallant")
    answer = seed_assistant.ask("where did lloyd austin meet yoav gallant")
    assert read == answer.question == "Where did Lloyd Austin meet Yoav Gallant"
    assert [p.id for p in passages] == [p.id for p in answer.passages]

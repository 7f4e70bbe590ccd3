"""The citation checker: marker parsing, sentence splitting, and support checks on the real seed passages."""
from __future__ import annotations

import pytest

from conftest import HOCHSTEIN, original
from rag.cite import CitationChecker, parse_markers, split_sentences
from rag.errors import LLMError
from rag.pipeline import Assistant
from rag.prompts import CANNOT_ANSWER
from rag.types import Passage

DISPLACED = "003_7dc90b1bd24fe7e6"


@pytest.mark.parametrize(
    ("sentence", "n_passages", "text", "numbers", "invalid"),
    [
        ("Hochstein warned Hezbollah [1].", 5, "Hochstein warned Hezbollah.", (1,), 0),
        ("Hochstein warned Hezbollah.[1][3]", 5, "Hochstein warned Hezbollah.", (1, 3), 0),
        ("Hochstein warned Hezbollah [1, 2].", 5, "Hochstein warned Hezbollah.", (1, 2), 0),
        ("Hochstein warned Hezbollah [2; 4]", 5, "Hochstein warned Hezbollah", (2, 4), 0),
        ("Hochstein warned Hezbollah [Source 2].", 5, "Hochstein warned Hezbollah.", (2,), 0),
        ("Hochstein warned Hezbollah [9].", 5, "Hochstein warned Hezbollah.", (), 1),
        ("Hochstein warned Hezbollah [0][1].", 5, "Hochstein warned Hezbollah.", (1,), 1),
        ("Hochstein warned Hezbollah [1][1].", 5, "Hochstein warned Hezbollah.", (1,), 0),
        ("Hochstein warned Hezbollah.", 5, "Hochstein warned Hezbollah.", (), 0),
        ("Talks [1] began, then stalled [2].", 5, "Talks began, then stalled.", (1, 2), 0),
    ],
)
def test_parse_markers(sentence: str, n_passages: int, text: str, numbers: tuple[int, ...], invalid: int) -> None:
    markers = parse_markers(sentence, n_passages)
    assert (markers.text, markers.numbers, markers.invalid) == (text, numbers, invalid)


@pytest.mark.parametrize(
    ("reply", "sentences"),
    [
        ("Mr. Hochstein warned them [1]. Austin met Gallant [2].", ["Mr. Hochstein warned them [1].", "Austin met Gallant [2]."]),
        ("He warned them. [1] Austin met Gallant. [2]", ["He warned them. [1]", "Austin met Gallant. [2]"]),
        ("- He warned them [1].\n- Austin met Gallant [2].", ["He warned them [1].", "Austin met Gallant [2]."]),
        ("1. He warned them [1]\n\n2) Austin met Gallant [2]", ["He warned them [1]", "Austin met Gallant [2]"]),
        ("", []),
    ],
)
def test_split_sentences_keeps_each_marker_with_its_sentence(reply: str, sentences: list[str]) -> None:
    assert split_sentences(reply) == sentences


@pytest.fixture(scope="module")
def checker(seed_assistant: Assistant) -> CitationChecker:
    return CitationChecker(seed_assistant.embedder, seed_assistant.reader.analyser)


@pytest.fixture(scope="module")
def passages(seed_assistant: Assistant) -> list[Passage]:
    """The real top-8 passages for the anchor question and the displaced Israelis."""
    found = seed_assistant.retriever.retrieve("What did Hochstein warn Hezbollah? Israelis displaced", 8)
    assert any(p.doc_id == HOCHSTEIN for p in found) and any(p.doc_id == DISPLACED for p in found)
    return found


def n_of(passages: list[Passage], doc_id: str, needle: str) -> int:
    """The 1-based number of the passage of `doc_id` that contains `needle`."""
    return next(i for i, p in enumerate(passages, 1) if p.doc_id == doc_id and needle in p.text)


def check(checker: CitationChecker, reply: str, passages: list[Passage], strict: bool = False):
    return checker.check("What did Hochstein warn Hezbollah?", reply, passages, mode="openai", strict=strict)


def test_a_supported_sentence_cites_the_exact_span_of_the_original(checker, passages) -> None:
    n = n_of(passages, HOCHSTEIN, "stand by Israel")
    answer = check(checker, f"Hochstein warned that the US will stand by Israel and not condemn it publicly [{n}].", passages)
    assert answer.answered and [s.supported for s in answer.sentences] == [True]
    (citation,) = answer.citations
    assert citation.doc_id == HOCHSTEIN and "stand by Israel" in citation.quote
    assert original(HOCHSTEIN)[citation.start : citation.end] == citation.quote
    assert answer.text.endswith("[1]") and answer.sentences[0].citations == (1,)


@pytest.mark.parametrize(
    ("claim", "why"),
    [
        ("More than 90,000 Israelis have been displaced since Hezbollah began firing rockets", "a wrong number"),
        ("More than 60,000 Israelis have been displaced since Hamas began firing rockets from Syria", "a name not there"),
        ("Hochstein warned that the US will condemn Israel publicly if it launches an offensive", "a dropped negation"),
    ],
)
def test_an_altered_sentence_is_unsupported(checker, passages, claim: str, why: str) -> None:
    n = n_of(passages, DISPLACED, "60,000") if "displaced" in claim else n_of(passages, HOCHSTEIN, "stand by Israel")
    answer = check(checker, f"{claim} [{n}].", passages)
    assert [s.supported for s in answer.sentences] == [False], why
    assert answer.sentences[0].citations == (1,), "the sentence still shows what it cited, marked unsupported"


WARNED_HOCHSTEIN = "He warned Hochstein that the chances"  # Gallant warned Hochstein, in the displaced article


@pytest.mark.parametrize(
    ("claim", "supported"),
    [
        ("Hochstein warned Hezbollah that the chances of a diplomatic agreement to prevent an all-out war are fading",
         False),  # the doer and the one warned swapped
        ("Gallant warned Hochstein that the chances of a diplomatic agreement to prevent an all-out war are fading",
         True),
        ("Hochstein was warned that the chances of a diplomatic agreement to prevent an all-out war are fading",
         True),  # a passive is not a swap
    ],
)
def test_a_sentence_that_swaps_who_did_what_to_whom_is_unsupported(seed_assistant, checker, claim, supported) -> None:
    passages = seed_assistant.retriever.retrieve("Who warned Hochstein that the chances of an agreement are fading?", 5)
    n = next(i for i, p in enumerate(passages, 1) if WARNED_HOCHSTEIN in p.text)
    answer = check(checker, f"{claim} [{n}].", passages)
    assert [s.supported for s in answer.sentences] == [supported]
    assert WARNED_HOCHSTEIN in answer.citations[0].quote


def test_the_unaltered_number_sentence_is_supported(checker, passages) -> None:
    n = n_of(passages, DISPLACED, "60,000")
    answer = check(checker, f"More than 60,000 Israelis have been displaced since Hezbollah began firing rockets [{n}].", passages)
    assert [s.supported for s in answer.sentences] == [True]


def test_citing_the_wrong_passage_is_unsupported(checker, passages) -> None:
    wrong = n_of(passages, DISPLACED, "60,000")
    answer = check(checker, f"The US will stand by Israel and not condemn them publicly, Hochstein warned [{wrong}].", passages)
    assert [s.supported for s in answer.sentences] == [False]


def test_out_of_range_markers_are_dropped_and_counted(checker, passages) -> None:
    n = n_of(passages, HOCHSTEIN, "stand by Israel")
    answer = check(checker, f"The US will stand by Israel and not condemn them publicly, Hochstein warned [{n}][9][12].", passages)
    assert answer.invalid_citations == 2
    assert "[9]" not in answer.text and "[12]" not in answer.text
    assert [s.citations for s in answer.sentences] == [(1,)]


def test_an_unmarked_sentence_gets_the_citation_a_passage_clearly_gives_it(checker, passages) -> None:
    answer = check(checker, "The US will stand by Israel and not condemn them publicly if it launches an offensive.", passages)
    assert answer.sentences[0].supported and answer.sentences[0].citations == (1,)
    assert answer.citations[0].doc_id == HOCHSTEIN


def test_an_unmarked_invented_sentence_stays_uncited_and_unsupported(checker, passages) -> None:
    answer = check(checker, "Hochstein flew to Paris on Tuesday to meet French diplomats.", passages)
    assert [(s.supported, s.citations) for s in answer.sentences] == [(False, ())]
    assert answer.citations == ()


def test_strict_mode_removes_unsupported_sentences_and_renumbers(checker, passages) -> None:
    good = n_of(passages, HOCHSTEIN, "stand by Israel")
    displaced = n_of(passages, DISPLACED, "60,000")
    reply = (
        f"More than 90,000 Israelis have been displaced [{displaced}]. "
        f"The US will stand by Israel and not condemn them publicly, Hochstein warned [{good}]."
    )
    loose, strict = check(checker, reply, passages), check(checker, reply, passages, strict=True)
    assert [s.supported for s in loose.sentences] == [False, True] and len(loose.citations) == 2
    assert [s.text for s in strict.sentences] == [loose.sentences[1].text]
    assert [c.n for c in strict.citations] == [1] and strict.text.endswith("[1]")
    assert strict.citations[0].doc_id == HOCHSTEIN


def test_strict_mode_refuses_when_nothing_is_supported(checker, passages) -> None:
    answer = check(checker, "Hochstein flew to Paris on Tuesday [1].", passages, strict=True)
    assert not answer.answered and answer.text.startswith(CANNOT_ANSWER)
    assert answer.citations == () and answer.sentences == ()


def test_the_sentinel_is_a_refusal(checker, passages) -> None:
    answer = check(checker, "The articles don’t say.", passages)
    assert not answer.answered and answer.text.startswith("The articles don’t say")


def test_a_reply_with_no_words_is_an_error(checker, passages) -> None:
    with pytest.raises(LLMError, match="no sentences"):
        check(checker, "[1] [2]", passages)

"""Answers shaped by the question, through ask() over a folder of invented articles (real models, real index):
a comparison of two named outlets cites one sentence from each, a yes-no question opens with its yes or no."""
from __future__ import annotations

from pathlib import Path

import pytest

from rag import ask
from rag.index import build_index
from tests.conftest import make_settings

ARTICLES = {
    "reuters_bridge": (
        "Tamsin Bridge shut after inspectors find cracks\n\n"
        "The Tamsin Bridge in Harlow was closed on Friday after engineers found cracks in its central span.\n"
        "The council did not reopen the Tamsin Bridge on Monday, and a spokesman said repairs would take weeks.\n"
        "Commuters were told to use the ferry, which added forty minutes to the journey.\n"
        "Reuters\n"
    ),
    "guardian_bridge": (
        "Harlow bridge closure blamed on years of cuts\n\n"
        "Residents said the Tamsin Bridge closure followed a decade of cuts to the maintenance budget.\n"
        "The maintenance budget for the bridge was halved in 2019, according to council papers.\n"
        "Local shops reported a sharp fall in trade during the first weekend of the closure.\n"
        "The Guardian\n"
    ),
    "other_orchard": (
        "Orchard harvest starts early after warm spring\n\n"
        "Apple growers in Kent began picking two weeks early after an unusually warm spring.\n"
        "Growers expect a larger crop than last year, though prices remain low.\n"
        "Farmers Weekly\n"
    ),
}


@pytest.fixture(scope="module")
def kinds_settings(tmp_path_factory: pytest.TempPathFactory, embedder):
    tmp = tmp_path_factory.mktemp("kinds")
    folder = tmp / "articles"
    folder.mkdir()
    for stem, text in ARTICLES.items():
        (folder / f"{stem}.txt").write_text(text, encoding="utf-8")
    settings = make_settings(tmp, corpus=folder)
    build_index(settings, embedder)
    return settings


def _exact(answer, folder: Path) -> None:
    for c in answer.citations:
        text = (folder / f"{c.doc_id}.txt").read_text(encoding="utf-8")
        assert text[c.start:c.end] == c.quote


@pytest.mark.parametrize("question", [
    "How do Reuters and The Guardian differ on the Tamsin Bridge?",
    "what do reuters and the guardian each say about the tamsin bridge closure",
])
def test_a_comparison_of_two_named_outlets_cites_each_of_them(kinds_settings, question) -> None:
    answer = ask(question, settings=kinds_settings)
    assert answer.answered
    assert {c.outlet for c in answer.citations} == {"Reuters", "The Guardian"}
    _exact(answer, Path(kinds_settings.corpus))


def test_a_named_outlet_scopes_the_answer_to_it(kinds_settings) -> None:
    answer = ask("According to The Guardian, what did residents say about the Tamsin Bridge closure?", settings=kinds_settings)
    assert answer.answered and {c.outlet for c in answer.citations} == {"The Guardian"}


def test_a_comparison_the_articles_cannot_answer_is_refused(kinds_settings) -> None:
    answer = ask("How do Reuters and The Guardian differ on the price of apples in Kent?", settings=kinds_settings)
    assert not answer.answered


@pytest.mark.parametrize(("question", "verdict"), [
    ("Did the council reopen the Tamsin Bridge on Monday?", "No"),
    ("was the tamsin bridge closed after engineers found cracks", "Yes"),
])
def test_a_yes_no_question_opens_with_the_reply_of_the_sentence_that_settles_it(kinds_settings, question, verdict) -> None:
    answer = ask(question, settings=kinds_settings)
    assert answer.answered and answer.text.startswith(f"{verdict}: ")
    first = answer.citations[0]
    assert answer.text.startswith(f"{verdict}: {first.quote} [1]")
    _exact(answer, Path(kinds_settings.corpus))


def test_no_yes_or_no_when_the_sentence_does_not_settle_the_question(kinds_settings) -> None:
    answer = ask("Did the council reopen the Tamsin Bridge for cyclists?", settings=kinds_settings)
    assert not answer.text.startswith(("Yes", "No"))

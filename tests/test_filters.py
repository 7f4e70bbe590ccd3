"""Filters by date and outlet (`--since`, `--until`, `--outlet`, the same in ask() and the chat), and the cited
articles' dates for questions about order, over invented articles with front matter (real models, real index)."""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from rag import Filters, ask, ask_stream
from rag.cli import main
from rag.chronology import stated_dates
from rag.decompose import asks_order, names_outlet
from rag.errors import FilterError
from rag.index import build_index
from rag.pipeline import Assistant
from rag.prompts import CANNOT_ANSWER, CHRONOLOGY_INTRO, STATED_DATES_INTRO
from tests.conftest import make_settings
from ui.chat import respond

# name -> (outlet, date or None, title, body): one story told over six months by three outlets, and an undated page
ARTICLES = {
    "bridge_closed": ("Reuters", "2024-03-08", "Tamsin Bridge shut after inspectors find cracks",
                      "The Tamsin Bridge in Harlow was closed on Friday after engineers found cracks in its central span. "
                      "Commuters were told to use the ferry, which added forty minutes to the journey."),
    "bridge_reopened": ("The Wall Street Journal", "2024-06-14", "Tamsin Bridge reopens after repairs",
                        "The Tamsin Bridge in Harlow reopened on Thursday after three months of repairs to its central "
                        "span. Traffic returned to normal by the evening rush hour."),
    "bridge_toll": ("The Guardian", "2024-09-02", "Toll planned for repaired Tamsin Bridge",
                    "The council will charge a toll on the Tamsin Bridge in Harlow from October to pay for the repairs. "
                    "Drivers will pay two pounds for each crossing."),
    "bridge_history": ("Harlow Historical Society", None, "A short history of the Tamsin Bridge",
                       "The Tamsin Bridge in Harlow was built in 1890 and is the town's oldest crossing. "
                       "Its iron arches were restored once before, in 1962."),
}
QUESTION = "What happened to the Tamsin Bridge in Harlow?"


def write(folder: Path, articles: dict[str, tuple[str, str | None, str, str]]) -> None:
    folder.mkdir(parents=True)
    for name, (outlet, date, title, body) in articles.items():
        front = f"---\ntitle: {title}\noutlet: {outlet}\n" + (f"date: {date}\n" if date else "") + "---\n"
        (folder / f"{name}.md").write_text(front + body + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def bridge_settings(tmp_path_factory: pytest.TempPathFactory, embedder):
    tmp = tmp_path_factory.mktemp("filters")
    write(tmp / "articles", ARTICLES)
    settings = make_settings(tmp, corpus=tmp / "articles", mode="extractive")
    build_index(settings, embedder)
    return settings


@pytest.fixture
def no_rag_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """`rag.cli.main` reads the environment: keep the caller's RAG_* out of it."""
    for key in [k for k in os.environ if k.startswith("RAG_")]:
        monkeypatch.delenv(key)


def cited(answer) -> set[str]:
    return {c.doc_id for c in answer.citations}


# --- Filters: dates as typed, checked ---

@pytest.mark.parametrize(("since", "until", "expected"), [
    ("2024-06-01", None, ("2024-06-01", None)),
    ("2024-06", "2024-06", ("2024-06-01", "2024-06-30")),
    ("2024-02", "2024-02", ("2024-02-01", "2024-02-29")),  # a leap year's February
    ("2024", "2024", ("2024-01-01", "2024-12-31")),
    (" 2024-12 ", "2024-12", ("2024-12-01", "2024-12-31")),
    (dt.date(2024, 6, 1), None, ("2024-06-01", None)),
    ("", "", (None, None)),
])
def test_filter_dates_become_full_inclusive_iso_dates(since, until, expected) -> None:
    f = Filters(since=since, until=until)
    assert (f.since, f.until) == expected


@pytest.mark.parametrize("bad", ["2024-13-01", "2024-02-30", "2024/06/01", "June 2024", "24-06-01", "2024-13"])
def test_a_bad_date_names_the_value_and_the_format(bad) -> None:
    with pytest.raises(FilterError) as raised:
        Filters(since=bad)
    assert f"The since date {bad!r} is not a date. Write it as YYYY-MM-DD" in str(raised.value)


def test_since_after_until_is_refused_with_the_fix() -> None:
    with pytest.raises(FilterError, match="since 2024-07-01 but until 2024-06-30, which is earlier.*Swap"):
        Filters(since="2024-07", until="2024-06")


@pytest.mark.parametrize(("name", "outlet", "matches"), [
    ("WSJ", "The Wall Street Journal", True),
    ("wsj", "The Wall Street Journal", True),
    ("the wall street journal", "The Wall Street Journal", True),
    ("Wall Street  Journal", "The Wall Street Journal", True),
    ("Wall Street", "The Wall Street Journal", False),  # no partial names: "Street" would match too much
    ("guardian", "The Guardian", True),
    ("Reuters", "Reuters", True),
    ("HHS", "Harlow Historical Society", True),
])
def test_an_outlet_is_named_by_its_name_in_any_case_or_its_initials(name, outlet, matches) -> None:
    assert names_outlet(name, outlet) is matches


# --- ask(): each filter changes which article is cited ---

@pytest.mark.parametrize(("filters", "expected"), [
    ({"since": "2024-09-01"}, {"bridge_toll"}),
    ({"until": "2024-03"}, {"bridge_closed"}),
    ({"since": "2024-04", "until": "2024-08"}, {"bridge_reopened"}),
    ({"outlet": "WSJ"}, {"bridge_reopened"}),
    ({"outlet": "the guardian"}, {"bridge_toll"}),
    ({"outlet": "Reuters", "until": "2024-12"}, {"bridge_closed"}),
])
def test_each_filter_changes_which_article_is_cited(bridge_settings, filters, expected) -> None:
    unfiltered = ask(QUESTION, settings=bridge_settings)
    answer = ask(QUESTION, settings=bridge_settings, **filters)
    assert answer.answered and cited(answer) == expected and cited(unfiltered) != expected
    assert {p.doc_id for p in answer.passages} == expected  # nothing from outside the filter was even retrieved
    assert answer.filters == Filters(**filters)


def test_a_date_filter_leaves_out_articles_with_no_date(bridge_settings) -> None:
    question = "When was the Tamsin Bridge built?"
    assert "bridge_history" in cited(ask(question, settings=bridge_settings))
    filtered = ask(question, settings=bridge_settings, since="1800-01-01")  # every dated article, none undated
    assert "bridge_history" not in {p.doc_id for p in filtered.passages}
    assert "bridge_history" in cited(ask(question, settings=bridge_settings, outlet="Harlow Historical Society"))


def test_a_filter_that_leaves_no_article_says_so(bridge_settings) -> None:
    answer = ask(QUESTION, settings=bridge_settings, since="2025-01")
    assert not answer.answered and answer.text.startswith(CANNOT_ANSWER) and answer.reason == answer.text
    assert "no indexed article matches the filter (since 2025-01-01)" in answer.text
    assert "dates run from 2024-03-08 to 2024-09-02" in answer.text and "1 article without a date" in answer.text
    unknown = ask(QUESTION, settings=bridge_settings, outlet="BBC")
    assert "no outlet is called 'BBC'" in unknown.text and "The Wall Street Journal" in unknown.text


def test_filters_as_an_object_or_keywords_but_not_both(bridge_settings) -> None:
    answer = ask(QUESTION, settings=bridge_settings, filters=Filters(outlet="WSJ"))
    assert cited(answer) == {"bridge_reopened"}
    with pytest.raises(FilterError, match="not both"):
        ask(QUESTION, settings=bridge_settings, filters=Filters(outlet="WSJ"), since="2024")


def test_a_streamed_answer_is_filtered_too(bridge_settings) -> None:
    *_, answer = ask_stream(QUESTION, settings=bridge_settings, outlet="WSJ")
    assert cited(answer) == {"bridge_reopened"}
    *pieces, empty = ask_stream(QUESTION, settings=bridge_settings, outlet="BBC")
    assert pieces == [empty.text] and "no indexed article matches the filter" in empty.text


def test_the_filter_is_applied_before_top_k(tmp_path, embedder, chroma_url) -> None:
    """Fifty articles of another outlet outrank the filtered one in both retrievers; with the filter, it is found
    (embedded Chroma, and a `chroma run` server)."""
    articles = {
        f"star_{i:02d}": ("Harlow Star", f"2024-05-{i % 28 + 1:02d}", f"Tamsin Bridge council meeting {i}",
                          f"Councillors met for the {i}th time about the Tamsin Bridge in Harlow and its central span "
                          f"repairs, item {i} on the agenda.")
        for i in range(50)
    }
    articles["orchard"] = ("Farmers Weekly", "2024-05-02", "Kent apple harvest starts early",
                           "Apple growers in Kent began picking two weeks early; some lorries took the bridge route.")
    write(tmp_path / "articles", articles)
    settings = make_settings(tmp_path, corpus=tmp_path / "articles", chroma_url=chroma_url, mode="extractive",
                             top_k=1)
    build_index(settings, embedder)
    assistant = Assistant(settings)
    unfiltered = assistant.retriever.retrieve("Tamsin Bridge repairs", 40)  # as deep as each retriever looks
    assert "orchard" not in {p.doc_id for p in unfiltered}
    answer = assistant.ask("Tamsin Bridge repairs", filters=Filters(outlet="Farmers Weekly"))
    assert [p.doc_id for p in answer.passages] == ["orchard"]


# --- the command line ---

def test_cli_outlet_and_date_filters(bridge_settings, no_rag_env, capsys) -> None:
    index = ["--index-dir", str(bridge_settings.index_dir)]
    assert main([*index, "ask", "--mode", "extractive", "--outlet", "WSJ", QUESTION]) == 0
    out = capsys.readouterr().out
    answer, sources = out.split("\nSources:\n")
    assert "reopened on Thursday" in answer and "Searched only the articles matching: outlet WSJ." in answer
    assert "The Wall Street Journal, 2024-06-14 (bridge_reopened" in sources and "bridge_toll" not in sources
    assert main([*index, "ask", "--json", "--since", "2024-09", QUESTION]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {c["doc_id"] for c in data["citations"]} == {"bridge_toll"} and data["filters"]["since"] == "2024-09-01"


def test_cli_a_bad_date_is_one_error_line(bridge_settings, no_rag_env, capsys) -> None:
    assert main(["--index-dir", str(bridge_settings.index_dir), "ask", "--until", "2024-31-12", QUESTION]) == 2
    captured = capsys.readouterr()
    assert captured.err == ("error: The until date '2024-31-12' is not a date. Write it as YYYY-MM-DD "
                            "(or YYYY-MM, YYYY), e.g. 2024-06-01.\n") and captured.out == ""


def test_cli_a_filter_that_leaves_nothing_says_so(bridge_settings, no_rag_env, capsys) -> None:
    assert main(["--index-dir", str(bridge_settings.index_dir), "ask", "--outlet", "BBC", "--until", "2024-06",
                 QUESTION]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "no indexed article matches the filter (until 2024-06-30, outlet BBC): no outlet is called 'BBC'" in out


# --- dates in answers, for questions about order ---

@pytest.mark.parametrize(("question", "asks"), [
    ("Which came first, the bridge closing or the toll?", True),
    ("Was the toll announced before or after the reopening?", True),
    ("When did the Tamsin Bridge reopen?", True),
    ("What happened to the Tamsin Bridge in Harlow?", False),
])
def test_order_questions_are_recognised(question, asks) -> None:
    assert asks_order(question) is asks


def test_which_came_first_states_the_cited_articles_dates(bridge_settings, no_rag_env, capsys) -> None:
    question = "Which came first, the bridge closing or the toll?"
    answer = ask(question, settings=bridge_settings)
    assert cited(answer) == {"bridge_closed", "bridge_toll"}
    by_doc = {c.doc_id: c.n for c in answer.citations}
    closed = by_doc["bridge_closed"]
    assert answer.chronology == (f"{CHRONOLOGY_INTRO}[{closed}] 2024-03-08 (Reuters); "
                                 f"[{by_doc['bridge_toll']}] 2024-09-02 (The Guardian). "
                                 f"{STATED_DATES_INTRO}[{closed}] “on Friday” 2024-03-08; "  # a Friday's article
                                 f"[{by_doc['bridge_toll']}] “from October” 2024-10.")  # the toll, still to come
    assert ask(QUESTION, settings=bridge_settings).chronology == ""  # not a question about order
    assert main(["--index-dir", str(bridge_settings.index_dir), "ask", question]) == 0
    assert "2024-03-08 (Reuters); [" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(("text", "published", "expected"), [
    # relative dates are placed from the article's date, looking back, the article's own day included
    ("Israel and Hezbollah have exchanged near-daily fire since 8 October, but the conflict ratcheted up in June.",
     "2024-06-20", [("8 October", "2023-10-08"), ("in June", "2024-06")]),
    ("Hochstein landed in Israel on Monday for talks.", "2024-06-18", [("on Monday", "2024-06-17")]),
    ("The bridge was closed on Friday.", "2024-03-08", [("on Friday", "2024-03-08")]),
    # a sentence about what is to come looks ahead
    ("The council will charge a toll from October.", "2024-09-02", [("from October", "2024-10")]),
    # without the article's date only a date with its year can be placed
    ("It reopened on 14 June 2024, and again on Monday.", None, [("on 14 June 2024", "2024-06-14")]),
    ("It was built in 1890.", None, [("in 1890", "1890")]),
    # reported speech looks back, whatever the speaker says will happen; each sentence is read on its own
    ("Hochstein said on Monday that Israel will not attack.", "2024-06-18", [("on Monday", "2024-06-17")]),
    ("Hezbollah fired on 8 October. Israel will respond.", "2024-06-20", [("on 8 October", "2023-10-08")]),
    # a weekday needs the article's day
    ("On Monday it rained.", "2024-06", []),
    # words dateparser also reads as dates are not dates here
    ("The group may now respond, a second official said.", "2024-06-18", []),
    ("Theresa May met Macron.", "2024-06-18", []),
    ("Thousands march through Sydney and could mar the talks.", "2024-06-18", []),
    ("Jan Egeland said about 2000 soldiers died.", "2024-06-18", []),
])
def test_dates_stated_in_a_passage_are_placed_on_the_calendar(text, published, expected) -> None:
    assert [(d.phrase, d.date) for d in stated_dates(text, published)] == expected


def test_a_when_question_gets_the_dates_its_passage_states(bridge_settings) -> None:
    answer = ask("When did the Tamsin Bridge reopen?", settings=bridge_settings)
    assert cited(answer) >= {"bridge_reopened"}
    n = next(c.n for c in answer.citations if c.doc_id == "bridge_reopened")
    assert f"[{n}] “on Thursday” 2024-06-13" in answer.chronology  # the WSJ's article is of Friday 14 June


# --- the chat ---

def test_chat_filters_and_their_mistakes(bridge_settings) -> None:
    assistant = Assistant(bridge_settings)
    *_, (_, history) = respond(assistant, QUESTION, [], mode="extractive", outlet="WSJ")
    assert history[0].answer is not None and cited(history[0].answer) == {"bridge_reopened"}
    assert "only articles outlet WSJ" in history[0].html and "2024-06-14" in history[0].html
    *_, (_, history) = respond(assistant, QUESTION, history, mode="extractive", since="June")
    assert history[1].answer is None and "The since date &#x27;June&#x27; is not a date" in history[1].html
    *_, (_, history) = respond(assistant, "Which came first, the bridge closing or the toll?", [], mode="extractive")
    assert 'class="chronology"' in history[0].html and "2024-03-08" in history[0].html

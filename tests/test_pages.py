"""Saved web pages and Markdown front matter through the real pipeline: `rag index`, `rag ask`, ask() and the chat's panel."""
from __future__ import annotations

import html
import json
import re
import shutil

import pytest

from rag.pipeline import Assistant
from tests.conftest import make_settings
from tests.test_cli import rag
from tests.pages import DATA, FURNITURE
from ui.render import article_html, cite_href, parse_ref

CARPARK = """---
title: Quay car park to close for resurfacing
date: 2024-03-20
outlet: Kingsbridge Gazette
author: Tom Reed
url: https://kingsbridgegazette.example/quay-car-park
---
Quay car park to close for resurfacing
The quay car park in Kingsbridge will close for three weeks from 8 April while it is resurfaced, the council said.
Drivers are asked to use the long-stay car park on Fore Street instead.
"""


@pytest.fixture(scope="module")
def pages_index(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """An index of the example pages and a front-matter article, built by `rag index` as a user runs it."""
    tmp = tmp_path_factory.mktemp("pages")
    folder = tmp / "news"
    shutil.copytree(DATA, folder)
    (folder / "carpark.md").write_text(CARPARK)
    done = rag("index", str(folder), RAG_INDEX_DIR=str(tmp / "index"))
    assert done.returncode == 0, done.stderr
    return {"settings": make_settings(tmp, folder), "index": done}


@pytest.mark.slow
def test_rag_index_takes_the_pages_and_the_front_matter_article_without_a_warning(pages_index) -> None:
    done = pages_index["index"]
    assert "4 added" in done.stdout and "0 skipped" in done.stdout
    assert done.stderr == ""
    articles = {a.doc_id: a for a in Assistant(pages_index["settings"]).articles()}
    assert {d: (a.title, a.outlet, a.date) for d, a in articles.items()} == {
        "brief": ("Lifeboat crew rescue two kayakers off Bolt Head", "South Hams Today", "2024-03-16"),
        "carpark": ("Quay car park to close for resurfacing", "Kingsbridge Gazette", "2024-03-20"),
        "ferry": ("Island ferry fares to rise by 8% from April", "Valley Gazette", "2024-02-27"),
        "harbour": ("Harbour wall repairs to cost £4.2m after winter storms", "The Coastal Courier", "2024-03-14"),
    }


@pytest.mark.slow
def test_rag_ask_cites_the_page_s_article_text_with_exact_offsets_and_its_metadata(pages_index) -> None:
    settings = pages_index["settings"]
    done = rag("ask", "--json", "How much will the harbour wall repairs cost?", RAG_INDEX_DIR=str(settings.index_dir))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["answered"] and "£4.2 million" in data["text"]
    assistant = Assistant(settings)
    for c in data["citations"]:
        assert assistant.article_text(c["doc_id"])[c["start"] : c["end"]] == c["quote"]
    cited = next(c for c in data["citations"] if "£4.2 million" in c["quote"])
    assert (cited["doc_id"], cited["outlet"], cited["date"], cited["author"], cited["url"]) == (
        "harbour", "The Coastal Courier", "2024-03-14", "Eleanor Marsh",
        "https://www.coastalcourier.example/news/2024/03/harbour-wall-repairs")
    for p in data["passages"]:  # nothing retrieved is page furniture, from any page
        assert not any(piece in p["text"] for pieces in FURNITURE.values() for piece in pieces), p["text"]


@pytest.mark.slow
def test_the_chat_panel_shows_the_clean_article_with_the_cited_span_and_its_date(pages_index) -> None:
    assistant = Assistant(pages_index["settings"])
    answer = assistant.ask("Where were the two kayakers swept onto rocks?")
    assert answer.answered
    c = next(c for c in answer.citations if c.doc_id == "brief")
    assert (c.date, c.outlet) == ("2024-03-16", "South Hams Today")
    info = next(a for a in assistant.articles() if a.doc_id == "brief")
    panel = article_html(info, assistant.article_text("brief"), parse_ref(cite_href(c)))
    assert re.findall(r'<mark class="cited">(.*?)</mark>', panel, re.S) == [html.escape(c.quote)]
    assert "2024-03-16" in panel and "Priya Natarajan" in panel and "brief.html" in panel
    for piece in FURNITURE["brief.html"]:
        assert piece not in panel, piece
    assert "&lt;" not in panel  # the page's own markup never shows


@pytest.mark.slow
def test_a_front_matter_article_is_cited_with_its_date_and_without_its_front_matter(pages_index) -> None:
    assistant = Assistant(pages_index["settings"])
    answer = assistant.ask("When will the quay car park close?")
    c = next(c for c in answer.citations if c.doc_id == "carpark")
    assert (c.date, c.author, c.url) == ("2024-03-20", "Tom Reed", "https://kingsbridgegazette.example/quay-car-park")
    text = assistant.article_text("carpark")
    assert text[c.start : c.end] == c.quote and not text.startswith("---") and "outlet:" not in text
    assert "8 April" in " ".join(x.quote for x in answer.citations)


@pytest.mark.slow
def test_the_cli_and_the_chat_list_each_source_with_its_outlet_and_date(pages_index) -> None:
    from ui.render import answer_html

    settings = pages_index["settings"]
    done = rag("ask", "How much will the harbour wall repairs cost?", RAG_INDEX_DIR=str(settings.index_dir))
    assert done.returncode == 0, done.stderr
    assert re.search(r"\[\d\] Harbour wall repairs to cost £4\.2m after winter storms, The Coastal Courier, "
                     r"2024-03-14 \(harbour, characters \d+-\d+\)", done.stdout), done.stdout
    answer = Assistant(settings).ask("How much will the harbour wall repairs cost?")
    assert "The Coastal Courier · 2024-03-14" in html.unescape(answer_html(answer))

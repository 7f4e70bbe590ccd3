"""The chat's HTML: citation links that round-trip, escaping, marked unsupported sentences, refusals, highlights."""
from __future__ import annotations

import html as html_module
import re

import pytest

from conftest import HOCHSTEIN, original
from rag.pipeline import Assistant
from rag.types import Answer, AnswerSentence, ArticleInfo, Citation
from ui.render import (
    SourceRef, answer_html, article_html, articles_html, cite_href, error_html, parse_ref, quote_digest, streaming_html,
)

QUOTE = "Hochstein warned the Lebanese officials"


def citation(doc_id: str = HOCHSTEIN, n: int = 1) -> Citation:
    text = original(HOCHSTEIN)
    start = text.index(QUOTE)
    return Citation(n, doc_id, "US pushes for halt", "Middle East Eye", QUOTE, start, start + len(QUOTE))


@pytest.mark.parametrize("doc_id", [HOCHSTEIN, "a b&c=d", "naïve/“quoted”#1", "%41"])
def test_citation_links_round_trip(doc_id: str) -> None:
    c = citation(doc_id)
    assert parse_ref(cite_href(c)) == SourceRef(doc_id, c.start, c.end, quote_digest(QUOTE))


@pytest.mark.parametrize("ref", [
    "", "#cite=", "#cite=abc", "#cite=abc&s=1", "#cite=abc&s=x&e=2&q=1", "#cite=abc&s=5&e=2&q=1",
    "#cite=abc&s=-1&e=2&q=1", "#cite=abc&s=1&e=2", "https://example.com/#cite=abc&s=1&e=2&q=1", "#article=",
])
def test_malformed_links_are_not_sources(ref: str) -> None:
    assert parse_ref(ref) is None


def test_extractive_answer_links_every_citation_with_its_quote(seed_assistant: Assistant) -> None:
    answer = seed_assistant.ask("What did Hochstein warn Hezbollah?", mode="extractive")
    html = answer_html(answer, 0.4)
    hrefs = re.findall(r'<a class="cite" href="([^"]+)"', html)
    assert len(hrefs) == 2 * len(answer.citations)  # in the text, and again in the sources list
    quotes = {c.quote for c in answer.citations}
    for href in hrefs:  # what the browser follows: each points at the exact quoted text of its article
        ref = parse_ref(html_module.unescape(href))
        assert ref is not None and original(ref.doc_id)[ref.start:ref.end] in quotes
    assert 'class="answer final mode-extractive"' in html and "unsupported" not in html
    assert "Checked:" not in html  # verbatim quotes need no check line
    assert "extractive · 5 passages · 0.4 s" in html


def test_text_from_articles_and_models_is_escaped() -> None:
    c = Citation(1, "d", "<b>Title</b>", "Out&let", 'say "<script>alert(1)</script>"', 0, 10)
    answer = Answer("q", "x", True, "openai", (c,), (AnswerSentence("<img src=x onerror=alert(1)>", (1,), True),), ())
    html = answer_html(answer)
    assert "<script>" not in html and "<img" not in html and "<b>Title" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "Out&amp;let" in html
    assert "<script>" not in streaming_html("<script>x</script>") and "<script>" not in error_html("<script>")


def test_blank_lines_cannot_end_the_html_and_smuggle_in_markdown() -> None:
    sneaky = "Hochstein warned Hezbollah.\n\n![x](https://attacker/p.png) [click](https://evil)"
    c = Citation(1, "d", "Title\n\nmore", None, "First paragraph.\n\nSecond paragraph.", 0, 30)
    answer = Answer("q", sneaky, True, "openai", (c,), (AnswerSentence(sneaky, (1,), True),), ())
    for html in (answer_html(answer), streaming_html(sneaky), error_html(sneaky)):
        assert "\n" not in html  # the chat reads messages as markdown: a blank line would end the HTML block


def test_unsupported_sentences_are_marked_and_counted() -> None:
    c = citation()
    answer = Answer("q", "…", True, "local", (c,), (
        AnswerSentence("Hochstein warned the Lebanese officials.", (1,), True),
        AnswerSentence("He also threatened sanctions.", (1,), False),
        AnswerSentence("Paris was mentioned.", (), False),
    ), (), invalid_citations=1)
    html = answer_html(answer)
    assert html.count('class="sentence unsupported"') == 2 and html.count('class="sentence supported"') == 1
    assert html.count('class="unsupported-flag"') == 2
    assert "Checked: 1 of 3 sentences supported by the passages they cite." in html
    assert "1 citation marker(s) pointed at no passage and were dropped." in html
    assert 'title="cites no passage that supports it"' in html


def test_a_refusal_looks_like_a_refusal_not_an_error(seed_assistant: Assistant) -> None:
    answer = seed_assistant.ask("What is the capital of Australia?", mode="extractive")
    assert not answer.answered
    html = answer_html(answer)
    assert 'class="answer final refusal"' in html and "error" not in html
    assert "The articles don&#x27;t say" in html or "The articles don't say" in html
    assert 'class="article-link" href="#article=' in html  # the closest articles, to open


def test_a_refusal_shows_the_nearest_sentence_as_a_link_that_opens_its_span() -> None:
    import dataclasses

    c = citation()
    refusal = Answer("Q?", "The articles don't say.", False, "extractive", (), (), (), nearest=c)
    html = answer_html(refusal)
    assert 'class="answer final refusal"' in html and 'class="nearest"' in html
    assert f'href="{cite_href(c)}"'.replace("&", "&amp;") in html  # opens the article at the sentence
    assert "Hochstein warned" in html  # the quote itself
    assert 'class="nearest"' not in answer_html(dataclasses.replace(refusal, nearest=None))


def test_the_panel_highlights_exactly_the_cited_span() -> None:
    c = citation()
    text = original(HOCHSTEIN)
    info = ArticleInfo(HOCHSTEIN, "seeds/x.txt", "US pushes for halt", "Middle East Eye", 9)
    html = article_html(info, text, parse_ref(cite_href(c)))
    marks = re.findall(r'<mark class="cited">(.*?)</mark>', html, re.S)
    assert marks == [QUOTE]
    assert "characters" in html and "source-warning" not in html


def test_the_panel_highlights_nothing_when_the_article_changed() -> None:
    c = citation()
    changed = "A new first paragraph.\n" + original(HOCHSTEIN)  # same doc_id, offsets now point elsewhere
    info = ArticleInfo(HOCHSTEIN, "seeds/x.txt", "US pushes for halt", "Middle East Eye", 9)
    html = article_html(info, changed, parse_ref(cite_href(c)))
    assert "<mark" not in html and "has changed since the answer was written" in html
    assert "no longer in the index" in article_html(None, None, parse_ref(cite_href(c)))


def test_the_article_list_opens_each_article_and_escapes_titles() -> None:
    html = articles_html([ArticleInfo("a&b", "seeds/a.txt", "<i>T</i>", None, 3)])
    assert 'href="#article=a%26b"' in html and "&lt;i&gt;T&lt;/i&gt;" in html
    assert parse_ref("#article=a%26b") == SourceRef("a&b")
    assert "No articles are indexed" in articles_html([])


def test_a_source_names_the_other_articles_with_the_same_text() -> None:
    from rag.format import format_answer

    c = Citation(1, "mee", "Title", "Middle East Eye", "The quote.", 0, 10, also_in=("mee-copy", "syndicated"))
    answer = Answer("q", "The quote. [1]", True, "extractive", (c,), (AnswerSentence("The quote.", (1,), True),), ())
    assert "also in mee-copy, syndicated" in answer_html(answer)
    assert "the same text is also in: mee-copy, syndicated" in format_answer(answer)
    plain = Answer("q", "The quote. [1]", True, "extractive", (Citation(1, "mee", "T", None, "The quote.", 0, 10),),
                   (AnswerSentence("The quote.", (1,), True),), ())
    assert "also in" not in answer_html(plain) and "also in" not in format_answer(plain)


def test_a_refusal_drawn_from_a_deleted_file_says_so_and_a_fresh_answer_says_nothing() -> None:
    from rag.format import format_answer
    from rag.types import StaleFile

    refusal = Answer("q", "The articles don't say.", False, "extractive", (), (), (),
                     stale=(StaleFile("gone", "/news/gone.txt", "deleted"),))
    assert "gone.txt (was deleted since indexing)" in answer_html(refusal) and "Re-index" in answer_html(refusal)
    assert "/news/gone.txt (was deleted since indexing). What is quoted" in " ".join(format_answer(refusal).split())
    fresh = Answer("q", "The articles don't say.", False, "extractive", (), (), ())
    assert "stale" not in answer_html(fresh) and "Note:" not in format_answer(fresh)

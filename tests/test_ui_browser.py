"""The chat in a real browser: the app on 127.0.0.1, driven by headless Chromium and by gradio_client.

Chromium is Debian's (/usr/bin/chromium); `.ci/run` installs it and sets RAG_REQUIRE_BROWSER=1,
so in CI a missing browser fails these tests instead of skipping them. The LLM endpoint is
tests/fake_openai.py, a real HTTP server on loopback standing in for the paid API.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from conftest import HOCHSTEIN, ROOT, original
from eval.load import message_text
from fake_openai import FakeOpenAI, Response, passage_number, streamed
from rag.settings import Settings
from ui.app import serve
from ui.browser import ChatPage, chromium, chromium_path
from ui.render import parse_ref

pytestmark = pytest.mark.slow
QUESTION = "What did Hochstein warn Hezbollah?"
SLOW_WORD = "slowly"  # a question containing it gets a reply that takes SLOW_SECONDS
SLOW_SECONDS = 6.0
SCREENSHOTS = ROOT / ".artifacts" / "ui"

if chromium_path() is None:
    if os.environ.get("RAG_REQUIRE_BROWSER") == "1":
        raise RuntimeError("RAG_REQUIRE_BROWSER=1 but there is no Chromium: apt-get install chromium chromium-driver")
    pytest.skip("no Chromium here (apt-get install chromium); CI runs these", allow_module_level=True)


def model(request: dict) -> Response:
    """A well-behaved LLM that writes its answer in pieces, citing the passage that says it."""
    n = passage_number(request, "stand by Israel")
    if SLOW_WORD in request["messages"][-1]["content"]:
        return Response(**{**streamed([f"Hochstein warned that the US will stand by Israel [{n}]."]).__dict__,
                           "delay": SLOW_SECONDS})
    return streamed(["Hochstein warned ", "that the US will stand by Israel ", "and not condemn it publicly ",
                     f"[{n}]. He also promised sanctions on Iran."], gap=0.25)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(model) as server:
        yield server


def start(settings: Settings) -> Iterator[str]:
    app, url = serve(settings)
    try:
        yield url
    finally:
        app.close()


@pytest.fixture(scope="module")
def url(seed_settings: Settings, endpoint: FakeOpenAI) -> Iterator[str]:
    yield from start(seed_settings.replace(
        mode="extractive", openai_base_url=endpoint.url, llm_retries=0, llm_timeout=30, ui_port=0))


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201 - a playwright Browser
    with chromium() as b:
        yield b


@pytest.fixture
def chat(browser, url: str) -> Iterator[ChatPage]:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    yield ChatPage(context.new_page(), url)
    context.close()


_DEBUG = """() => { const mark = document.querySelector('#article-panel mark.cited'); if (!mark) return 'no mark';
  const m = mark.getBoundingClientRect(); let box = mark.parentElement;
  while (box && box.scrollHeight <= box.clientHeight + 1) { box = box.parentElement; }
  const b = box ? box.getBoundingClientRect() : null; return JSON.stringify({m: [m.top, m.bottom], b: b && [b.top, b.bottom], box: box && box.className, win: window.innerHeight}); }"""


def test_the_example_question_is_answered_and_a_citation_highlights_its_quote(chat: ChatPage) -> None:
    chat.page.locator("#examples").get_by_text(QUESTION, exact=True).click()  # the example fills the question box
    chat.page.wait_for_function("(q) => document.querySelector('#question textarea').value === q", arg=QUESTION)
    chat.ask(QUESTION)
    answer = chat.last_answer()
    assert "final" in answer.get_attribute("class") and "refusal" not in answer.get_attribute("class")
    links = answer.locator(".answer-text a.cite")
    assert links.count() >= 1
    for i in range(links.count()):
        link = links.nth(i)
        ref = parse_ref(link.get_attribute("href"))
        tooltip = link.get_attribute("title")  # hovering shows the quote, the title and the outlet
        chat.open_source(link)
        quote = original(ref.doc_id)[ref.start:ref.end]
        assert chat.highlighted() == quote and tooltip.startswith(f"“{' '.join(quote.split())}”")
        assert chat.page.locator("#article-panel .source-title").text_content() in tooltip
        assert chat.highlight_in_view(), (ref, chat.page.evaluate(_DEBUG))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    chat.page.screenshot(path=SCREENSHOTS / "citation.png")
    mee = next(links.nth(i) for i in range(links.count())
               if parse_ref(links.nth(i).get_attribute("href")).doc_id == HOCHSTEIN)  # Hochstein's warning, from MEE
    chat.open_source(mee)
    assert "stand by Israel" in chat.highlighted()


def test_an_llm_answer_streams_and_marks_what_its_passages_do_not_support(chat: ChatPage) -> None:
    chat.choose_mode("endpoint")
    timing = chat.ask(QUESTION)
    assert timing.streamed and timing.first_text < timing.full_answer
    answer = chat.last_answer()
    assert "Checked: 1 of 2 sentences supported" in answer.text_content()
    unsupported = answer.locator(".sentence.unsupported")
    assert unsupported.count() == 1 and "sanctions on Iran" in unsupported.text_content()
    chat.open_source(answer.locator(".answer-text a.cite").first)
    assert "stand by Israel" in chat.highlighted()


def test_a_question_the_articles_cannot_answer_gets_a_refusal(chat: ChatPage) -> None:
    chat.ask("What is the capital of Australia?")
    answer = chat.last_answer()
    assert "refusal" in answer.get_attribute("class") and "error" not in answer.get_attribute("class")
    assert answer.text_content().startswith("ⓘ The articles don't say")
    nearest = answer.locator(".nearest q.quote").text_content()
    chat.open_source(answer.locator(".nearest a.article-link"))  # the nearest sentence opens, highlighted
    assert chat.highlighted() == nearest
    chat.open_source(answer.locator(".closest a.article-link").first)  # a closest article opens, nothing highlighted
    assert chat.highlighted() is None and chat.page.locator("#article-panel .source-text").count() == 1


def test_a_follow_up_uses_the_conversation(chat: ChatPage) -> None:
    chat.ask(QUESTION)
    chat.ask("What did he warn them about next?")
    assert chat.page.locator("#chat .answer.final").count() == 2
    assert chat.last_answer().locator(".answer-text a.cite").count() >= 1


def test_the_article_list_opens_articles_and_reindexes(chat: ChatPage) -> None:
    chat.page.click("#sources")  # the accordion
    rows = chat.page.locator("#articles table.articles tbody tr")
    rows.first.wait_for()
    assert rows.count() == 5
    chat.open_source(rows.nth(0).locator("a.article-link"))
    assert chat.page.locator("#article-panel .source-title").text_content() == rows.nth(0).locator("a").text_content()
    chat.page.click("#reindex")
    chat.page.wait_for_function(
        "() => document.querySelector('#reindex-status').textContent.includes('Indexed:')")
    assert "5 unchanged" in chat.page.text_content("#reindex-status")


def test_the_endpoint_down_is_said_in_the_chat_and_the_chat_stays_usable(seed_settings: Settings, browser) -> None:  # noqa: ANN001
    server = FakeOpenAI()
    down = server.url
    server.close()
    for url in start(seed_settings.replace(mode="extractive", openai_base_url=down, llm_retries=0, ui_port=0)):
        page = ChatPage(browser.new_page(), url)
        page.choose_mode("endpoint")
        page.ask(QUESTION)
        error = page.last_answer()
        assert "error" in error.get_attribute("class")
        assert "Cannot reach" in error.text_content() and "extractive" in error.text_content()
        page.choose_mode("extractive")
        page.ask(QUESTION)
        assert "final" in page.last_answer().get_attribute("class")
        page.page.close()


def test_gradio_client_gets_the_whole_answer(url: str) -> None:
    client = Client(url, verbose=False)
    answer = client.predict(QUESTION, api_name="/ask")
    assert answer["answered"] and answer["mode"] == "extractive" and answer["citations"]
    for c in answer["citations"]:
        assert original(c["doc_id"])[c["start"]:c["end"]] == c["quote"]
    with pytest.raises(Exception, match="The question is empty"):
        client.predict("  ", api_name="/ask")


def test_gradio_client_chats_and_one_slow_user_does_not_block_another(url: str) -> None:
    client = Client(url, verbose=False)
    slow = client.submit(f"{QUESTION} Answer {SLOW_WORD}.", "openai", 5, False, api_name="/chat")
    time.sleep(0.5)  # the slow answer is under way
    started = time.perf_counter()
    question_box, shown = client.predict(QUESTION, "extractive", 5, False, api_name="/chat")
    quick = time.perf_counter() - started
    assert question_box == "" and 'class="cite"' in message_text(shown[-1])
    assert quick < SLOW_SECONDS / 2 and not slow.done()
    _, slow_shown = slow.result(timeout=60)
    assert "stand by Israel" in message_text(slow_shown[-1]) and len(slow_shown) == 2  # its own session only


def test_a_login_keeps_strangers_out(seed_settings: Settings) -> None:
    for url in start(seed_settings.replace(mode="extractive", ui_port=0, ui_auth="reader:s3cret")):
        assert httpx.get(url + "config").status_code == 401
        with pytest.raises(Exception):
            Client(url, verbose=False)
        assert Client(url, auth=("reader", "s3cret"), verbose=False).predict(QUESTION, api_name="/ask")["answered"]

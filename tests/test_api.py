"""The Python API: `ask()` always gives an Answer, Assistants close what they open, and an embedder or a chat
model can be passed in. Real Chroma, the real bundled embedder and real BM25 throughout; the chat models here
are in-process stand-ins for a paid remote API (one of them the real `openai` client over an in-memory transport).
"""
from __future__ import annotations

import json
import gc
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from conftest import CountingEmbedder, make_settings
from fake_openai import WARNING, ScriptedChat, completion, streamed, warning_reply

import rag
from rag import pipeline
from rag.embed import Embedder
from rag.errors import ClosedError, IndexMismatchError
from rag.llm import ChatModel, Endpoint
from rag.pipeline import Assistant
from rag.settings import Settings
from rag.types import Answer

QUESTION = "What did Hochstein warn Hezbollah?"


@pytest.fixture(autouse=True)
def no_open_assistants() -> Iterator[None]:
    """Each test starts and ends with no Assistant kept open by `ask()`."""
    rag.close()
    yield
    rag.close()


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Assistant]:
    """Every Assistant `ask()` opens during the test, in order."""
    made: list[Assistant] = []

    class Counted(Assistant):
        def __init__(self, settings: Settings, **kwargs: object) -> None:
            super().__init__(settings, **kwargs)  # type: ignore[arg-type]
            made.append(self)

    monkeypatch.setattr(pipeline, "Assistant", Counted)
    return made


def open_files_under(folder: Path) -> list[str]:
    """The files under `folder` this process holds open (from /proc/self/fd)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the descriptor listdir itself used
            continue
        if target.startswith(str(folder.resolve())):
            found.append(target)
    return found


# close() and the context manager


def test_close_releases_the_index_files_and_a_second_close_is_harmless(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    assistant = Assistant(settings)  # builds the index, then opens it
    assert assistant.ask(QUESTION).answered
    assert any(f.endswith(".sqlite3") or f.endswith(".sqlite") for f in open_files_under(tmp_path / "index"))
    assistant.close()
    deadline = time.monotonic() + 5  # chromadb's store may finish stopping just after close() returns
    while open_files_under(tmp_path / "index") and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.1)
    assert open_files_under(tmp_path / "index") == []  # SQLite and Chroma both let go
    assistant.close()
    assert assistant.closed


def test_asking_a_closed_assistant_says_to_open_a_new_one(seed_settings: Settings) -> None:
    assistant = Assistant(seed_settings)
    assistant.close()
    with pytest.raises(ClosedError, match=r"closed .*Open a new one with Assistant\(settings\)"):
        assistant.ask(QUESTION)
    with pytest.raises(ClosedError):
        list(assistant.ask_stream(QUESTION))
    with pytest.raises(ClosedError):
        assistant.articles()
    assert isinstance(ClosedError("x"), rag.RagError)  # the CLI and the chat show it like any other error


def test_the_with_block_closes_the_assistant(seed_settings: Settings) -> None:
    with rag.Assistant(seed_settings) as assistant:
        answer = assistant.ask(QUESTION)
    assert answer.answered and assistant.closed
    with pytest.raises(ClosedError):
        assistant.ask(QUESTION)


# ask(): one Assistant per configuration, per-call options reuse it


def test_per_call_top_k_mode_and_strict_reuse_one_assistant(seed_settings: Settings, opened: list[Assistant]) -> None:
    sizes = [len(rag.ask(QUESTION, settings=seed_settings, top_k=k).passages) for k in (2, 3, 5)]
    strict = rag.ask(QUESTION, settings=seed_settings, strict=True, mode="extractive")
    *_, streamed_answer = rag.ask_stream(QUESTION, settings=seed_settings, top_k=4)
    assert sizes == [2, 3, 5]
    assert strict.answered and isinstance(streamed_answer, Answer) and len(streamed_answer.passages) == 4
    assert len(opened) == 1


def test_ask_keeps_four_assistants_open_closes_the_oldest_and_rag_close_closes_the_rest(
    seed_settings: Settings, opened: list[Assistant]
) -> None:
    for chars in range(1000, 1005):  # five configurations of one index
        rag.ask(QUESTION, settings=seed_settings, max_question_chars=chars)
    assert len(opened) == 5
    assert [a.closed for a in opened] == [True, False, False, False, False]
    rag.ask(QUESTION, settings=seed_settings, max_question_chars=1004)  # still open: reused
    assert len(opened) == 5
    rag.close()
    assert all(a.closed for a in opened)
    assert rag.ask(QUESTION, settings=seed_settings).answered  # the next ask() opens what it needs
    assert len(opened) == 6


def test_a_per_call_top_k_out_of_range_is_an_error_that_says_what_to_do(seed_settings: Settings) -> None:
    with pytest.raises(rag.RagError, match="top_k"):
        rag.ask(QUESTION, settings=seed_settings, top_k=0)


# ask() always returns an Answer


def test_ask_returns_an_answer_and_stream_true_points_at_ask_stream(seed_settings: Settings) -> None:
    answer = rag.ask(QUESTION, settings=seed_settings)
    assert isinstance(answer, Answer) and answer.answered and answer.citations
    for call in (rag.ask, pipeline.ask):
        with pytest.raises(TypeError, match=r"respond\(\.\.\.\) with the same arguments"):
            call(QUESTION, settings=seed_settings, stream=True)
    *pieces, final = rag.ask_stream(QUESTION, settings=seed_settings)
    assert all(isinstance(p, str) for p in pieces) and final.text == answer.text


# components passed in


def test_a_custom_embedder_embeds_the_questions(seed_settings: Settings, embedder: Embedder) -> None:
    counting = CountingEmbedder(embedder)
    with Assistant(seed_settings, embedder=counting) as assistant:
        answer = assistant.ask(QUESTION)
    assert answer.answered
    assert QUESTION in counting.texts  # retrieval embedded the question with it
    assert assistant.embedder is counting


def test_a_custom_embedder_of_another_model_is_refused_by_the_index(seed_settings: Settings, embedder: Embedder) -> None:
    with pytest.raises(IndexMismatchError, match="built with embedding model"):
        Assistant(seed_settings, embedder=CountingEmbedder(embedder, name="my-other-model"))


def test_a_chat_model_object_writes_the_answer_without_a_server(seed_settings: Settings) -> None:
    chat = ScriptedChat(lambda messages: [w + " " for w in warning_reply(messages).split(" ")])  # word by word
    with Assistant(seed_settings.replace(mode="auto"), chat=chat) as assistant:  # no endpoint set: auto means it
        answer = assistant.ask(QUESTION)
        *_, streamed_answer = assistant.ask_stream(QUESTION)
    assert assistant.mode == "openai" and answer.mode == "openai"
    assert answer.answered and answer.sentences[0].supported
    assert any(WARNING in c.quote for c in answer.citations)
    assert isinstance(streamed_answer, Answer) and streamed_answer.text == answer.text
    assert len(chat.requests) == 2


def test_an_openai_client_is_used_as_given_and_left_open(seed_settings: Settings) -> None:
    """The real openai client, with an in-memory HTTP transport in place of the paid API."""
    requests: list[dict] = []

    def api(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        requests.append(body)
        text = warning_reply(body["messages"])
        if body.get("stream"):
            words = text.split(" ")
            return httpx.Response(200, content=b"".join(streamed([w + " " for w in words[:-1]] + words[-1:]).stream or []),
                                  headers={"content-type": "text/event-stream"})
        return httpx.Response(200, content=completion(text).body, headers={"content-type": "application/json"})

    client = openai.OpenAI(api_key="test", base_url="http://api.test/v1", max_retries=0,
                           http_client=httpx.Client(transport=httpx.MockTransport(api)))
    settings = seed_settings.replace(mode="openai", openai_base_url="http://api.test/v1")
    chat = ChatModel(Endpoint("http://api.test/v1", "my-model"), settings, client=client)
    with Assistant(settings, chat=chat) as assistant:
        answer = assistant.ask(QUESTION)
        *pieces, streamed_answer = assistant.ask_stream(QUESTION)
    assert answer.answered and any(WARNING in c.quote for c in answer.citations)
    assert "".join(p for p in pieces if isinstance(p, str)).startswith("Hochstein warned")
    assert isinstance(streamed_answer, Answer) and streamed_answer.text == answer.text
    assert [r["model"] for r in requests] == ["my-model", "my-model"] and requests[1]["stream"] is True
    assert not client.is_closed()  # the caller's client: closing the Assistant leaves it to its owner


# --- one call that streams and gives the checked Answer (rag.respond, Assistant.respond) ---

def test_respond_streams_the_text_then_gives_the_checked_answer(seed_settings) -> None:
    import rag

    with rag.Assistant(seed_settings) as assistant:
        response = assistant.respond("What did Hochstein warn Hezbollah?")
        pieces = list(response)
        answer = response.answer()
        assert pieces and "".join(pieces).strip() and answer.answered and answer.citations
        assert list(response) == pieces  # a second iteration replays the text
        assert str(response) == str(answer) and f"[1] {answer.citations[0].title}" in str(answer)
        assert response.text() == answer.text
    unread = rag.respond("Who is Mick Mulroy?", settings=seed_settings)
    assert unread.answer().question == "Who is Mick Mulroy?" and list(unread)  # the text is kept for a later read
    rag.close()


def test_a_follow_up_keeps_the_question_as_typed_and_the_one_answered(seed_settings) -> None:
    import rag

    with rag.Assistant(seed_settings) as assistant:
        first = assistant.ask("What did Hochstein warn Hezbollah?")
        follow = assistant.ask("What did he tell Gallant?", history=[first])
    assert follow.asked == "What did he tell Gallant?"
    assert follow.question != follow.asked and "Hochstein" in follow.question
    assert first.asked == first.question == "What did Hochstein warn Hezbollah?"


def test_str_of_an_answer_shows_its_text_and_every_source_with_its_quote(seed_settings) -> None:
    import textwrap

    with rag.Assistant(seed_settings) as assistant:
        answer = assistant.ask("What did Hochstein warn Hezbollah?")
    shown = str(answer)
    assert shown.startswith(textwrap.fill(answer.text, width=100)) and "\nSources:\n" in shown
    flat = " ".join(shown.split())
    for c in answer.citations:
        assert f"[{c.n}] {c.title}" in shown and f"characters {c.start}-{c.end}" in shown
        assert " ".join(c.quote.split()) in flat


def scripted(*items):  # noqa: ANN002, ANN201 - what an answerer streams
    yield from items


ANSWER = Answer("q", "One. Two.", True, "openai", (), (), ())


def test_a_response_replays_its_text_to_every_reader_and_ends_with_the_answer() -> None:
    from rag.response import Response

    response = Response(scripted("One.", " Two.", ANSWER))
    first = iter(response)
    assert next(first) == "One."
    assert response.answer() is ANSWER  # reads the rest
    assert list(first) == [" Two."]  # the half-read iteration goes on where it was
    a, b = iter(response), iter(response)
    assert [next(a), next(b), next(b), *a, *b] == ["One.", "One.", " Two.", " Two."]
    assert response.text() == "One. Two."


def test_a_response_raises_the_answerer_s_error_every_time_it_is_asked() -> None:
    from rag.errors import IncompleteAnswerError, LLMError
    from rag.response import Response

    def failing():  # noqa: ANN202
        yield "One."
        raise LLMError("The endpoint stopped answering. Check RAG_OPENAI_BASE_URL.")

    response = Response(failing())
    with pytest.raises(LLMError, match="Check RAG_OPENAI_BASE_URL"):
        list(response)
    with pytest.raises(LLMError, match="Check RAG_OPENAI_BASE_URL"):
        response.answer()
    cut = Response(scripted("One."))
    with pytest.raises(IncompleteAnswerError, match="no Answer came after its text"):
        str(cut)

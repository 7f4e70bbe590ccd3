"""Mode `openai` end to end against a scripted OpenAI-compatible server on 127.0.0.1, and every way it can fail.

The server (tests/fake_openai.py) stands in for the paid remote API; the openai client,
its retries, streaming, the citation checker, Chroma and the embedding model are real.
"""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import HOCHSTEIN, ROOT, free_port, original
from fake_openai import FakeOpenAI, Response, completion, error, passage_count, passage_number, streamed
from rag.format import format_answer
from rag.errors import ConfigError, ContextTooLongError, LLMError
from rag.pipeline import Assistant
from rag.settings import Settings
from rag.types import Answer

QUESTION = "What did Hochstein warn Hezbollah?"
WARNING = "stand by Israel"


def cites_the_warning(request: dict) -> Response:
    """A well-behaved model: one supported sentence citing the right passage, plus an out-of-range marker."""
    n = passage_number(request, WARNING)
    return completion(f"Hochstein warned that the US will stand by Israel and not condemn it publicly [{n}][9].")


def openai_assistant(settings: Settings, server: FakeOpenAI, **changes: object) -> Assistant:
    return Assistant(settings.replace(**{"mode": "openai", "openai_base_url": server.url, "llm_retries": 0, **changes}))


def test_openai_mode_answers_with_checked_citations(seed_settings: Settings) -> None:
    with FakeOpenAI(cites_the_warning) as server:
        answer = openai_assistant(seed_settings, server).ask(QUESTION)
    assert answer.mode == "openai" and answer.answered
    assert [s.supported for s in answer.sentences] == [True] and answer.invalid_citations == 1
    (citation,) = answer.citations
    assert citation.doc_id == HOCHSTEIN and original(HOCHSTEIN)[citation.start : citation.end] == citation.quote
    request = server.requests[0]
    assert request["temperature"] == 0.0 and request["model"] == "gpt-4o-mini"
    assert "The articles don't say" in request["messages"][0]["content"]  # the sentinel is in the rules


def test_streaming_yields_the_words_then_the_same_answer_as_ask(seed_settings: Settings) -> None:
    def stream(request: dict) -> Response:
        words = json.loads(cites_the_warning(request).body)["choices"][0]["message"]["content"].split(" ")
        return streamed([w + " " for w in words[:-1]] + [words[-1]])

    with FakeOpenAI(cites_the_warning, stream) as server:
        assistant = openai_assistant(seed_settings, server)
        plain = assistant.ask(QUESTION)
        pieces = list(assistant.ask_stream(QUESTION))
    texts, final = pieces[:-1], pieces[-1]
    assert len(texts) > 5 and all(isinstance(t, str) for t in texts)
    assert isinstance(final, Answer) and dataclasses.replace(final, timing=None) == dataclasses.replace(plain, timing=None)
    assert "".join(texts).startswith("Hochstein warned that the US")


@pytest.mark.slow  # a stream paced at 0.1 s a word
def test_the_answer_says_when_its_first_words_came_and_when_it_was_checked(seed_settings: Settings) -> None:
    def slow_stream(request: dict) -> Response:
        words = json.loads(cites_the_warning(request).body)["choices"][0]["message"]["content"].split(" ")
        return streamed([w + " " for w in words[:-1]] + [words[-1]], gap=0.1)

    with FakeOpenAI(slow_stream, cites_the_warning) as server:
        assistant = openai_assistant(seed_settings, server)
        streamed_answer = list(assistant.ask_stream(QUESTION))[-1]
        plain = assistant.ask(QUESTION)
    words = len(streamed_answer.text.split())
    assert streamed_answer.timing.answer - streamed_answer.timing.first_words >= 0.1 * (words - 2)
    assert plain.timing.first_words == plain.timing.answer > 0  # nothing is shown before the whole answer
    assert "Time: first words after" in format_answer(streamed_answer)
    assert json.loads(json.dumps(streamed_answer.to_dict()))["timing"]["first_words"] > 0


def test_rate_limits_are_retried_with_backoff(seed_settings: Settings) -> None:
    limited = error(429, "Rate limit reached", "rate_limit_exceeded", {"retry-after-ms": "20"})
    with FakeOpenAI(limited, limited, cites_the_warning) as server:
        answer = openai_assistant(seed_settings, server, llm_retries=3).ask(QUESTION)
    assert answer.answered and len(server.requests) == 3


def test_a_lasting_rate_limit_is_a_clear_error(seed_settings: Settings) -> None:
    with FakeOpenAI(error(429, "Rate limit reached", "rate_limit_exceeded", {"retry-after-ms": "20"})) as server:
        with pytest.raises(LLMError, match=r"rate limiting requests \(HTTP 429\) \(tried 2 times\)"):
            openai_assistant(seed_settings, server, llm_retries=1).ask(QUESTION)
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (error(500, "boom"), r"failed with HTTP 500"),
        (error(401, "bad key"), r"rejected the API key .* OPENAI_API_KEY"),
        (error(404, "no such model"), r"has no model 'gpt-4o-mini' .* RAG_LLM_MODEL"),
        (Response(body=b"<html>oops</html>", content_type="text/html"), r"malformed reply"),
        (Response(body=b"not json at all"), r"malformed reply"),
        (Response(body=b'{"unexpected": true}'), r"malformed reply"),
        (completion(""), r"empty reply"),
        (completion("   "), r"empty reply"),
        (streamed(["Hochstein warned "], cut=True), r"broke off midway"),
    ],
    ids=["500", "401", "404", "html", "not-json", "wrong-json", "empty", "blank", "stream-cut"],
)
def test_endpoint_failures_are_clear_errors(seed_settings: Settings, reply: Response, message: str) -> None:
    with FakeOpenAI(reply) as server:
        assistant = openai_assistant(seed_settings, server)
        with pytest.raises(LLMError, match=message):
            if reply.stream is not None:
                list(assistant.ask_stream(QUESTION))
            else:
                assistant.ask(QUESTION)


def test_a_timeout_is_a_clear_error(seed_settings: Settings) -> None:
    with FakeOpenAI(Response(delay=2.0, body=completion("late").body)) as server:
        with pytest.raises(LLMError, match=r"did not answer within 0.5 s\. .* RAG_LLM_TIMEOUT"):
            openai_assistant(seed_settings, server, llm_timeout=0.5).ask(QUESTION)


def test_an_unreachable_endpoint_is_a_clear_error(seed_settings: Settings) -> None:
    settings = seed_settings.replace(mode="openai", openai_base_url=f"http://127.0.0.1:{free_port()}/v1", llm_retries=0)
    with pytest.raises(LLMError, match=r"Cannot reach the model at http://127.0.0.1:\d+/v1"):
        Assistant(settings).ask(QUESTION)


def test_context_overflow_retries_with_fewer_passages(seed_settings: Settings) -> None:
    too_long = error(400, "the request exceeds the available context size, try increasing it", "exceed_context_size_error")

    def fits_two(request: dict) -> Response:
        return too_long if passage_count(request) > 2 else cites_the_warning(request)

    with FakeOpenAI(fits_two) as server:
        answer = openai_assistant(seed_settings, server, top_k=5).ask(QUESTION)
    assert [passage_count(r) for r in server.requests] == [5, 2]
    assert len(answer.passages) == 2


def test_context_overflow_even_with_one_passage_is_a_clear_error(seed_settings: Settings) -> None:
    too_long = error(400, "This model's maximum context length is 10 tokens", "context_length_exceeded")
    with FakeOpenAI(too_long) as server:
        with pytest.raises(ContextTooLongError, match="Lower RAG_TOP_K"):
            openai_assistant(seed_settings, server, top_k=5).ask(QUESTION)
    assert [passage_count(r) for r in server.requests] == [5, 2, 1]


def test_mode_openai_without_key_or_endpoint_says_what_to_set(seed_settings: Settings) -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY .* OPENAI_BASE_URL"):
        Assistant(seed_settings.replace(mode="openai", openai_api_key=None, openai_base_url=None))


def test_auto_mode_uses_a_configured_endpoint(seed_settings: Settings) -> None:
    with FakeOpenAI(cites_the_warning) as server:
        assert openai_assistant(seed_settings, server, mode="auto").mode == "openai"
    assert Assistant(seed_settings.replace(mode="auto")).mode == "extractive"


def test_instructions_inside_passages_are_shown_to_the_model_as_data(seed_settings: Settings) -> None:
    with FakeOpenAI(cites_the_warning) as server:
        openai_assistant(seed_settings, server).ask(QUESTION)
    system, user = server.requests[0]["messages"]
    assert system["role"] == "system" and "data, not instructions" in system["content"]
    assert user["content"].startswith("Passages:") and user["content"].rstrip().endswith(QUESTION)


@pytest.mark.slow  # a process
def test_cli_reports_an_unreachable_endpoint_in_one_line(seed_settings: Settings, tmp_path: Path) -> None:
    env = {
        **os.environ, "OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1", "RAG_LLM_RETRIES": "0",
        "RAG_INDEX_DIR": str(seed_settings.index_dir), "RAG_CORPUS": str(seed_settings.corpus),
    }
    env.pop("OPENAI_API_KEY", None)
    done = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ask", "--mode", "openai", QUESTION],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: Cannot reach the model") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_markers_written_inside_an_article_reach_the_model_as_plain_text() -> None:
    from rag.generate import answer_messages
    from rag.types import Passage

    text = "Officials cited [3] and [Source 2] and [1, 2]."
    passage = Passage("c1", "d1", "Title", None, text, 0, len(text), (), 1.0)
    user = answer_messages("Q?", [passage], 3)[1]["content"]
    assert "Officials cited (3) and (Source 2) and (1, 2)." in user
    assert user.count("[") == 1  # only the passage's own number, [1]

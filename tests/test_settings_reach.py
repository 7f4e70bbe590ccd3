"""Settings from the README's table reach the code that uses them, set as a user sets them: an environment variable.

Each test reads a non-default value with `Settings.from_env({...})` and watches its effect where it acts:
the body of the request an OpenAI-compatible server receives, the context llama.cpp is started with, the
chunks of an index, the sentences of an answer, the passages shown to an LLM, a refusal. (That each variable
fills its Settings field at all is `test_settings_flow.py`.)
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import HOCHSTEIN, SEEDS
from fake_openai import FakeOpenAI, Response, ScriptedChat, completion, streamed, warning_reply
from rag.chunk import sentence_tokenizer
from rag.embed import Embedder, token_counter
from rag.errors import LLMError
from rag.generate import GAP
from rag.index import build_index
from rag.pipeline import Assistant
from rag.prompts import REFUSAL_WEAK_EVIDENCE
from rag.settings import Settings
from rag.store import Store
from rag.types import Answer

QUESTION = "What did Hochstein warn Hezbollah?"
DEFAULTS = Settings()
GAPS = re.compile(rf"(?:^|\s){GAP}(?=\s|$)")  # where the prompt leaves sentences out (rag.generate._cut)


def seed_env(seed_settings: Settings, **variables: str) -> Settings:
    """Settings from an environment holding the seed index's location and `variables`, nothing else."""
    env = {"RAG_INDEX_DIR": str(seed_settings.index_dir), "RAG_CORPUS": str(seed_settings.corpus), **variables}
    return Settings.from_env(env)


def cites_the_warning(request: dict) -> Response:
    """One sentence citing the passage with Hochstein's warning; streamed when the request asks for a stream."""
    text = warning_reply(request["messages"])
    if request.get("stream"):
        words = text.split(" ")
        return streamed([w + " " for w in words[:-1]] + words[-1:])
    return completion(text)


# --- LLM requests ----------------------------------------------------------------------------------------------


def test_llm_temperature_and_max_tokens_from_the_environment_are_sent_with_every_answer_request(
    seed_settings: Settings, embedder: Embedder
) -> None:
    """The scripted server stands in for the paid API; the openai client and the request it sends are real."""
    assert (DEFAULTS.llm_temperature, DEFAULTS.llm_max_tokens) != (0.7, 123)
    with FakeOpenAI(cites_the_warning) as server:
        settings = seed_env(seed_settings, OPENAI_BASE_URL=server.url, RAG_LLM_RETRIES="0",
                            RAG_LLM_TEMPERATURE="0.7", RAG_LLM_MAX_TOKENS="123")
        with Assistant(settings, embedder=embedder) as assistant:
            answer = assistant.ask(QUESTION)
            *_, streamed_answer = assistant.ask_stream(QUESTION)
    assert answer.mode == "openai" and answer.answered and isinstance(streamed_answer, Answer)
    assert len(server.requests) == 2 and server.requests[1].get("stream") is True
    for request in server.requests:  # the plain request and the streamed one
        assert request["temperature"] == 0.7
        assert request["max_tokens"] == 123


def test_local_ctx_and_prompt_cache_from_the_environment_are_what_llama_cpp_is_started_with(
    seed_settings: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """llama.cpp's server is replaced by a recorder that refuses to start, so no model is loaded."""
    import xllamacpp

    started: list[tuple[int, str, bool]] = []

    def recorder(params: object) -> None:
        started.append((params.n_ctx, params.model.path, params.cache_prompt))  # type: ignore[attr-defined]
        raise RuntimeError("not started by this test")

    monkeypatch.setattr(xllamacpp, "Server", recorder)
    assert DEFAULTS.local_ctx != 3072 and DEFAULTS.local_prompt_cache
    for variables in ({"RAG_LOCAL_CTX": "3072"}, {"RAG_LOCAL_CTX": "3072", "RAG_LOCAL_PROMPT_CACHE": "false"}):
        settings = seed_env(seed_settings, RAG_MODE="local", **variables)
        with pytest.raises(LLMError, match="could not be started: not started by this test"):
            Assistant(settings, embedder=embedder)  # mode local starts its server when the Assistant opens
    assert len(started) == 2
    (context, model, cached), (_, _, uncached) = started
    assert context == 3072 and model.endswith(".gguf") and cached and not uncached


# --- indexing ---------------------------------------------------------------------------------------------------


def test_chunk_tokens_and_overlap_from_the_environment_size_the_chunks_of_a_new_index(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for article in sorted(SEEDS.glob("*.txt"))[:2]:  # about 1,400 tokens: chunks of 200 would reach 190 and more
        shutil.copy(article, folder)
    settings = Settings.from_env({"RAG_CORPUS": str(folder), "RAG_INDEX_DIR": str(tmp_path / "index"),
                                  "RAG_CHUNK_TOKENS": "120", "RAG_CHUNK_OVERLAP": "90"})
    build_index(settings, embedder)
    store = Store.open(settings.index_dir)
    try:
        ids, _ = store.all_chunks()  # in article order
        by_id = store.chunks(ids)
        chunks = [by_id[i] for i in ids]
    finally:
        store.close()
    count = token_counter()  # the embedding model's tokens, in which both settings are counted
    sizes = [len(count(c.text)) for c in chunks]
    overlaps = [
        len(count((folder / f"{a.doc_id}.txt").read_text(encoding="utf-8")[b.start : a.end]))
        for a, b in zip(chunks, chunks[1:]) if a.doc_id == b.doc_id and b.start < a.end
    ]
    assert len(chunks) >= 12, sizes  # ~1,400 tokens in chunks of at most 120
    assert max(sizes) <= 120 < DEFAULTS.chunk_tokens, sizes
    assert overlaps and max(overlaps) <= 90, overlaps
    assert max(overlaps) > DEFAULTS.chunk_overlap, overlaps  # more shared than the default would allow


# --- answers ------------------------------------------------------------------------------------------------------


def test_max_answer_sentences_from_the_environment_is_the_most_an_extractive_answer_quotes(
    seed_settings: Settings, embedder: Embedder
) -> None:
    counts = {}
    for most in ("1", "5"):
        with Assistant(seed_env(seed_settings, RAG_MODE="extractive", RAG_MAX_ANSWER_SENTENCES=most),
                       embedder=embedder) as assistant:
            answer = assistant.ask("What is Hezbollah?")  # a question many sentences answer about as well
        assert answer.answered and len(answer.citations) == len(answer.sentences), answer.text
        counts[most] = len(answer.sentences)
    assert counts["1"] == 1
    assert DEFAULTS.max_answer_sentences < counts["5"] <= 5, counts  # more than the default's 3: the setting lets them


def _shown_sentences(prompt: str) -> list[int]:
    """How many sentences each numbered passage of an answer prompt shows (a "…" gap is not one)."""
    passages = prompt.split("Passages:\n\n", 1)[1].rsplit("\n\nQuestion: ", 1)[0]
    counts = []
    for block in re.split(r"\n\n(?=\[\d+\] )", passages):
        text = block.split("\n", 1)[1]  # below the "[n] title (outlet)" line
        pieces = [piece for piece in GAPS.split(text) if piece.strip()]  # an article's own "for…" is no gap
        counts.append(sum(len(sentence_tokenizer().tokenize(piece)) for piece in pieces))
    return counts


def test_llm_passage_sentences_from_the_environment_is_how_many_sentences_of_each_passage_the_llm_reads(
    seed_settings: Settings, embedder: Embedder
) -> None:
    shown: dict[str, list[int]] = {}
    for keep in ("1", "0"):
        chat = ScriptedChat(lambda messages: [warning_reply(messages)])
        settings = seed_env(seed_settings, RAG_LLM_PASSAGE_SENTENCES=keep)
        with Assistant(settings, embedder=embedder, chat=chat) as assistant:  # no endpoint: the chat object answers
            answer = assistant.ask(QUESTION)
        assert answer.answered and len(chat.requests) == 1
        prompt = chat.requests[0][-1]["content"]
        shown[keep] = _shown_sentences(prompt)
        assert len(shown[keep]) == len(answer.passages) == DEFAULTS.top_k
        if keep == "0":  # whole passages, every sentence of each
            assert all(p.text in prompt for p in answer.passages) and not GAPS.search(prompt)
        else:
            assert GAPS.search(prompt)  # sentences were left out
    # one sentence a passage, two where the one kept opens with a pronoun and the sentence before says who it is
    assert all(n in (1, 2) for n in shown["1"]), shown
    assert max(shown["0"]) > DEFAULTS.llm_passage_sentences, shown  # the passages hold more than the default shows


def test_min_answer_score_from_the_environment_refuses_a_question_answered_at_the_default(
    seed_settings: Settings, embedder: Embedder
) -> None:
    answers = {}
    for threshold in ("", "0.99"):  # an empty variable is unset: the default
        with Assistant(seed_env(seed_settings, RAG_MODE="extractive", RAG_MIN_ANSWER_SCORE=threshold),
                       embedder=embedder) as assistant:
            answers[threshold] = assistant.ask(QUESTION)
    assert answers[""].answered and any(c.doc_id == HOCHSTEIN for c in answers[""].citations)
    refused = answers["0.99"]
    assert not refused.answered and refused.text == REFUSAL_WEAK_EVIDENCE and not refused.citations

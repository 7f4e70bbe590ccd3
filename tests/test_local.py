"""The bundled SmolLM2-135M-Instruct behind llama.cpp's real HTTP server on 127.0.0.1, through the openai client.

The model is tiny and often wrong: these tests assert what the pipeline guarantees
whatever the model writes (checked sentences, exact offsets, strict mode, streaming),
not the model's accuracy; `rag eval --mode local` measures that.
"""
from __future__ import annotations

import dataclasses
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT, original
from rag.embed import Embedder
from rag.errors import ConfigError
from rag.pipeline import Assistant
from rag.prompts import CANNOT_ANSWER, QUOTED_NOTE
from rag.serve import LocalServer, bundled_gguf, local_model_path
from rag.models import qwen_path
from rag.settings import Settings
from rag.types import Answer

QUESTIONS = ["What did Hochstein warn Hezbollah?", "Who is Mick Mulroy?"]
# The reader answers it, so that in mode local (reader gate on) the model is asked; SmolLM2 writes a supported sentence.
# SmolLM2-135M rarely writes a sentence the checker supports; to this question it does (greedy decoding, so always:
# "Who is Amos Hochstein?" did until the passages it reads changed on 2026-12-04, rag.generate.focus)
LOCAL_QUESTION = "What did Hochstein warn Hezbollah?"


@pytest.fixture(scope="module")
def llama_server() -> Iterator[LocalServer]:
    with LocalServer(bundled_gguf(), context_tokens=4096, prompt_cache=False) as server:
        yield server


@pytest.fixture(scope="module")
def via_server(seed_settings: Settings, llama_server: LocalServer) -> Assistant:
    """Mode `openai` pointed at the llama.cpp server: the path any OpenAI-compatible endpoint takes."""
    return Assistant(via_server_settings(seed_settings, llama_server))


def via_server_settings(seed_settings: Settings, llama_server: LocalServer) -> Settings:
    return seed_settings.replace(mode="openai", openai_base_url=llama_server.base_url,
                                 llm_model=llama_server.endpoint.model)


def assert_checked(answer: Answer) -> None:
    """What holds for every LLM answer: markers refer to citations, quotes are exact, refusals say so."""
    if not answer.answered:
        assert answer.text.startswith(CANNOT_ANSWER) and not answer.citations
        return
    assert answer.sentences
    numbers = {c.n for c in answer.citations}
    assert numbers == set(range(1, len(numbers) + 1))
    assert {n for s in answer.sentences for n in s.citations} == numbers, "citations lists exactly what is cited"
    for c in answer.citations:
        assert original(c.doc_id)[c.start : c.end] == c.quote
    for s in answer.sentences:
        assert s.text in answer.text
        assert not s.supported or s.citations or s.text.startswith(CANNOT_ANSWER)


def test_the_server_listens_on_loopback_only(llama_server: LocalServer) -> None:
    assert llama_server.base_url.startswith("http://127.0.0.1:")
    from openai import OpenAI

    models = OpenAI(base_url=llama_server.base_url, api_key="unused").models.list()
    assert llama_server.endpoint.model in [m.id for m in models.data]


def test_the_server_gives_the_first_token_s_log_probabilities_for_a_confirmation(seed_settings: Settings,
                                                                                  llama_server: LocalServer) -> None:
    """The real server's `logprobs`: the likeliest first tokens, best first, which the confirmer reads as a yes or
    no (the verdict is the model's); an answer it lets through says so."""
    from rag.confirm import confirm_messages, yes_no_log_odds
    from rag.llm import ChatModel
    from rag.prompts import CONFIRMED_NOTE

    chat = ChatModel(llama_server.endpoint, seed_settings)
    try:
        top = chat.first_token_logprobs(confirm_messages("Who won?", "Smith won the race."), 20)
    finally:
        chat.close()
    assert len(top) == 20 and all(lp <= 0 for _, lp in top)
    assert [lp for _, lp in top] == sorted((lp for _, lp in top), reverse=True)
    assert yes_no_log_odds(top) != 0.0  # "yes" or "no" is among the likeliest first words: the model was asked
    settings = dataclasses.replace(via_server_settings(seed_settings, llama_server), reader_gate="on", confirm="on")
    with Assistant(settings) as assistant:
        answer = assistant.ask("What is the capital of Australia?")  # the reader refuses: the model is asked
    assert_checked(answer)
    assert answer.answered == answer.note.startswith(CONFIRMED_NOTE)


def test_mode_extractive_asks_the_named_local_model_for_a_second_opinion(seed_settings: Settings,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """RAG_CONFIRM=on in mode extractive, with RAG_LOCAL_MODEL naming a GGUF (here the bundled one's file): the
    answerer is the reader with a second opinion, and a refusal the reader is unsure of goes to the local server it
    started, over HTTP, once (the verdict is the model's; the note says when it let an answer through). Closing the
    assistant closes the connection it made."""
    from rag.confirm import SecondOpinion
    from rag.llm import ChatModel
    from rag.prompts import CONFIRMED_NOTE
    from rag.serve import local_server

    asked: list[ChatModel] = []
    closed: list[ChatModel] = []
    logprobs, close = ChatModel.first_token_logprobs, ChatModel.close

    def spied(self: ChatModel, messages, top: int):  # noqa: ANN001, ANN202 - ChatModel's own signature
        asked.append(self)
        return logprobs(self, messages, top)

    def closing(self: ChatModel) -> None:
        closed.append(self)
        close(self)

    monkeypatch.setattr(ChatModel, "first_token_logprobs", spied)
    monkeypatch.setattr(ChatModel, "close", closing)
    settings = seed_settings.replace(mode="extractive", confirm="on", local_model=bundled_gguf())
    with Assistant(settings) as assistant:
        assert isinstance(assistant.answerer, SecondOpinion) and assistant.chat is None  # no LLM writes
        answer = assistant.ask("What is the capital of Australia?")  # the reader refuses, unsure: the model is asked
    assert answer.mode == "extractive" and answer.answered == answer.note.startswith(CONFIRMED_NOTE)
    assert_checked(answer)
    assert len(asked) == 1 and asked[0].endpoint == local_server(settings).endpoint
    assert closed == asked[:1]  # closed with the assistant (the server, shared by the process, runs on)


def test_answers_through_the_openai_client_are_checked(via_server: Assistant) -> None:
    answer = via_server.ask(QUESTIONS[0])
    assert answer.mode == "openai"
    assert_checked(answer)
    # SmolLM2 answers this one, copying passage sentences and often adding words of its own ("The passage is:"):
    # the checker keeps the copies and marks the rest. Its exact words vary with the CPU, so no count is asserted.
    assert answer.answered, answer.text
    quotes = {c.n: c.quote for c in answer.citations}
    for s in answer.sentences:
        if not s.citations:
            assert not s.supported, s.text  # nothing cited, nothing supported
        elif any(s.text.strip() == quotes[n].strip() for n in s.citations):
            assert s.supported, s.text  # a passage's sentence, word for word, with its marker


def test_streaming_gives_the_same_answer_as_asking(via_server: Assistant) -> None:
    plain = via_server.ask(QUESTIONS[1])
    pieces = list(via_server.ask_stream(QUESTIONS[1]))
    assert len(pieces) > 3 and all(isinstance(p, str) for p in pieces[:-1])
    # greedy decoding: the same reply, checked the same way (only the timings differ)
    assert dataclasses.replace(pieces[-1], timing=None) == dataclasses.replace(plain, timing=None)


def test_strict_mode_keeps_only_supported_sentences(via_server: Assistant) -> None:
    strict = Assistant(via_server.settings.replace(strict=True))
    answers = {}
    for question in QUESTIONS:
        # greedy decoding and the same prompt: the same reply, checked twice; strict keeps its supported sentences
        plain, answer = via_server.ask(question), strict.ask(question)
        assert_checked(answer)
        assert all(s.supported for s in answer.sentences)
        if answer.answered:
            assert [s.text for s in answer.sentences] == [s.text for s in plain.sentences if s.supported], plain.text
        else:  # a refusal only when no sentence of the reply is supported by what it cites
            assert not any(s.supported and s.citations for s in plain.sentences), plain.text
        answers[question] = answer
    # not every reply refused: strict mode had sentences to keep (here SmolLM2 copies one about Mulroy, and writes
    # an unsupported one about Hochstein's warning, which strict mode drops)
    assert any(a.answered and a.citations for a in answers.values()), {q: a.text for q, a in answers.items()}


@pytest.mark.slow  # starts the bundled model
def test_mode_local_starts_the_bundled_model_itself(seed_settings: Settings, embedder: Embedder, tmp_path: Path) -> None:
    # an empty model cache: a machine without `rag models install` (an installed Qwen would be started instead);
    # the embedder is passed in, so that the embedding model is not exported into that cache again
    settings = seed_settings.replace(mode="local", model_cache=tmp_path / "no-models")
    with Assistant(settings, embedder=embedder) as assistant:
        assert assistant.mode == "local" and assistant.chat is not None
        assert assistant.chat.endpoint.base_url.startswith("http://127.0.0.1:")
        assert assistant.chat.name == bundled_gguf().stem
        answer = assistant.ask(LOCAL_QUESTION)
    assert_checked(answer)
    # the model's own answer: not a refusal, and not the reader's quotes standing in for it (rag.generate)
    assert answer.mode == "local" and answer.answered, answer.text
    assert QUOTED_NOTE not in answer.note, answer.text
    assert any(s.supported for s in answer.sentences), answer.text


@pytest.mark.slow  # starts the bundled model
def test_cli_ask_mode_local_shows_which_sentences_are_supported(seed_settings: Settings) -> None:
    env = {**os.environ, "RAG_INDEX_DIR": str(seed_settings.index_dir), "RAG_CORPUS": str(seed_settings.corpus)}
    done = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ask", "--mode", "local", QUESTIONS[0]],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    # the tiny model answers (no refusal) and every sentence is shown with the checker's verdict; which verdicts it
    # gets depends on the model's words, which vary with the CPU's arithmetic, so the test holds the count to the lines
    checked = re.search(r"^Checked \(local\): (\d+) of (\d+) sentences supported", done.stdout, re.M)
    assert checked, done.stdout
    supported, total = int(checked[1]), int(checked[2])
    lines = done.stdout.splitlines()
    assert total > 0
    assert sum(line.startswith("supported   ") for line in lines) == supported, done.stdout
    assert sum(line.startswith("UNSUPPORTED ") for line in lines) == total - supported, done.stdout
    assert "\nSources:\n  [1] " in done.stdout
    # llama.cpp's log stays quiet; without `rag models install`, one warning says the bundled model is a stand-in, and
    # with Qwen installed (as `make test` does) there is nothing to warn about
    if qwen_path(Settings.from_env(env)).is_file():
        assert done.stderr.strip() == "", done.stderr
    else:
        lines = done.stderr.splitlines()
        assert lines and all(line.startswith("warning: mode local is using the tiny bundled SmolLM2-135M") and
                             "rag models install" in line for line in lines), done.stderr


@pytest.mark.slow  # starts the bundled model
def test_closing_the_server_frees_its_port() -> None:
    server = LocalServer(bundled_gguf(), context_tokens=1024, prompt_cache=False)
    port = int(server.base_url.rsplit(":", 1)[1].split("/")[0])
    server.close()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_a_missing_or_wrong_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot read the local model .* RAG_LOCAL_MODEL"):
        local_model_path(Settings.from_env({}, local_model=str(tmp_path / "nope.gguf")))
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("not a model")
    with pytest.raises(ConfigError, match="is not a GGUF model file"):
        local_model_path(Settings.from_env({}, local_model=str(not_gguf)))

"""Answer: the pluggable answerer interface and the choice of answerer for a mode.

| mode         | who writes the answer                                                   |
|--------------|-------------------------------------------------------------------------|
| `extractive` | no LLM writes: the source sentences that best answer the question (offline) |
| `local`      | a GGUF model behind llama.cpp's server on 127.0.0.1 (bundled SmolLM2)   |
| `openai`     | OpenAI, or any OpenAI-compatible server at OPENAI_BASE_URL              |
| `auto`       | `openai` when OPENAI_API_KEY or OPENAI_BASE_URL is set, else OFFLINE_DEFAULT |

With RAG_CONFIRM=on, mode `extractive` asks the installed local model for a second opinion before it refuses
(`rag.confirm`, `make_judge_model`); in mode `local` that is the default ("auto") once Qwen is installed.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from rag.cite import CitationChecker
from rag.confirm import Confirmer, LogProbs, SecondOpinion
from rag.embed import Embedder
from rag.errors import ConfigError
from rag.extractive import ExtractiveAnswerer
from rag.generate import GroundedAnswerer, LLMAnswerer
from rag.llm import Chat, ChatModel, openai_endpoint
from rag.read import Reader
from rag.settings import Settings
from rag.types import Answer, Passage

# The better offline mode on eval/questions.jsonl (docs/answer-modes.md): the bundled
# 135M-parameter model answers fewer questions correctly than the extractive answerer.
OFFLINE_DEFAULT = "extractive"


class Answerer(Protocol):
    """Turns a question and its retrieved passages into a cited Answer (or a refusal)."""

    mode: str

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer: ...

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]: ...


def resolve_mode(settings: Settings) -> str:
    """The concrete mode behind `settings.mode` (`auto` picks the best one available)."""
    if settings.mode != "auto":
        return settings.mode
    return "openai" if settings.endpoint_configured else OFFLINE_DEFAULT


def make_chat_model(settings: Settings) -> ChatModel | None:
    """The LLM the settings' mode writes with (None for `extractive`); mode `local` starts its server."""
    mode = resolve_mode(settings)
    if mode == "openai":
        return ChatModel(openai_endpoint(settings), settings)
    if mode == "local":
        from rag.serve import local_server

        return ChatModel(local_server(settings).endpoint, settings)
    return None


def make_judge_model(settings: Settings) -> ChatModel:
    """The local model as mode `extractive`'s second opinion (RAG_CONFIRM=on); its server starts now.

    Raises:
        ConfigError: no model is installed or named by RAG_LOCAL_MODEL (the bundled SmolLM2 was never measured as a
            judge).
    """
    from rag.models import INSTALL_HINT
    from rag.serve import local_server, uses_bundled_model

    if uses_bundled_model(settings):
        raise ConfigError(f"RAG_CONFIRM=on in mode extractive asks the local model for a second opinion, and none is "
                          f"installed. {INSTALL_HINT}, or set RAG_LOCAL_MODEL to a GGUF file, or RAG_CONFIRM=off.")
    return ChatModel(local_server(settings).endpoint, settings)


def make_answerer(settings: Settings, embedder: Embedder, chat: Chat | None, reader: Reader) -> Answerer:
    """The answerer for the settings' mode; `chat` is `make_chat_model(settings)` (in mode `extractive`, the
    second opinion's model, `make_judge_model`, or None), `reader` scores sentences (the extractive answer, and the
    passages an LLM is shown)."""
    mode = resolve_mode(settings)
    if mode == "extractive":
        confirmer = None if chat is None else make_confirmer(settings, mode, chat)
        if confirmer is not None:
            return SecondOpinion(ExtractiveAnswerer(settings, reader), confirmer)
        return ExtractiveAnswerer(settings, reader)
    assert chat is not None, f"mode {mode!r} needs a chat model"
    llm = LLMAnswerer(mode, chat, CitationChecker(embedder, reader.analyser), settings, reader)
    if gated(settings, mode):
        return GroundedAnswerer(llm, ExtractiveAnswerer(settings, reader), make_confirmer(settings, mode, chat))
    return llm


def gated(settings: Settings, mode: str) -> bool:
    """Whether the reader gates the LLM of `mode` (settings.reader_gate; "auto": in mode `local` only)."""
    return settings.reader_gate == "on" or (settings.reader_gate == "auto" and mode == "local")


def make_confirmer(settings: Settings, mode: str, chat: Chat) -> Confirmer | None:
    """The second opinion on the reader's refusals (settings.confirm), or None. "auto": in mode `local`, with a chat
    model that gives log-probabilities (`ChatModel` does), unless the local model is the bundled SmolLM2-135M (never
    measured as a judge) or none is installed. "on": in every mode (in mode `extractive`, `chat` is the judge).

    Raises:
        ConfigError: confirm is "on" and the chat model cannot give log-probabilities.
    """
    if settings.confirm == "off":
        return None
    if not isinstance(chat, LogProbs):
        if settings.confirm == "on":
            raise ConfigError(f"RAG_CONFIRM=on needs a chat model that gives log-probabilities, and {chat.name!r} "
                              "does not. Set RAG_CONFIRM=auto or off.")
        return None
    if settings.confirm == "auto":
        from rag.serve import uses_bundled_model

        if mode != "local" or uses_bundled_model(settings):  # no model installed or named: none that was measured
            return None
    return Confirmer(chat)

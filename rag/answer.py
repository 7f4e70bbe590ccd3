"""Answer: the pluggable answerer interface and the choice of answerer for a mode.

| mode         | who writes the answer                                                   |
|--------------|-------------------------------------------------------------------------|
| `extractive` | no LLM: the source sentences that best answer the question (offline)    |
| `local`      | a GGUF model behind llama.cpp's server on 127.0.0.1 (bundled SmolLM2)   |
| `openai`     | OpenAI, or any OpenAI-compatible server at OPENAI_BASE_URL              |
| `auto`       | `openai` when OPENAI_API_KEY or OPENAI_BASE_URL is set, else OFFLINE_DEFAULT |
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from rag.cite import CitationChecker
from rag.embed import Embedder
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


def make_answerer(settings: Settings, embedder: Embedder, chat: Chat | None, reader: Reader) -> Answerer:
    """The answerer for the settings' mode; `chat` is `make_chat_model(settings)`, `reader` scores sentences
    (the extractive answer, and the passages an LLM is shown)."""
    mode = resolve_mode(settings)
    if mode == "extractive":
        return ExtractiveAnswerer(settings, reader)
    assert chat is not None, f"mode {mode!r} needs a chat model"
    llm = LLMAnswerer(mode, chat, CitationChecker(embedder, reader.analyser), settings, reader)
    if gated(settings, mode):
        return GroundedAnswerer(llm, ExtractiveAnswerer(settings, reader))
    return llm


def gated(settings: Settings, mode: str) -> bool:
    """Whether the reader gates the LLM of `mode` (settings.reader_gate; "auto": in mode `local` only)."""
    return settings.reader_gate == "on" or (settings.reader_gate == "auto" and mode == "local")

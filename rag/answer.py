"""Answer: the pluggable answerer interface and the choice of answerer for a mode."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from rag.embed import Embedder
from rag.extractive import ExtractiveAnswerer
from rag.lexical import LexicalIndex
from rag.settings import Settings
from rag.types import Answer, Passage


class Answerer(Protocol):
    """Turns a question and its retrieved passages into a cited Answer (or a refusal)."""

    mode: str

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer: ...


def resolve_mode(settings: Settings) -> str:
    """The concrete mode behind `settings.mode` (`auto` picks the best one available)."""
    return "extractive" if settings.mode == "auto" else settings.mode


def make_answerer(settings: Settings, embedder: Embedder, lexical: LexicalIndex) -> Answerer:
    """The answerer for the settings' mode."""
    mode = resolve_mode(settings)
    if mode == "extractive":
        return ExtractiveAnswerer(settings, embedder, lexical)
    raise AssertionError(f"unhandled mode {mode!r}")  # Settings.validate() admits only known modes

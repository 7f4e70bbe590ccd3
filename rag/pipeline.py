"""The pipeline: question → hybrid retrieval → answerer → Answer. `ask()` is the public entry point."""
from __future__ import annotations

import functools
import logging
from pathlib import Path

from rag.answer import make_answerer
from rag.embed import load_embedder
from rag.errors import IndexMissingError, QuestionError
from rag.index import build_index, index_exists, open_index
from rag.retrieve import Retriever
from rag.settings import Settings
from rag.types import Answer

log = logging.getLogger("rag")


class Assistant:
    """An open index with its embedding model: reuse one to answer many questions quickly."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embedder = load_embedder(settings)
        if not index_exists(settings):
            if not Path(settings.corpus).is_dir():
                raise IndexMissingError(
                    f"No index at {settings.index_dir}, and no folder {settings.corpus} to build one from. "
                    "Run `rag index PATH` with your article folder, or set RAG_CORPUS."
                )
            log.info("no index at %s yet: building it from %s", settings.index_dir, settings.corpus)
            build_index(settings, self.embedder)
        self.index = open_index(settings, self.embedder)
        self.retriever = Retriever(self.index, self.embedder)

    def ask(self, question: str, *, top_k: int | None = None) -> Answer:
        """Answer one question; see `rag.ask` for the details."""
        question = _check_question(question, self.settings.max_question_chars)
        if self.index.store.generation() != self.index.lexical.generation:  # re-indexed since opened
            self.index = open_index(self.settings, self.embedder)
            self.retriever = Retriever(self.index, self.embedder)
        passages = self.retriever.retrieve(question, top_k or self.settings.top_k)
        answerer = make_answerer(self.settings, self.embedder, self.index.lexical)
        return answerer.answer(question, passages)


def ask(question: str, *, settings: Settings | None = None, **options: object) -> Answer:
    """Answer a question about the indexed articles, citing the passages that support it.

    The first call builds the index from `settings.corpus` if there is none.

    Args:
        question: what to ask, e.g. "What did Hochstein warn Hezbollah?".
        settings: the settings to use (default: `Settings.from_env()`).
        **options: overrides of single settings, e.g. `top_k=8`, `mode="extractive"`,
            `index_dir=".rag"`, `corpus="seeds"`.
    Returns:
        An Answer. A question the articles do not answer gives `answered=False` with a
        text starting "The articles don't say", not an exception.
    Raises:
        QuestionError: the question is empty or too long.
        RagError: the settings, the folder or the index cannot be used (the message says what to do).
    """
    base = settings or Settings.from_env()
    chosen = base.replace(**options) if options else base
    return assistant(chosen).ask(question)


@functools.lru_cache(maxsize=4)
def assistant(settings: Settings) -> Assistant:
    """The Assistant for these settings, opened once and reused (settings are frozen, so hashable)."""
    return Assistant(settings)


def _check_question(question: str, max_chars: int) -> str:
    if not isinstance(question, str) or not question.strip():
        raise QuestionError('The question is empty. Ask something about the articles, e.g. "What did Hochstein warn Hezbollah?".')
    cleaned = "".join(ch if ch.isprintable() else " " for ch in question).strip()
    if len(cleaned) > max_chars:
        raise QuestionError(
            f"The question is {len(cleaned):,} characters long; ask it in at most {max_chars:,} (RAG_MAX_QUESTION_CHARS)."
        )
    if not cleaned:
        raise QuestionError("The question has no printable characters. Type the question as plain text.")
    return cleaned

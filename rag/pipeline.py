"""The pipeline: question → hybrid retrieval → answerer → Answer. `ask()` is the public entry point."""
from __future__ import annotations

import functools
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

from rag.answer import make_answerer, make_chat_model
from rag.embed import load_embedder
from rag.errors import IndexMissingError, QuestionError
from rag.followup import Turn, standalone_question
from rag.index import build_index, index_exists, open_index
from rag.retrieve import Retriever
from rag.settings import Settings
from rag.types import Answer, Passage

log = logging.getLogger("rag")


class Assistant:
    """An open index with its embedding model and answerer: reuse one to answer many questions quickly."""

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
        self.chat = make_chat_model(settings)
        self._open()

    @property
    def mode(self) -> str:
        """The concrete answer mode (`auto` resolved)."""
        return self.answerer.mode

    def ask(self, question: str, *, top_k: int | None = None, history: Sequence[Turn] = ()) -> Answer:
        """Answer one question; see `rag.ask` for the details."""
        standalone, passages = self._retrieve(question, top_k, history)
        return self.answerer.answer(standalone, passages)

    def ask_stream(
        self, question: str, *, top_k: int | None = None, history: Sequence[Turn] = ()
    ) -> Iterator[str | Answer]:
        """The answer's text as it is written, then the checked Answer; see `rag.ask_stream`."""
        standalone, passages = self._retrieve(question, top_k, history)
        yield from self.answerer.stream(standalone, passages)

    def _retrieve(self, question: str, top_k: int | None, history: Sequence[Turn]) -> tuple[str, list[Passage]]:
        question = _check_question(question, self.settings.max_question_chars)
        if self.index.store.generation() != self.index.lexical.generation:  # re-indexed since opened
            self._open()
        standalone = standalone_question(question, history, self.chat) if history else question
        return standalone, self.retriever.retrieve(standalone, top_k or self.settings.top_k)

    def _open(self) -> None:
        self.index = open_index(self.settings, self.embedder)
        self.retriever = Retriever(self.index, self.embedder)
        self.answerer = make_answerer(self.settings, self.embedder, self.index.lexical, self.chat)


def ask(
    question: str, *, settings: Settings | None = None, history: Sequence[Turn] = (), stream: bool = False,
    **options: object,
) -> Answer | Iterator[str | Answer]:
    """Answer a question about the indexed articles, citing the passages that support it.

    The first call builds the index from `settings.corpus` if there is none.

    Args:
        question: what to ask, e.g. "What did Hochstein warn Hezbollah?".
        settings: the settings to use (default: `Settings.from_env()`).
        history: earlier turns of the conversation (Answers, or chat messages
            `{"role": "user" | "assistant", "content": …}`): a follow-up such as
            "What did he warn them about next?" is rewritten to stand alone.
        stream: return `ask_stream(...)` instead: text as it arrives, then the Answer.
        **options: overrides of single settings, e.g. `top_k=8`, `mode="local"`,
            `strict=True`, `index_dir=".rag"`, `corpus="seeds"`.
    Returns:
        An Answer. A question the articles do not answer gives `answered=False` with a
        text starting "The articles don't say", not an exception. Each of
        `answer.sentences` says which citations it carries and whether they support it.
    Raises:
        QuestionError: the question is empty or too long.
        LLMError: the LLM endpoint is unreachable, times out, stays rate limited, or
            replies with nothing usable (the message says what to do).
        RagError: the settings, the folder or the index cannot be used.
    """
    if stream:
        return ask_stream(question, settings=settings, history=history, **options)
    return assistant(_settings(settings, options)).ask(question, history=history)


def ask_stream(
    question: str, *, settings: Settings | None = None, history: Sequence[Turn] = (), **options: object
) -> Iterator[str | Answer]:
    """Like `ask`, but yields the answer's text as the model writes it (str pieces), then the final Answer.

    The final Answer is checked exactly as `ask` checks it, so nothing is lost by
    streaming; its text may differ from the streamed text, because the markers are
    renumbered to the checked citations (and, with `strict`, unsupported sentences go).
    """
    return assistant(_settings(settings, options)).ask_stream(question, history=history)


def _settings(settings: Settings | None, options: dict[str, object]) -> Settings:
    base = settings or Settings.from_env()
    return base.replace(**options) if options else base


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

"""newsqa: answers about news articles in which every sentence cites the passage that supports it.

    >>> from rag import ask, respond
    >>> answer = ask("What did Hochstein warn Hezbollah?")
    >>> answer.text, answer.citations[0].quote
    >>> print(answer)                     # as `rag ask` prints it, with its sources
    >>> response = respond("Who is Mick Mulroy?")
    >>> for piece in response: print(piece, end="")   # the text as it is written
    >>> response.answer().citations      # then the checked Answer
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from rag.errors import ClosedError, RagError
from rag.settings import Settings
from rag.response import Response
from rag.types import Answer, AnswerSentence, Citation, Filters, IndexReport, Passage


if TYPE_CHECKING:
    from rag.pipeline import Assistant


def ask(question: str, **options: object) -> Answer:
    """Answer a question about the indexed articles (always an Answer; `ask_stream` for the text as it is
    written); see `rag.pipeline.ask`."""
    from rag.pipeline import ask as _ask

    return _ask(question, **options)  # type: ignore[arg-type]


def ask_stream(question: str, **options: object) -> Iterator[str | Answer]:
    """The answer's text as it is written, then the checked Answer; see `rag.pipeline.ask_stream`."""
    from rag.pipeline import ask_stream as _ask_stream

    return _ask_stream(question, **options)  # type: ignore[arg-type]


def respond(question: str, **options: object) -> Response:
    """The answer as it is written: iterate it for the text, then `.answer()` for the checked Answer; see
    `rag.pipeline.respond`."""
    from rag.pipeline import respond as _respond

    return _respond(question, **options)  # type: ignore[arg-type]


def close() -> None:
    """Close the Assistants `ask()`, `respond()` and `ask_stream()` keep open (index connections, chat clients);
    see `rag.pipeline.close`. The next `ask()` opens what it needs again."""
    from rag.pipeline import close as _close

    _close()


def __getattr__(name: str) -> object:
    """`rag.Assistant`, imported on first use (it loads the index and model libraries)."""
    if name == "Assistant":
        from rag.pipeline import Assistant

        return Assistant
    raise AttributeError(f"module 'rag' has no attribute {name!r}")


def build_index(
    folder: str | None = None, *, settings: Settings | None = None, replace: bool = False, rebuild: bool = False,
) -> IndexReport:
    """Index the articles under `folder` beside the index's other folders (`replace`: in their place), or,
    without `folder`, re-index every folder the index holds (a new index: the settings' corpus).
    Only changes are embedded; see `rag.index.build_index`."""
    from pathlib import Path

    from rag.embed import load_embedder
    from rag.index import build_index as _build

    settings = settings or Settings.from_env()
    return _build(settings, load_embedder(settings), Path(folder) if folder else None, replace=replace, rebuild=rebuild)


__all__ = [
    "Answer", "AnswerSentence", "Assistant", "Citation", "ClosedError", "Filters", "IndexReport", "Passage", "RagError",
    "Response", "Settings", "ask", "ask_stream", "build_index", "close", "respond",
]

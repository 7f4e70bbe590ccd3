"""Response: an answer as it is being written, in the style of simonw/llm's `Response`.

    response = rag.respond("What did Hochstein warn Hezbollah?")
    for piece in response:          # the text as the model writes it (all at once in extractive mode)
        print(piece, end="")
    answer = response.answer()      # the checked Answer: citations, verdicts, timing

Iterating again replays the pieces; `answer()` reads whatever is left first, so it can be called
without iterating. `str(response)` is the checked answer as `rag ask` prints it.
"""
from __future__ import annotations

from collections.abc import Iterator

from rag.types import Answer


class Response:
    """The pieces of an answer's text as they arrive, and the checked Answer at the end."""

    def __init__(self, pieces: Iterator[str | Answer]) -> None:
        self._source = pieces
        self._pieces: list[str] = []
        self._answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        yield from list(self._pieces)  # what has arrived already (a second iteration replays it)
        if self._answer is not None:
            return
        for piece in self._source:
            if isinstance(piece, Answer):
                self._answer = piece
                return
            self._pieces.append(piece)
            yield piece
        raise RuntimeError("The answer stopped before it was checked: no Answer came after its text.")

    def answer(self) -> Answer:
        """The checked Answer (reading the rest of the text first, if it has not been read)."""
        if self._answer is None:
            for _ in self:
                pass
        assert self._answer is not None
        return self._answer

    def text(self) -> str:
        """The checked answer's text, with its `[n]` markers (it may differ from the streamed pieces: markers
        are renumbered to the citations, and strict mode drops unsupported sentences)."""
        return self.answer().text

    def __str__(self) -> str:
        return str(self.answer())

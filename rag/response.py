"""Response: an answer as it is being written, in the style of simonw/llm's `Response`.

    response = rag.respond("What did Hochstein warn Hezbollah?")
    for piece in response:          # the text as the model writes it (all at once in extractive mode)
        print(piece, end="")
    answer = response.answer()      # the checked Answer: citations, verdicts, timing

Iterating again replays the pieces; `answer()` reads whatever is left first, so it can be called
without iterating. `str(response)` is the checked answer as `rag ask` prints it.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator

from rag.errors import IncompleteAnswerError
from rag.types import Answer


class Response:
    """The pieces of an answer's text as they arrive, and the checked Answer at the end.

    Any number of iterations, one after another or interleaved, each see every piece once, in order; the
    source is read only as far as some reader has asked. An error while answering (an `LLMError` that says
    what to do, say) is raised where it happened and again by every later call, never hidden."""

    def __init__(self, pieces: Iterator[str | Answer]) -> None:
        self._source = pieces
        self._pieces: list[str] = []
        self._answer: Answer | None = None
        self._error: BaseException | None = None
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[str]:
        cursor = 0
        while True:
            with self._lock:
                if cursor == len(self._pieces) and self._answer is None:
                    self._pull()
                if cursor == len(self._pieces):
                    return  # the answer is in, and every piece has been given
                piece = self._pieces[cursor]
            cursor += 1
            yield piece

    def _pull(self) -> None:
        """Read one more item from the source (the lock held): a piece, or the Answer."""
        if self._error is not None:
            raise self._error
        try:
            item = next(self._source)
        except StopIteration:
            self._error = IncompleteAnswerError(
                "The answer stopped before it was checked: no Answer came after its text. Ask again.")
            raise self._error from None
        except Exception as exc:
            self._error = exc
            raise
        if isinstance(item, Answer):
            self._answer = item
        else:
            self._pieces.append(item)

    def answer(self) -> Answer:
        """The checked Answer (reading the rest of the text first, if it has not been read)."""
        with self._lock:
            while self._answer is None:
                self._pull()
            return self._answer

    def text(self) -> str:
        """The checked answer's text, with its `[n]` markers (it may differ from the streamed pieces: markers
        are renumbered to the citations, and strict mode drops unsupported sentences)."""
        return self.answer().text

    def __str__(self) -> str:
        return str(self.answer())

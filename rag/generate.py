"""Generate: answers written by an LLM from numbered passages, then checked sentence by sentence.

The prompt numbers the retrieved passages [1], [2], …; the model's reply goes through
`rag.cite.CitationChecker`, which keeps the exact article offsets of each sentence's
evidence. When the passages overflow the model's context, the answer is retried with
half as many (best first) before giving up with a clear message.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from rag.cite import CitationChecker
from rag.errors import ContextTooLongError
from rag.guard import as_data
from rag.llm import ChatModel, Message
from rag.prompts import (
    ANSWER_SYSTEM_PROMPT,
    ANSWER_USER_PROMPT,
    CANNOT_ANSWER,
    PASSAGE_TEMPLATE,
    REFUSAL_EMPTY_INDEX,
)
from rag.settings import Settings
from rag.types import Answer, Passage

T = TypeVar("T")


def answer_messages(question: str, passages: Sequence[Passage], max_sentences: int) -> list[Message]:
    """The chat messages for one question: the rules, then the numbered passages and the question."""
    blocks = [
        PASSAGE_TEMPLATE.format(
            n=n, title=p.title, outlet=f" ({p.outlet})" if p.outlet else "", text=as_data(p.text)
        )
        for n, p in enumerate(passages, 1)
    ]
    system = ANSWER_SYSTEM_PROMPT.format(max_sentences=max_sentences, cannot_answer=CANNOT_ANSWER + ".")
    user = ANSWER_USER_PROMPT.format(passages="\n\n".join(blocks), question=question)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


class LLMAnswerer:
    """Answers with an LLM behind an OpenAI-compatible endpoint; every sentence checked against its citations."""

    def __init__(self, mode: str, chat: ChatModel, checker: CitationChecker, settings: Settings) -> None:
        self.mode = mode
        self.chat = chat
        self._checker = checker
        self._settings = settings

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        """The checked answer (see `rag.cite`)."""
        if not passages:
            return _refusal(question, self.mode)
        reply, used = self._fitting(passages, lambda ps: self.chat.complete(self._messages(question, ps)))
        return self._checker.check(question, reply, used, mode=self.mode, strict=self._settings.strict)

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        """The reply's text as it arrives, then the checked Answer (the same one `answer` gives for that reply)."""
        if not passages:
            refusal = _refusal(question, self.mode)
            yield refusal.text
            yield refusal
            return
        pieces: list[str] = []

        def first_piece(ps: Sequence[Passage]) -> Iterator[str]:
            stream = self.chat.stream(self._messages(question, ps))
            pieces.append(next(stream, ""))  # a context overflow surfaces here, before anything is shown
            return stream

        stream, used = self._fitting(passages, first_piece)
        yield pieces[0]
        for piece in stream:
            pieces.append(piece)
            yield piece
        yield self._checker.check(question, "".join(pieces), used, mode=self.mode, strict=self._settings.strict)

    def _messages(self, question: str, passages: Sequence[Passage]) -> list[Message]:
        return answer_messages(question, passages, self._settings.max_answer_sentences)

    def _fitting(self, passages: Sequence[Passage], call: Callable[[Sequence[Passage]], T]) -> tuple[T, Sequence[Passage]]:
        """`call` with all passages; on a context overflow, again with half as many, down to one."""
        count = len(passages)
        while True:
            try:
                return call(passages[:count]), passages[:count]
            except ContextTooLongError:
                if count == 1:
                    raise
                count //= 2


def _refusal(question: str, mode: str) -> Answer:
    return Answer(question, REFUSAL_EMPTY_INDEX, False, mode, (), (), (), reason=REFUSAL_EMPTY_INDEX)

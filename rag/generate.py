"""Generate: answers written by an LLM from numbered passages, then checked sentence by sentence.

The prompt numbers the retrieved passages [1], [2], … in the order of the best score the reader
(`rag.read`) gives one of their sentences, each cut to its sentences the reader scores best for the
question (`settings.llm_passage_sentences`, in article order, a gap shown as "…"): a small model leans on
the first passage it reads, a shorter prompt is read sooner, and the model is less led astray by the rest
of the passage. The model's reply goes through
`rag.cite.CitationChecker`, which keeps the exact article offsets of each sentence's
evidence. When the passages overflow the model's context, the answer is retried with
half as many (best first) before giving up with a clear message.

`GroundedAnswerer` puts the reader in front of the LLM (setting `reader_gate`): when no sentence reaches
the refusal threshold the answer is the extractive answerer's refusal and the LLM is not called; when the
LLM declines, or writes no sentence the passages support, the reader's own cited sentences answer instead. Before
the gate refuses, a `rag.confirm.Confirmer` (setting `confirm`: "auto" in mode `local`; `rag.confirm.SecondOpinion`)
asks the LLM whether the reader's nearest sentence answers; on its yes the question is answered as if that sentence
had reached the threshold.
Chosen on the seeds-fresh tuning questions (the two systems' answers combined question by question: the
local Qwen2.5-1.5B alone 23 of 78 answerable right and 11 of 14 unanswerable refused, gated 45 and 12);
held out, 15 of 21 and 3 of 6 against 7 and 5 alone (16 of 21 with the prompt cache, the same with the
pronoun's antecedent; docs/answer-modes.md).
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from rag.cite import CitationChecker
from rag.confirm import Confirmer, SecondOpinion, noted
from rag.errors import ContextTooLongError
from rag.extractive import ExtractiveAnswerer
from rag.guard import as_data
from rag.llm import Chat, Message
from rag.read import Reader, contexts
from rag.prompts import (
    ANSWER_SYSTEM_PROMPT,
    ANSWER_USER_PROMPT,
    CANNOT_ANSWER,
    PASSAGE_TEMPLATE,
    QUOTED_INSTEAD,
    QUOTED_NOTE,
    REFUSAL_EMPTY_INDEX,
)
from rag.settings import Settings
from rag.types import Answer, Passage

T = TypeVar("T")


GAP = "…"


def answer_messages(
    question: str, passages: Sequence[Passage], max_sentences: int, shown: Sequence[str] | None = None
) -> list[Message]:
    """The chat messages for one question: the rules, then the numbered passages and the question.

    `shown` is the text shown for each passage (default: the whole passage)."""
    texts = shown if shown is not None else [p.text for p in passages]
    blocks = [
        PASSAGE_TEMPLATE.format(
            n=n, title=p.title, outlet=f" ({p.outlet})" if p.outlet else "", text=as_data(text)
        )
        for n, (p, text) in enumerate(zip(passages, texts), 1)
    ]
    system = ANSWER_SYSTEM_PROMPT.format(max_sentences=max_sentences, cannot_answer=CANNOT_ANSWER)
    user = ANSWER_USER_PROMPT.format(passages="\n\n".join(blocks), question=question)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


class LLMAnswerer:
    """Answers with an LLM behind an OpenAI-compatible endpoint; every sentence checked against its citations."""

    def __init__(
        self, mode: str, chat: Chat, checker: CitationChecker, settings: Settings, reader: Reader | None = None
    ) -> None:
        self.mode = mode
        self.chat = chat
        self._checker = checker
        self._settings = settings
        self._reader = reader  # None: whole passages are shown

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        """The checked answer (see `rag.cite`)."""
        if not passages:
            return _refusal(question, self.mode)
        shown = self._shown(question, passages)
        reply, used = self._fitting(shown, lambda s: self.chat.complete(self._messages(question, s)))
        return self._checked(question, reply, passages, used)

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        """The reply's text as it arrives, then the checked Answer (the same one `answer` gives for that reply)."""
        if not passages:
            refusal = _refusal(question, self.mode)
            yield refusal.text
            yield refusal
            return
        pieces: list[str] = []

        def first_piece(shown: Sequence[tuple[Passage, str]]) -> Iterator[str]:
            stream = self.chat.stream(self._messages(question, shown))
            pieces.append(next(stream, ""))  # a context overflow surfaces here, before anything is shown
            return stream

        stream, used = self._fitting(self._shown(question, passages), first_piece)
        yield pieces[0]
        for piece in stream:
            pieces.append(piece)
            yield piece
        yield self._checked(question, "".join(pieces), passages, used)

    def _checked(self, question: str, reply: str, passages: Sequence[Passage],
                 used: Sequence[tuple[Passage, str]]) -> Answer:
        """The reply checked against the passages as the model saw them numbered; the Answer lists the passages
        shown in retrieval's order (what retrieval metrics and "closest articles" read), citations renumbered."""
        answer = self._checker.check(question, reply, [p for p, _ in used], mode=self.mode,
                                     strict=self._settings.strict)
        shown = {p.id for p, _ in used}
        return dataclasses.replace(answer, passages=tuple(p for p in passages if p.id in shown))

    def _shown(self, question: str, passages: Sequence[Passage]) -> list[tuple[Passage, str]]:
        """The passages in the order the LLM sees them, each with the text it is shown."""
        if self._reader is None:
            return [(p, p.text) for p in passages]
        return focus(question, passages, self._reader, self._settings.llm_passage_sentences)

    def _messages(self, question: str, shown: Sequence[tuple[Passage, str]]) -> list[Message]:
        return answer_messages(question, [p for p, _ in shown], self._settings.max_answer_sentences,
                               [text for _, text in shown])

    def _fitting(self, shown: Sequence[tuple[Passage, str]], call: Callable[[Sequence[tuple[Passage, str]]], T]
                 ) -> tuple[T, Sequence[tuple[Passage, str]]]:
        """`call` with all passages; on a context overflow, again with the first half of them, down to one."""
        count = len(shown)
        while True:
            try:
                return call(shown[:count]), shown[:count]
            except ContextTooLongError:
                if count == 1:
                    raise
                count //= 2


class GroundedAnswerer:
    """An LLM's answer where the reader finds one, else the reader's: see the module's docstring. With a `confirmer`
    (`rag.confirm`), a refusal on weak evidence is first put to it, and its yes answers as if the reader had."""

    def __init__(self, llm: LLMAnswerer, extractive: ExtractiveAnswerer, confirmer: Confirmer | None = None) -> None:
        self.mode = llm.mode
        self._llm = llm
        self._quoting = SecondOpinion(extractive, confirmer)

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        quoted, confirmed = self._quoted(question, passages)
        if not quoted.answered:
            return quoted
        written = self._llm.answer(question, passages)
        return noted(written if supported(written) else _instead(quoted), confirmed)

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        """The LLM's text as it arrives (nothing when the reader refuses), then the Answer; when the reader's
        sentences take the LLM's place, they follow a note that says so."""
        quoted, confirmed = self._quoted(question, passages)
        if not quoted.answered:
            yield quoted.text
            yield quoted
            return
        for piece in self._llm.stream(question, passages):
            if not isinstance(piece, Answer):
                yield piece
            elif supported(piece):
                yield noted(piece, confirmed)
            else:
                yield QUOTED_INSTEAD + quoted.text
                yield noted(_instead(quoted), confirmed)

    def _quoted(self, question: str, passages: Sequence[Passage]) -> tuple[Answer, bool]:
        """The reader's answer in this mode, and whether the confirmer let it through (`SecondOpinion.quoted`)."""
        quoted, confirmed = self._quoting.quoted(question, passages)
        return dataclasses.replace(quoted, mode=self.mode), confirmed


def _instead(quoted: Answer) -> Answer:
    """The reader's answer standing in for the LLM's, with the note that says so."""
    return dataclasses.replace(quoted, note=QUOTED_NOTE)


def supported(answer: Answer) -> bool:
    """An answer, not a refusal, with at least one sentence its citations support."""
    return answer.answered and any(s.supported for s in answer.sentences)


OPENS_WITH_PRONOUN = re.compile(r"[\W_]*(he|she|they|it|his|her|their|its)\b", re.I)


def focus(question: str, passages: Sequence[Passage], reader: Reader, keep: int) -> list[tuple[Passage, str]]:
    """The passages ordered by the reader's best score among their sentences (ties keep retrieval's order),
    each with its text cut to its `keep` best sentences in article order, "…" for a gap (`keep` 0: whole); a kept
    sentence that opens with a pronoun brings the sentence before it, so a passage may show up to 2 × `keep`.

    The passage holding the likeliest answer comes first, where a small model looks first. Sentences stay
    verbatim, so what the model copies is still found in the passage by the checker."""
    scores = reader.model_score(question, [s for p in passages for s in contexts(p)])
    rows = []
    at = 0
    for n, p in enumerate(passages):
        own = [float(x) for x in scores[at : at + len(p.sentences)]]
        at += len(p.sentences)
        ranked = sorted(range(len(own)), key=lambda i: -own[i])  # best first; equal scores in article order
        chosen = set(ranked[:keep])
        # a sentence that opens with a pronoun ("He warned Hochstein…") is shown with the one before, which names
        # who it stands for: cut from it, a small model guesses, and often guesses the question's own names
        chosen |= {i - 1 for i in chosen if i > 0 and OPENS_WITH_PRONOUN.match(p.quote(p.sentences[i]))}
        text = _cut(p, sorted(chosen)) if keep else p.text
        rows.append((-own[ranked[0]] if own else 0.0, n, p, text))
    return [(p, text) for _, _, p, text in sorted(rows, key=lambda row: row[:2])]


def _cut(passage: Passage, chosen: Sequence[int]) -> str:
    """The passage's text with only its sentences `chosen` (indices, in article order), "…" for each gap."""
    if not chosen or len(chosen) == len(passage.sentences):
        return passage.text
    pieces: list[str] = []
    for k, i in enumerate(chosen):
        if (k == 0 and i > 0) or (k > 0 and i != chosen[k - 1] + 1):
            pieces.append(GAP)
        pieces.append(passage.quote(passage.sentences[i]))
    if chosen[-1] != len(passage.sentences) - 1:
        pieces.append(GAP)
    return " ".join(pieces)


def _refusal(question: str, mode: str) -> Answer:
    return Answer(question, REFUSAL_EMPTY_INDEX, False, mode, (), (), (), reason=REFUSAL_EMPTY_INDEX)

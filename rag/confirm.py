"""Confirm: a second opinion from an LLM on a refusal the reader is unsure of.

In mode `local` the reader gates the LLM (`rag.generate.GroundedAnswerer`): when no sentence reaches
`settings.min_answer_score` the answer is a refusal. Such refusals are often wrong: a fifth of the answerable tuning
questions (101 of 472) are refused although the reader's answer would be right (`python -m eval.failures`). So before
refusing, the LLM is asked whether the reader's best sentence answers the question (one word, yes or no,
`rag.prompts.CONFIRM_SYSTEM_PROMPT`), and on its yes the question is answered as if that sentence had reached the
threshold. The yes is read from the log-probabilities of the reply's first token, every spelling of "yes" against
every spelling of "no": a yes means the model finds yes likelier than no. A sentence that fails the reader's
answer-type check (a number for "how many", a person for "who") is not asked about. `SecondOpinion` is the reader's
answerer with that step: mode `extractive`'s answerer under RAG_CONFIRM=on, and the reader in front of mode `local`'s
LLM (`rag.generate.GroundedAnswerer`).

On the 652 tuning cases of `eval.calibrate`, with the reader's own answer where the rule lets a case through, it
answers 55 more of 472 answerable questions right and refuses 13 fewer of 180 unanswerable ones (balanced accuracy
0.691 against 0.669; on the seeds alone 0.725 against 0.722, with mode `local`'s own answers 0.722): it trades
refusals for answers, most of all beside the 300 Lee articles. docs/tuning-log.md, "A second opinion on the reader's
refusals", has the held-out figures. A refusal costs one more call to the model, about 1 s with Qwen2.5-Coder-1.5B on
2 cores.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from rag.extractive import MODE, ExtractiveAnswerer
from rag.llm import Message
from rag.prompts import CONFIRM_SYSTEM_PROMPT, CONFIRM_USER_PROMPT, CONFIRMED_NOTE
from rag.types import Answer, Passage

TOP_LOGPROBS = 20  # the first token's alternatives read
UNLISTED = -20.0  # the log-probability given to "yes" or "no" when no spelling of it is among them


@runtime_checkable
class LogProbs(Protocol):
    """A chat model that tells the log-probabilities of its reply's first token (`rag.llm.ChatModel` does)."""

    def first_token_logprobs(self, messages: Sequence[Message], top: int) -> list[tuple[str, float]]: ...


def yes_no_log_odds(top: Sequence[tuple[str, float]]) -> float:
    """log P(yes) − log P(no) from the first token's top log-probabilities, (token, logprob) pairs; any casing,
    spacing or trailing punctuation of a word counts for it, and a word missing from the list counts as UNLISTED."""
    def total(word: str) -> float:
        found = [lp for token, lp in top if token.strip().strip(".,!").lower() == word]
        return float(np.logaddexp.reduce(found)) if found else UNLISTED

    return total("yes") - total("no")


def confirm_messages(question: str, sentence: str) -> list[Message]:
    """The chat messages asking whether `sentence` answers `question`."""
    return [{"role": "system", "content": CONFIRM_SYSTEM_PROMPT},
            {"role": "user", "content": CONFIRM_USER_PROMPT.format(question=question, sentence=sentence)}]


class Confirmer:
    """Asks an LLM whether one sentence answers a question."""

    def __init__(self, chat: LogProbs) -> None:
        self._chat = chat

    def log_odds(self, question: str, sentence: str) -> float:
        """The model's log-odds of "yes" against "no" (`yes_no_log_odds`)."""
        return yes_no_log_odds(self._chat.first_token_logprobs(confirm_messages(question, sentence), TOP_LOGPROBS))

    def answers(self, question: str, sentence: str) -> bool:
        """Whether the model finds "yes" likelier than "no"."""
        return self.log_odds(question, sentence) > 0.0


class SecondOpinion:
    """The reader's answerer, with the confirmer's second opinion on a refusal it is unsure of: see the module's
    docstring. Without a confirmer it is the reader's answerer as it is."""

    mode = MODE

    def __init__(self, extractive: ExtractiveAnswerer, confirmer: Confirmer | None) -> None:
        self.extractive = extractive  # the reader's answerer, which this one asks first
        self._confirmer = confirmer

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        return noted(*self.quoted(question, passages))

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        """The whole answer's text at once (nothing is generated), then the Answer."""
        answer = self.answer(question, passages)
        yield answer.text
        yield answer

    def quoted(self, question: str, passages: Sequence[Passage]) -> tuple[Answer, bool]:
        """The reader's answer (its note not yet added), and whether the confirmer let it through: when the reader
        refuses on weak evidence (some sentence passed its answer-type check) and the confirmer finds that its nearest
        sentence answers, the reader's answer as if that sentence had reached the bar."""
        quoted, best = self.extractive.answer_and_score(question, passages)
        near = quoted.nearest
        confirmed = (not quoted.answered and near is not None and best > 0.0 and self._confirmer is not None
                     and self._confirmer.answers(question, near.quote))
        if confirmed:
            quoted = self.extractive.always().answer(question, passages)
        return quoted, confirmed


def noted(answer: Answer, confirmed: bool) -> Answer:
    """The answer, with CONFIRMED_NOTE first when the confirmer let it through."""
    if not confirmed:
        return answer
    return dataclasses.replace(answer, note=" ".join(n for n in (CONFIRMED_NOTE, answer.note) if n))

"""Faithfulness: the share of an answer's claims that the retrieved passages support (RAGAS's definition).

Two judges:
- offline, always: the project's sentence checker (`rag.cite`), each sentence a claim, against
  every retrieved passage (not only the cited ones; citations are measured in `citations.py`);
- with an OpenAI-compatible endpoint: an LLM, RAGAS-style: it splits the answer into short
  statements, then gives each a verdict against the passages.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence

from eval.metrics.citations import SupportJudge
from rag.cite import SUPPORT_SCORE, CitationChecker
from rag.text import says_cannot_answer
from rag.errors import LLMError
from rag.llm import ChatModel
from rag.types import Answer, Passage

STATEMENTS_PROMPT = """Break the answer below into short statements that each make one claim and can be \
understood on their own (replace pronouns with names). Reply with a JSON list of strings and nothing else.

Question: {question}
Answer: {answer}"""

VERDICT_PROMPT = """Here are passages from news articles, then numbered statements. For each statement, \
decide whether the passages say it (1) or not (0): 1 only if a reader could check every part of it in the \
passages. Reply with a JSON list of 0s and 1s, one per statement, in order, and nothing else.

Passages:
{passages}

Statements:
{statements}"""


def checker_judge(checker: CitationChecker, threshold: float = SUPPORT_SCORE) -> SupportJudge:
    """The offline checker as a judge: supported when the best span clears the threshold, with every
    name and figure present and no negation clash (as `rag.cite` decides for cited sentences)."""

    def judge(queries: Sequence[tuple[str, Sequence[Passage]]]) -> list[bool]:
        found = checker.best_support([q for q, _ in queries], [list(ps) for _, ps in queries]) if queries else []
        return [s is not None and s.supports(threshold) for s in found]

    return judge


def offline(answer: Answer, judge: SupportJudge) -> tuple[int, int]:
    """(supported, claims): answer sentences the retrieved passages support, by the offline checker."""
    if not answer.answered:
        return 0, 0
    claims = [s.text for s in answer.sentences if not says_cannot_answer(s.text)]
    verdicts = judge([(c, answer.passages) for c in claims])
    return sum(verdicts), len(claims)


def llm_judged(answer: Answer, chat: ChatModel) -> tuple[int, int] | None:
    """(supported, statements) by an LLM judge, or None when its replies cannot be read."""
    if not answer.answered:
        return 0, 0
    try:
        statements = _json_list(chat.complete([{"role": "user", "content": STATEMENTS_PROMPT.format(
            question=answer.question, answer=_without_markers(answer))}]))
        statements = [s for s in statements if isinstance(s, str) and s.strip()]
        if not statements:
            return None
        passages = "\n\n".join(p.text for p in answer.passages)
        numbered = "\n".join(f"{i}. {s}" for i, s in enumerate(statements, 1))
        verdicts = _json_list(chat.complete([{"role": "user", "content": VERDICT_PROMPT.format(
            passages=passages, statements=numbered)}]))
    except LLMError:
        return None
    if len(verdicts) != len(statements) or any(v not in (0, 1, True, False) for v in verdicts):
        return None
    return sum(bool(v) for v in verdicts), len(statements)


def _without_markers(answer: Answer) -> str:
    return " ".join(s.text for s in answer.sentences) or answer.text


def _json_list(reply: str) -> list[object]:
    """The first JSON list in a reply (models wrap it in prose or code fences); [] if there is none."""
    match = re.search(r"\[.*\]", reply, re.S)
    try:
        value = json.loads(match.group(0)) if match else []
    except json.JSONDecodeError:
        return []
    return value if isinstance(value, list) else []

"""Quality gate: the extractive answerer on eval/questions.jsonl must not fall below what it measured.

Measured with `python -m eval.run` (81 questions: 54 answerable, 27 not): 38 answered correctly with a
right source, 20 refused. The floors sit just under those figures so a regression fails the build.
"""
from __future__ import annotations

from eval.dataset import load
from eval.score import originals, score, summarize

MIN_ANSWERED_CORRECTLY = 36  # of 54 answerable
MIN_REFUSED = 18  # of 27 unanswerable


def test_eval_questions_meet_the_floors(seed_assistant) -> None:
    texts = originals(seed_assistant.index.store)
    outcomes = [score(q, seed_assistant.ask(q.question), texts) for q in load()]
    summary = summarize(outcomes)
    assert summary["offsets_exact"] == len(outcomes), "every citation must reproduce its quote"
    assert summary["answered_correctly"] >= MIN_ANSWERED_CORRECTLY, summary
    assert summary["refused"] >= MIN_REFUSED, summary

"""What llama.cpp's prompt cache (`RAG_LOCAL_PROMPT_CACHE`) buys and costs mode `local`, in one process.

    python -m eval.bench.prompt_cache [--questions 10] [--set eval/sets/seeds-fresh.jsonl]

Asks the first N answerable tuning questions of the set over the seeds twice, with the cache off and on, each way
with its own llama.cpp server of the installed local model (`rag models install`), both loaded throughout; the
two alternate which goes first from one question to the next, so neither is always asked on a machine just woken
or just busy. Prints,
per question, the time to the first words and to the checked answer both ways, then the medians, their ratio, and
how many answers' wording differs between the two. A question the reader refuses never reaches the model (a refusal in
0.2 s), so it is left out of the medians.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from eval.corpora import materialise
from eval.dataset import load
from eval.suite import open_assistant
from rag.settings import Settings
from rag.types import Answer

SET = Path(__file__).resolve().parents[1] / "sets" / "seeds-fresh.jsonl"


def timed(assistant, question: str) -> tuple[float | None, float, Answer]:
    """Seconds to the first words (None if the model was not asked), to the checked answer, and the answer."""
    started, first, answer = time.perf_counter(), None, None
    for piece in assistant.ask_stream(question):
        if isinstance(piece, Answer):
            answer = piece
        elif piece.strip() and first is None:
            first = time.perf_counter() - started
    assert answer is not None
    asked = answer.answered  # past the reader's gate the model writes (its words, or the reader's quotes instead)
    return (first if asked else None), time.perf_counter() - started, answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--set", type=Path, default=SET)
    args = parser.parse_args(argv)
    questions = [q.question for q in load(args.set, split="tune") if q.answerable][: args.questions]
    base = materialise("seeds").settings(Settings.from_env()).replace(mode="local", llm_timeout=300.0)
    assistants = {cache: open_assistant(base.replace(local_prompt_cache=cache), sync=True) for cache in (False, True)}
    runs: dict[bool, list] = {False: [], True: []}
    try:
        for n, q in enumerate(questions):
            for cache in ((False, True) if n % 2 == 0 else (True, False)):
                runs[cache].append(timed(assistants[cache], q))
    finally:
        for assistant in assistants.values():
            assistant.close()
    rows = []
    for q, off, on in zip(questions, runs[False], runs[True]):
        rows.append({"question": q, "first_words_off": off[0], "first_words_on": on[0], "answer_off": off[1],
                     "answer_on": on[1], "same_text": off[2].text == on[2].text})
        shown = [f"{x:5.1f}" if x is not None else "    -" for x in (off[0], on[0], off[1], on[1])]
        print(" ".join(shown), "same " if rows[-1]["same_text"] else "DIFF ", q[:70])
    both = [r for r in rows if r["first_words_off"] is not None and r["first_words_on"] is not None]
    if not both:
        print(json.dumps({"questions": len(rows), "model_asked_both_ways": 0}))
        print("error: the reader refused every question, so the model was never asked: raise --questions",
              file=sys.stderr)
        return 1
    summary = {"questions": len(rows), "model_asked_both_ways": len(both),
               "first_words_p50_off": round(statistics.median(r["first_words_off"] for r in both), 2),
               "first_words_p50_on": round(statistics.median(r["first_words_on"] for r in both), 2),
               "answer_p50_off": round(statistics.median(r["answer_off"] for r in both), 2),
               "answer_p50_on": round(statistics.median(r["answer_on"] for r in both), 2),
               "answers_worded_differently": sum(not r["same_text"] for r in rows)}
    summary["first_words_ratio_on_to_off"] = round(summary["first_words_p50_on"] / summary["first_words_p50_off"], 2)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Write unanswerable training questions: a local LLM reads a news article and asks what it does not say.

SQuAD 2.0 showed that a reader learns to abstain only from questions that look answerable: about the
article's own people, places and events, asking for a fact it never gives (a figure, a reason, a date,
an outcome). For each training article (Lee corpus 0-149, as in `train.questions`) the model writes
such questions; every sentence of the article is then a negative for them (`train.fit`). No sentence
of the seed articles or of the evaluation articles is ever shown to the model.

    python -m train.unanswerable --model ~/.cache/newsqa/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from openai import OpenAI, OpenAIError

from eval.bench.corpus import lee_articles
from rag.serve import LocalServer
from train.questions import PARALLEL, TRAIN_ARTICLES, ask_for_questions, load_rows

OUT = Path(__file__).with_name("data") / "lee-unanswerable.jsonl"
MAX_WORDS = 320  # the article shown to the model, cut to its first words (Lee articles are 100-500 words)

UNANSWERABLE_PROMPT = """News article:
{article}

Write three questions that a news reader might ask about this story but that the article does NOT answer.
Each question must be about the same people, places, organisations or events as the article, and ask for a
fact the article never gives: a number, a reason, a date, a name, a place or an outcome that is not stated
anywhere in it. Name who or what the question is about (never "he", "she", "they", "it" or "the article").
Reply with JSON only: {{"questions": ["...", "...", "..."]}}"""

def ask_llm(client: OpenAI, model: str, article: str) -> list[str]:
    """The model's unanswerable questions for one article."""
    return ask_for_questions(client, model, UNANSWERABLE_PROMPT.format(article=article), count=3, max_tokens=200)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="a chat GGUF (the local Qwen2.5-Coder-1.5B)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--limit", type=int, default=len(TRAIN_ARTICLES))
    args = parser.parse_args(argv)
    articles = lee_articles()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    done = {r["doc_id"] for r in load_rows(args.out, 0)}
    todo = [(f"lee_{i:03d}", " ".join(articles[i].split()[:MAX_WORDS]))
            for i in list(TRAIN_ARTICLES)[: args.limit] if f"lee_{i:03d}" not in done]
    server = LocalServer(args.model, context_tokens=1024 * PARALLEL, parallel=PARALLEL)
    client = OpenAI(base_url=server.base_url, api_key="local", timeout=600)

    def work(item: tuple[str, str]) -> dict | None:
        doc_id, article = item
        started = time.perf_counter()
        try:
            questions = ask_llm(client, server.endpoint.model, article)
        except (ValueError, KeyError, AttributeError, OpenAIError) as exc:
            print(f"{doc_id}: unusable reply ({exc})", file=sys.stderr)
            return None
        print(f"{doc_id}: {len(questions)} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        return {"doc_id": doc_id, "questions": questions}

    try:
        with args.out.open("a", encoding="utf-8") as out, ThreadPoolExecutor(PARALLEL) as pool:
            for row in pool.map(work, todo):
                if row is not None:
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
                    out.flush()
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

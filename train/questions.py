"""Write training questions: a local LLM reads one sentence of a news article and asks what it answers.

For each sampled sentence (with the sentence before it as context) the model writes two questions
that the sentence answers, naming who or what they are about. The sentence is the positive for its
questions; `train.fit` adds the negatives. The articles are the Lee corpus's ABC news articles
0-149; 150-299 are kept for evaluation questions (eval/sets/lee.jsonl), and the seed articles are
never used.

    python -m train.questions --model ~/.cache/newsqa/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from openai import OpenAI, OpenAIError

from eval.bench.corpus import lee_articles
from rag.chunk import sentence_tokenizer
from rag.serve import LocalServer

TRAIN_ARTICLES = range(0, 150)  # Lee articles kept for training; 150-299 are for evaluation
OUT = Path(__file__).with_name("data") / "lee-questions.jsonl"
SENTENCES_PER_ARTICLE = 3
MIN_WORDS = 8

QUESTION_PROMPT = """News article "{title}".
Previous sentence: {previous}
Sentence: {sentence}

Write two different questions that a news reader might ask and that the Sentence answers. Name the people,
places or organisations the question is about (never "he", "she", "they", "it" or "the article"); if the
Sentence says "he said", use the name from the previous sentence. Word them in your own words, not copying
the Sentence. Make one a what/who/where/when/how many/why question and the other of a different kind.
Reply with JSON only: {{"questions": ["...", "..."]}}"""


PARALLEL = 4  # requests decoded together: on a CPU, generation is bound by memory bandwidth, so batching is nearly free


def article_sentences() -> dict[str, list[str]]:
    """Each training article's sentences by doc_id ("lee_012"), in article order, split as the index splits them (the
    numbers the question files give)."""
    tokenizer = sentence_tokenizer()
    articles = lee_articles()
    return {f"lee_{i:03d}": list(tokenizer.tokenize(articles[i])) for i in TRAIN_ARTICLES}  # type: ignore[attr-defined]


def reply_format(count: int) -> dict:
    """A JSON schema that makes the model reply with exactly `count` questions."""
    return {"type": "json_schema", "json_schema": {"name": "questions", "schema": {
        "type": "object", "required": ["questions"], "properties": {
            "questions": {"type": "array", "minItems": count, "maxItems": count,
                          "items": {"type": "string", "maxLength": 200}}}}}}


def ask_for_questions(client: OpenAI, model: str, prompt: str, count: int, max_tokens: int) -> list[str]:
    """The questions the model writes for `prompt` (those that end with a question mark)."""
    reply = client.chat.completions.create(
        model=model, temperature=0.7, max_tokens=max_tokens, response_format=reply_format(count),
        messages=[{"role": "user", "content": prompt}],
    )
    questions = json.loads(reply.choices[0].message.content or "{}").get("questions", [])
    return [q.strip() for q in questions if isinstance(q, str) and q.strip().endswith("?")]


def ask_llm(client: OpenAI, model: str, title: str, previous: str, sentence: str) -> list[str]:
    """The model's questions for one sentence."""
    prompt = QUESTION_PROMPT.format(title=title, previous=previous or "(none)", sentence=sentence)
    return ask_for_questions(client, model, prompt, count=2, max_tokens=160)


def arguments(argv: list[str] | None, description: str, out: Path, seed: int) -> argparse.Namespace:
    """The options of a question writer: the model, where rows go, how many training articles, the sampling seed."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--model", type=Path, required=True, help="a chat GGUF (the local Qwen2.5-Coder-1.5B)")
    parser.add_argument("--out", type=Path, default=out)
    parser.add_argument("--limit", type=int, default=len(TRAIN_ARTICLES))
    parser.add_argument("--seed", type=int, default=seed)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv, __doc__.splitlines()[0], OUT, seed=13)
    rng = random.Random(args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    done = {(r["doc_id"], r["sentence"]) for r in load_rows(args.out, 0)}
    server = LocalServer(args.model, context_tokens=1024 * PARALLEL, parallel=PARALLEL)
    client = OpenAI(base_url=server.base_url, api_key="local", timeout=600)
    todo = []
    for doc_id, sentences in list(article_sentences().items())[: args.limit]:
        eligible = [n for n, s in enumerate(sentences) if len(s.split()) >= MIN_WORDS]
        for n in sorted(rng.sample(eligible, min(SENTENCES_PER_ARTICLE, len(eligible)))):
            if (doc_id, n) not in done:
                todo.append((doc_id, n, sentences[0][:120], sentences[n - 1] if n else "", sentences[n]))

    def work(item: tuple[str, int, str, str, str]) -> dict | None:
        doc_id, n, title, previous, sentence = item
        started = time.perf_counter()
        try:
            questions = ask_llm(client, server.endpoint.model, title, previous, sentence)
        except (ValueError, KeyError, AttributeError, OpenAIError) as exc:
            print(f"{doc_id}#{n}: unusable reply ({exc})", file=sys.stderr)
            return None
        print(f"{doc_id}#{n}: {len(questions)} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        return {"doc_id": doc_id, "sentence": n, "text": sentence, "questions": questions}

    append_rows(args.out, pool_map(work, todo))
    server.close()
    return 0


def pool_map(work, todo: list) -> Iterator[dict | None]:
    """`work` on each item of `todo`, PARALLEL at a time, results in order."""
    with ThreadPoolExecutor(PARALLEL) as pool:
        yield from pool.map(work, todo)


def load_rows(path: Path, limit: int) -> list[dict]:
    """The generated rows of a JSON Lines file, the first `limit` (0: all; a missing file: none)."""
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows[:limit] if limit else rows


def append_rows(path: Path, rows: Iterable[dict | None]) -> None:
    """Append each row (None: skipped) to the JSON Lines file at `path` as soon as it exists: a stopped run
    keeps what it wrote, and the next one resumes after it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        for row in rows:
            if row is not None:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                out.flush()


if __name__ == "__main__":
    sys.exit(main())

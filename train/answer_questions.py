"""Write answer-aware training questions: a named entity of a sentence is the answer, a local LLM asks for it.

`train.questions` lets the model choose what a sentence answers, and its questions are often about the
article's topic rather than the sentence (the reader then learns "on the topic", not "answers"). Here
the answer comes first, as in the synthetic SQuAD pipelines: spaCy's trained recogniser (`en_core_web_sm`,
the reader's parser package) finds the sentence's people, places, organisations, dates, numbers and
sums; one of them is the answer, and the model writes a question whose answer it is. A question that
gives its own answer away, or asks about "the sentence", is dropped. So every positive sentence holds
the answer, and the other sentences of its article, about the same people, do not: the distinction the
reader must learn. Lee articles 0-149 only, as for `train.questions`.

    python -m train.answer_questions --model ~/.cache/newsqa/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
"""
from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from openai import OpenAI, OpenAIError

from rag.analyse import Analyser
from rag.read import asks_for
from rag.serve import LocalServer
from train.questions import (MIN_WORDS, PARALLEL, append_rows, arguments, article_sentences, load_rows,
                             pool_map)

OUT = Path(__file__).with_name("data") / "lee-answer-questions.jsonl"
SENTENCES_PER_ARTICLE = 5
ANSWER_LABELS = ("PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "EVENT", "DATE", "TIME", "MONEY", "PERCENT",
                 "QUANTITY", "CARDINAL")

ANSWER_QUESTION_PROMPT = """News article "{title}".
Previous sentence: {previous}
Sentence: {sentence}
Answer: {answer}

Write one question that a news reader might ask, whose answer is "{answer}" as the Sentence says.
Name the people, places or organisations it is about (never "he", "she", "they", "it" or "the article");
if the Sentence says "he said", use the name from the previous sentence. Do not write "{answer}" in the
question. Reply with JSON only: {{"question": "..."}}"""

REPLY_FORMAT = {"type": "json_schema", "json_schema": {"name": "question", "schema": {
    "type": "object", "required": ["question"],
    "properties": {"question": {"type": "string", "maxLength": 200}}}}}


def answers_of(analyser: Analyser, sentences: list[str]) -> list[list[tuple[str, str]]]:
    """Each sentence's named entities usable as answers: (text, label), first mention of each text."""
    out = []
    for found in analyser.entities(sentences):
        seen: dict[str, str] = {}
        for entity in found:
            if entity.label in ANSWER_LABELS and entity.text.strip() and entity.text not in seen:
                seen[entity.text] = entity.label
        out.append(list(seen.items()))
    return out


def usable(question: str, answer: str) -> bool:
    """A question that ends like one and does not contain its own answer."""
    q = question.strip()
    return q.endswith("?") and answer.lower() not in q.lower() and len(q.split()) >= 4


def agrees(question: str, label: str) -> bool:
    """Whether the question asks for the answer's kind, when it asks for a kind at all ("How many…?" for a
    number, not for a person; "Which player…?" names no kind, so it passes): round-trip consistency on types."""
    kinds = asks_for(question)
    return not kinds or label in kinds


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv, __doc__.splitlines()[0], OUT, seed=17)
    analyser = Analyser(entities=True)
    rng = random.Random(args.seed)
    done = {(r["doc_id"], r["sentence"], r["answer"]) for r in load_rows(args.out, 0)}
    todo = []
    for doc_id, sentences in list(article_sentences().items())[: args.limit]:
        found = answers_of(analyser, sentences)
        eligible = [n for n, s in enumerate(sentences) if len(s.split()) >= MIN_WORDS and found[n]]
        for n in sorted(rng.sample(eligible, min(SENTENCES_PER_ARTICLE, len(eligible)))):
            answer, label = rng.choice(found[n])
            if (doc_id, n, answer) not in done:
                todo.append((doc_id, n, sentences[0][:120], sentences[n - 1] if n else "(none)", sentences[n],
                             answer, label))
    print(f"{len(todo)} questions to write", file=sys.stderr)
    server = LocalServer(args.model, context_tokens=1024 * PARALLEL, parallel=PARALLEL)
    client = OpenAI(base_url=server.base_url, api_key="local", timeout=600)

    def work(item: tuple[str, int, str, str, str, str, str]) -> dict | None:
        doc_id, n, title, previous, sentence, answer, label = item
        started = time.perf_counter()
        prompt = ANSWER_QUESTION_PROMPT.format(title=title, previous=previous, sentence=sentence, answer=answer)
        try:
            reply = client.chat.completions.create(
                model=server.endpoint.model, temperature=0.7, max_tokens=80, response_format=REPLY_FORMAT,
                messages=[{"role": "user", "content": prompt}])
            question = str(json.loads(reply.choices[0].message.content or "{}").get("question", ""))
        except (ValueError, KeyError, AttributeError, OpenAIError) as exc:
            print(f"{doc_id}#{n}: unusable reply ({exc})", file=sys.stderr)
            return None
        keep = usable(question, answer)
        print(f"{doc_id}#{n} {label} {answer!r}: {question!r}{'' if keep else ' (dropped)'} "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
        return {"doc_id": doc_id, "sentence": n, "text": sentence, "answer": answer, "label": label,
                "questions": [question.strip()] if keep else []}

    append_rows(args.out, pool_map(work, todo))
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

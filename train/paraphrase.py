"""Write paraphrases of the training questions: the same question as other readers would ask it.

The questions `train.questions` wrote were asked with the answer sentence in view, so they reuse its
words, and a reader fitted on them learns that an answer repeats the question's words. People ask in
their own words ("In what building did the US defence secretary host his Israeli counterpart?") and
type keywords ("austin and gallant met where"). Here the local LLM rewrites each training question twice,
reworded and as typed into a search box; a rewrite whose embedding strays from the question's (cosine
below MIN_SIMILARITY) has changed its meaning and is dropped. Rows keep their sentence, so `train.fit
--paraphrases` pairs them with the same positive and its negatives. Lee articles 0-149 only.

    python -m train.paraphrase --model ~/.cache/newsqa/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from openai import OpenAI, OpenAIError

from rag.embed import Embedder, load_embedder
from rag.serve import LocalServer
from rag.settings import Settings
from train.questions import OUT as QUESTIONS, PARALLEL, append_rows, arguments, load_rows, pool_map

OUT = Path(__file__).with_name("data") / "lee-paraphrases.jsonl"
MIN_SIMILARITY = 0.6

PARAPHRASE_PROMPT = """A news reader asked: "{question}"
The sentence of the news article that answers it: {sentence}

Write the same question as two other readers would ask it, for the same fact:
- "reworded": in other words (synonyms, another sentence shape; a description such as "the union leader"
  instead of a name when the sentence gives it), with the same meaning;
- "casual": as typed into a search box: lower case, a few words, perhaps no question mark.
Do not give the answer. Reply with JSON only: {{"reworded": "...", "casual": "..."}}"""

REPLY_FORMAT = {"type": "json_schema", "json_schema": {"name": "paraphrases", "schema": {
    "type": "object", "required": ["reworded", "casual"],
    "properties": {"reworded": {"type": "string", "maxLength": 200}, "casual": {"type": "string", "maxLength": 120}}}}}


def faithful(question: str, rewrites: list[str], embedder: Embedder) -> list[str]:
    """The rewrites that keep the question's meaning: three words or more, neither the question itself nor another
    rewrite (case aside), and embedded within MIN_SIMILARITY of the question (a rewrite that strays asks something
    else)."""
    seen = {question.casefold()}
    found = []
    for r in rewrites:
        if len(r.split()) >= 3 and r.casefold() not in seen:
            seen.add(r.casefold())
            found.append(r)
    if not found:
        return []
    vectors = embedder.embed([question, *found])
    return [r for r, s in zip(found, vectors[1:] @ vectors[0]) if s >= MIN_SIMILARITY]


def main(argv: list[str] | None = None) -> int:
    from train.fit import ROWS  # the rows train.fit uses by default (train.fit imports this module: not at the top)

    args = arguments(argv, __doc__.splitlines()[0], OUT, seed=19)
    rows = load_rows(QUESTIONS, ROWS)
    done = {(r["doc_id"], r["sentence"], r["source"]) for r in load_rows(args.out, 0)}
    todo = [(r["doc_id"], r["sentence"], r["text"], q) for r in rows for q in r["questions"]
            if (r["doc_id"], r["sentence"], q) not in done]
    print(f"{len(todo)} questions to paraphrase", file=sys.stderr)
    embedder = load_embedder(Settings.from_env({}))
    server = LocalServer(args.model, context_tokens=1024 * PARALLEL, parallel=PARALLEL)
    client = OpenAI(base_url=server.base_url, api_key="local", timeout=600)

    def work(item: tuple[str, int, str, str]) -> dict | None:
        doc_id, n, sentence, question = item
        started = time.perf_counter()
        try:
            reply = client.chat.completions.create(
                model=server.endpoint.model, temperature=0.7, max_tokens=120, response_format=REPLY_FORMAT,
                messages=[{"role": "user", "content": PARAPHRASE_PROMPT.format(question=question, sentence=sentence)}])
            written = json.loads(reply.choices[0].message.content or "{}")
        except (ValueError, KeyError, AttributeError, OpenAIError) as exc:
            print(f"{doc_id}#{n}: unusable reply ({exc})", file=sys.stderr)
            return None
        found = [str(written.get(k, "")).strip() for k in ("reworded", "casual")]
        kept = faithful(question, found, embedder)
        print(f"{doc_id}#{n} {question!r} -> {kept} ({len(found) - len(kept)} dropped) "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
        return {"doc_id": doc_id, "sentence": n, "text": sentence, "source": question, "questions": kept}

    append_rows(args.out, pool_map(work, todo))
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

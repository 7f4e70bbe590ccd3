"""Where the answerable tuning questions go wrong: retrieval, the reader's choice, or the refusal.

    python -m eval.failures [--show CAUSE]

For every answerable tuning question of `eval.calibrate`'s plan (each set on the corpora `rag eval --sets` runs it
on), the passages are retrieved and every candidate sentence scored as `ask` does, then the question is filed under
the first cause that fits (`cause`):
- `right`: answered right at the shipped threshold;
- `refused`: the answer would be right, but its best sentence scores under the threshold;
- `article missed`: no retrieved passage is from an article the question names;
- `passage missed`: the right articles are retrieved, but no passage states every key fact;
- `facts in several sentences`: the passages state every key fact, no one sentence does (comparisons, which-first);
- `right one first, answer wrong`: the reader's first choice states every key fact, from an article the question
  names, and the answer is still wrong (built part by part, or led by another sentence);
- `chosen wrong, right one 2nd or 3rd` / `chosen wrong, right one deeper`: a sentence of an article the question
  names states every key fact, the reader ranks it second or third, or lower, and the answer misses it.
Held-out questions are never read. Prints a table per (set, corpus) and the total; `--show CAUSE` lists its questions.
"""
from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass

import numpy as np

from eval.calibrate import tuning_runs
from eval.dataset import Question
from eval.metrics.correctness import correct, facts_in
from rag.extractive import candidate_sentences
from rag.settings import Settings

CAUSES = ("right", "refused", "article missed", "passage missed", "facts in several sentences",
          "right one first, answer wrong", "chosen wrong, right one 2nd or 3rd", "chosen wrong, right one deeper")


@dataclass(frozen=True)
class Case:
    """What decides the cause of one answerable tuning question's verdict on one corpus."""

    question: str
    set: str
    corpus: str
    right_if_answered: bool
    best: float
    article_retrieved: bool
    facts_in_passages: bool
    rank_of_right_sentence: int | None  # 0: the reader's first choice; None: no one sentence of a named article has it all


def cause(case: Case, threshold: float) -> str:
    """The first of CAUSES that fits the case."""
    if case.right_if_answered:
        return "right" if case.best >= threshold else "refused"
    if not case.article_retrieved:
        return "article missed"
    if not case.facts_in_passages:
        return "passage missed"
    if case.rank_of_right_sentence is None:
        return "facts in several sentences"
    if case.rank_of_right_sentence == 0:
        return "right one first, answer wrong"
    return "chosen wrong, right one 2nd or 3rd" if case.rank_of_right_sentence < 3 else "chosen wrong, right one deeper"


def cases(settings: Settings) -> list[Case]:
    out = []
    for run in tuning_runs(settings, answerable_only=True):
        q, passages = run.question, run.passages
        found, sentences = candidate_sentences(passages)
        scores = run.reader.score(run.read, sentences) if sentences else np.zeros(0)  # every one, not just the best
        order = list(np.argsort(-scores, kind="stable"))
        whole = right_sentences(q, found)
        out.append(Case(
            q.question, run.set, run.corpus, correct(q, run.answer), run.best,
            bool(set(q.doc_ids) & {p.doc_id for p in passages}),
            facts_in(q, " ".join(p.text for p in passages)) == len(q.key_facts),
            min((order.index(i) for i in whole), default=None)))
    return out


def right_sentences(question: Question, found: list[tuple[str, str]]) -> list[int]:
    """The candidates (doc_id, text) that alone answer `question`: from an article it names, stating every key fact
    (none for a question without key facts)."""
    if not question.key_facts:
        return []
    return [i for i, (doc_id, text) in enumerate(found)
            if doc_id in question.doc_ids and facts_in(question, text) == len(question.key_facts)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", choices=CAUSES, help="list the questions filed under this cause")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    data = cases(settings)
    filed = [(c, cause(c, settings.min_answer_score)) for c in data]
    groups = sorted({(c.set, c.corpus) for c in data}, key=lambda g: (g[1], g[0]))
    print(f"Answerable tuning questions by cause, at the threshold {settings.min_answer_score}:\n")
    print("| set | corpus | " + " | ".join(CAUSES) + " |")
    print("|---|---|" + "---|" * len(CAUSES))
    for s, corpus in [*groups, ("all", "both")]:
        counts = Counter(why for c, why in filed if (s, corpus) in (("all", "both"), (c.set, c.corpus)))
        print(f"| {s} | {corpus} | " + " | ".join(str(counts[k]) for k in CAUSES) + " |")
    if args.show:
        print()
        for c, why in filed:
            if why == args.show:
                print(f"{c.best:.2f} {c.corpus:9} {c.set:12} {c.question}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Swap: near misses made by putting another name of the same kind into an answerable training question.

"What did Hochstein warn Hezbollah?" is answered by "Hochstein warned Hezbollah that…"; "What did Hochstein warn
Hamas?" is not, yet a cross-encoder reads the two alike when it has never been shown the difference (docs/tuning-log.md,
"Facts told in passing": the fourth model answers such wrong-party traps). For each answerable question that names a
person, an organisation, a nationality or group, or a place (spaCy's recogniser, `rag.analyse`) that its answering
sentence also names, one such name is replaced by another of the same kind that the training articles name but the
question's own article does not. The result is a near miss whose decoy is the sentence that answered the original, so
`train.cross.make_pairs` teaches that sentence as a wrong answer for it.

    python -m train.swap --out swapped.jsonl   # then: python -m train.cross --questions ... swapped.jsonl
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

from rag.analyse import Analyser
from train.cross import HUMAN_QUESTIONS, PASSING_QUESTIONS, read_rows
from train.questions import article_sentences

KINDS = frozenset({"PERSON", "ORG", "NORP", "GPE"})
MIN_SENTENCES = 3


def swapped_rows(rows: list[dict], sentences: dict[str, list[str]], analyser: Analyser,
                 seed: int = 13) -> list[dict]:
    """One near miss per answerable row that has a name to swap (see the module's docstring), in the rows' order."""
    rng = random.Random(seed)
    texts = [text for doc in sorted(sentences) for text in sentences[doc]]
    seen = Counter(entity for found in analyser.entities(texts)
                   for entity in {(e.label, e.text) for e in found if e.label in KINDS and e.text[:1].isupper()})
    # a name the recogniser files under the same kind in at least MIN_SENTENCES sentences (fewer are often misread),
    # sorted so that the choices do not depend on the order a set was hashed in
    pool = {kind: sorted(text for (label, text), n in seen.items() if label == kind and n >= MIN_SENTENCES)
            for kind in KINDS}
    answerable = [row for row in rows if row["sentence"] is not None and row.get("style") != "broad"]
    asked = analyser.entities([row["question"] for row in answerable])
    out = []
    for row, names in zip(answerable, asked):
        answer = sentences[row["doc_id"]][row["sentence"]]
        article = " ".join(sentences[row["doc_id"]]).lower()
        choices = [(e.text, others) for e in names
                   if e.label in KINDS and e.text[:1].isupper() and e.text.lower() in answer.lower()
                   and (others := [text for text in pool[e.label]
                                   if text.lower() not in article and e.text.lower() not in text.lower()])]
        if not choices:
            continue
        name, others = rng.choice(choices)
        out.append({"doc_id": row["doc_id"], "sentence": None,
                    "question": row["question"].replace(name, rng.choice(others), 1),
                    "style": "swapped", "decoy": row["sentence"], "swapped_from": row["question"]})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, nargs="+", default=[HUMAN_QUESTIONS, PASSING_QUESTIONS])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    rows = [row for path in args.questions for row in read_rows(path)]
    swapped = swapped_rows(rows, article_sentences(), Analyser(entities=True))
    args.out.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in swapped), encoding="utf-8")
    print(f"{len(swapped)} near misses from {len(rows)} questions: {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

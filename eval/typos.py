"""Typos: a question set with one typing slip in each question, to measure answers to misspelt questions.

In each question the most telling word (the rarest in English, `rag.read.word_weight`, of five letters or
more: usually a name) gets its two letters before the last swapped ("Hochstein" -> "Hochstien"), the commonest
slip of fast typing. Ids gain "-typo"; each question keeps its paraphrase group, so it keeps its split.

    python -m eval.typos eval/sets/seeds-fresh.jsonl > /tmp/seeds-fresh-typos.jsonl
    rag eval --questions /tmp/seeds-fresh-typos.jsonl --corpus seeds --no-baseline
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from rag.read import word_weight

WORD = re.compile(r"[^\W\d_]{5,}")


def slip(question: str) -> str:
    """`question` with its most telling word's two letters before the last swapped (unchanged if they are equal)."""
    found = list(WORD.finditer(question))
    if not found:
        return question
    at = max(found, key=lambda m: word_weight(m.group().lower()))
    word = at.group()
    typo = word[:-3] + word[-2] + word[-3] + word[-1]
    return question[:at.start()] + typo + question[at.end():]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    for line in Path(args[0]).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            row["group"] = row.get("group") or row["id"]
            row["id"], row["question"] = f"{row['id']}-typo", slip(row["question"])
            print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

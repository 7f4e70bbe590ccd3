"""Load the question set (eval/questions.jsonl)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATH = Path(__file__).with_name("questions.jsonl")


@dataclass(frozen=True)
class Question:
    """One eval question: answerable ones carry key facts (each a tuple of accepted phrasings)."""

    id: str
    question: str
    kind: str
    answerable: bool
    key_facts: tuple[tuple[str, ...], ...]
    doc_ids: tuple[str, ...]
    passages: tuple[str, ...]


def load(path: Path = DEFAULT_PATH) -> list[Question]:
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [
        Question(
            id=r["id"],
            question=r["question"],
            kind=r["kind"],
            answerable=bool(r["answerable"]),
            key_facts=tuple(tuple(alts) for alts in r["key_facts"]),
            doc_ids=tuple(r["doc_ids"]),
            passages=tuple(r["passages"]),
        )
        for r in rows
    ]

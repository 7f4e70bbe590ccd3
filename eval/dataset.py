"""Load a question set (eval/questions.jsonl, eval/sets/*.jsonl)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ConfigError

DEFAULT_PATH = Path(__file__).with_name("questions.jsonl")
SPLITS = ("tune", "heldout")


def split_of(group: str) -> str:
    """"heldout" for about a third of the groups, fixed by the group's name alone; "tune" for the rest."""
    return "heldout" if int(hashlib.sha256(group.encode("utf-8")).hexdigest(), 16) % 3 == 0 else "tune"


@dataclass(frozen=True)
class Question:
    """One eval question: answerable ones carry key facts (each a tuple of accepted phrasings).

    `group` names the paraphrase group (all phrasings of one question; the id when it has none);
    `expected` is "yes" or "no" for a yes-no question. The split is computed from the group, never stored,
    so every phrasing of a question lands in the same split and nobody picks which are held out.
    """

    id: str
    question: str
    kind: str
    answerable: bool
    key_facts: tuple[tuple[str, ...], ...]
    doc_ids: tuple[str, ...]
    passages: tuple[str, ...]
    group: str = ""
    expected: str | None = None

    def __post_init__(self) -> None:
        if not self.group:
            object.__setattr__(self, "group", self.id)

    @property
    def split(self) -> str:
        return split_of(self.group)


def load(path: Path = DEFAULT_PATH, split: str = "all") -> list[Question]:
    """The questions of a JSONL file; with `split` "tune" or "heldout", only that split's."""
    if split not in ("all", *SPLITS):
        raise ConfigError(f"The split is all, tune or heldout, not {split!r}.")
    questions = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            questions.append(Question(
                id=r["id"],
                question=r["question"],
                kind=r["kind"],
                answerable=bool(r["answerable"]),
                key_facts=tuple(tuple(alts) for alts in r["key_facts"]),
                doc_ids=tuple(r["doc_ids"]),
                passages=tuple(r["passages"]),
                group=str(r.get("group") or r["id"]),
                expected=str(r["expected"]).strip().lower() if r.get("expected") else None,
            ))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}, line {n}: not a question ({type(exc).__name__}: {exc}). "
                              "Each line is a JSON object like those of eval/questions.jsonl.") from None
    return questions if split == "all" else [q for q in questions if q.split == split]

"""Lexical search: a BM25 index (bm25s) over the chunks, persisted next to the store."""
from __future__ import annotations

import functools
import json
import math
import os
import shutil
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

from rag.text import TERMS_VERSION, terms, terms_of

BM25_DIR = "bm25"
IDS_FILE = "ids.json"


class LexicalIndex:
    """BM25 over chunk texts, keyed by chunk id."""

    def __init__(self, retriever: object, ids: list[str], generation: int, terms_version: int = TERMS_VERSION) -> None:
        self._retriever = retriever
        self.ids = ids
        self.generation = generation
        self.terms_version = terms_version  # `rag.text.TERMS_VERSION` when its terms were made
        vocab: dict[str, int] = retriever.vocab_dict  # type: ignore[attr-defined]
        indptr = np.asarray(retriever.scores["indptr"])  # type: ignore[attr-defined]
        doc_freq = np.diff(indptr)
        n = max(len(ids), 1)
        self._idf = {
            t: math.log(1 + (n - doc_freq[i] + 0.5) / (doc_freq[i] + 0.5))
            for t, i in vocab.items()
            if t and i < len(doc_freq)  # bm25s adds an empty placeholder token
        }

    def current(self, generation: int) -> bool:
        """Whether this index holds the store's chunks at `generation` as today's `terms` make them."""
        return self.generation == generation and self.terms_version == TERMS_VERSION

    def knows(self, word: str) -> bool:
        """Whether some indexed chunk has `word` (all of its terms; a stop word or a figure has none: False)."""
        found = terms(word)
        return bool(found) and all(t in self._idf for t in found)

    @functools.cached_property
    def _positions(self) -> dict[str, int]:
        """chunk id -> its row in the BM25 index (made on the first filtered query)."""
        return {chunk_id: i for i, chunk_id in enumerate(self.ids)}

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str], generation: int) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25()
        retriever.index(terms_of(texts) if texts else [["empty"]], show_progress=False)
        return cls(retriever, list(ids), generation)

    def save(self, index_dir: Path) -> None:
        """Write atomically: a half-written BM25 folder is never left in place."""
        final = index_dir / BM25_DIR
        for leftover in index_dir.glob(f".{BM25_DIR}.*-*"):  # from a run killed half-way (the caller holds the lock)
            shutil.rmtree(leftover, ignore_errors=True)
        tmp = index_dir / f".{BM25_DIR}.tmp-{os.getpid()}"
        self._retriever.save(str(tmp), show_progress=False)  # type: ignore[attr-defined]
        (tmp / IDS_FILE).write_text(json.dumps({"generation": self.generation, "terms": self.terms_version,
                                                "ids": self.ids}))
        old = index_dir / f".{BM25_DIR}.old-{os.getpid()}"
        if final.exists():
            final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, index_dir: Path) -> LexicalIndex | None:
        """The saved index, or None when there is none (or it cannot be read)."""
        import bm25s

        folder = index_dir / BM25_DIR
        try:
            meta = json.loads((folder / IDS_FILE).read_text())
            retriever = bm25s.BM25.load(str(folder), show_progress=False)
        except (OSError, ValueError):
            return None
        # an index saved before TERMS_VERSION was recorded has version 1's terms
        return cls(retriever, list(meta["ids"]), int(meta["generation"]), int(meta.get("terms", 1)))

    def query(self, text: str, n: int, chunk_ids: Collection[str] | None = None) -> list[tuple[str, float]]:
        """The `n` best chunks for `text` as (id, BM25 score), best first; only positive scores, and only
        chunks in `chunk_ids` unless it is None."""
        known = [t for t in terms(text) if t in self._idf]
        if not known or not self.ids:
            return []
        mask = None
        if chunk_ids is not None:  # bm25s scores the masked-out chunks 0, and only positive scores are kept
            mask = np.zeros(len(self.ids), dtype=np.float32)
            mask[[self._positions[i] for i in chunk_ids if i in self._positions]] = 1.0
        docs, scores = self._retriever.retrieve(  # type: ignore[attr-defined]
            [known], k=min(n, len(self.ids)), show_progress=False, weight_mask=mask
        )
        return [(self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]

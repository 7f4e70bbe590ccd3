"""An embedder that remembers, in memory or on disk: the evaluation and the benchmark embed the same texts again and again."""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

KEYS_FILE = "keys.txt"
VECTORS_FILE = "vectors.f32"
META_FILE = "meta.json"


class CachedEmbedder:
    """Wraps an embedder; remembers every text it has embedded.

    With a `folder`, vectors are also appended to files there (keyed by the text's
    sha1, under the model's name), so the next process finds them. An append cut short
    leaves at most a partial last row, which loading ignores.
    """

    def __init__(self, inner: object, folder: Path | None = None) -> None:
        self._inner = inner
        self.name = inner.name  # type: ignore[attr-defined]
        self._cache: dict[str, np.ndarray] = {}
        self._folder = None if folder is None else Path(folder) / hashlib.sha1(self.name.encode()).hexdigest()[:12]
        if self._folder is not None:
            self._load()

    def __len__(self) -> int:
        return len(self._cache)

    def missing(self, texts: Sequence[str]) -> list[str]:
        """The distinct texts not yet cached."""
        return [t for t in dict.fromkeys(texts) if _key(t) not in self._cache]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        todo = self.missing(texts)
        if todo:
            vectors = np.asarray(self._inner.embed(todo), dtype=np.float32)  # type: ignore[attr-defined]
            for text, vector in zip(todo, vectors):
                self._cache[_key(text)] = vector
            self._append(todo, vectors)
        return np.stack([self._cache[_key(t)] for t in texts])

    def _load(self) -> None:
        folder = self._folder
        assert folder is not None
        try:
            keys = (folder / KEYS_FILE).read_text().split()
            dim = int(json.loads((folder / META_FILE).read_text())["dim"])
            vectors = np.fromfile(folder / VECTORS_FILE, dtype=np.float32)
        except (OSError, ValueError, KeyError):
            return
        rows = min(len(keys), vectors.size // dim)
        if vectors.size != rows * dim:  # an append cut short: drop its orphan rows so later appends line up
            os.truncate(folder / VECTORS_FILE, rows * dim * 4)
            (folder / KEYS_FILE).write_text("".join(f"{k}\n" for k in keys[:rows]))
        self._cache.update(zip(keys[:rows], vectors[: rows * dim].reshape(rows, dim)))

    def _append(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        if self._folder is None or not len(texts):
            return
        self._folder.mkdir(parents=True, exist_ok=True)
        (self._folder / META_FILE).write_text(json.dumps({"model": self.name, "dim": int(vectors.shape[1])}))
        with open(self._folder / VECTORS_FILE, "ab") as handle:  # vectors first: a key never lacks its row
            handle.write(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
            handle.flush()
            os.fsync(handle.fileno())
        with open(self._folder / KEYS_FILE, "a") as handle:
            handle.write("".join(f"{_key(t)}\n" for t in texts))


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()

